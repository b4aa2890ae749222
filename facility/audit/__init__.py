"""Audit trail: written by the service layer in the same transaction as the change, hash-chained."""

from facility.audit.services import record

__all__ = ["record", "init_app"]


def init_app(app) -> None:
    from facility.audit import cli  # noqa: F401  (registers `facility audit`)
