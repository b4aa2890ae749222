"""Small SQL pieces that work on both SQLite and PostgreSQL: seconds since the epoch, and
greatest/least of two values (used to clip a span to a period inside the aggregation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, and_, case, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class epoch(FunctionElement):
    """Whole seconds since 1970-01-01 UTC of a UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch)
def _epoch_default(element, compiler, **kw):
    return "CAST(EXTRACT(EPOCH FROM %s) AS BIGINT)" % compiler.process(element.clauses, **kw)


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # The column holds naive UTC text ("2026-10-25 01:00:00.000000"); strftime('%s') reads it as UTC.
    return "CAST(strftime('%%s', %s) AS INTEGER)" % compiler.process(element.clauses, **kw)


def greatest(a, b) -> ColumnElement:
    return case((a >= b, a), else_=b)


def least(a, b) -> ColumnElement:
    return case((a <= b, a), else_=b)


def seconds(instant: datetime) -> int:
    return int(instant.timestamp())


def clipped_seconds(start_col, end_col, period_start: datetime, period_end: datetime) -> ColumnElement:
    """Seconds of [start_col, end_col) inside the period (0 outside); meant inside sum()."""
    lo, hi = seconds(period_start), seconds(period_end)
    clipped = least(epoch(end_col), hi) - greatest(epoch(start_col), lo)
    return case((clipped > 0, clipped), else_=0)


def meets(start_col, end_col, period_start: datetime, period_end: datetime):
    return and_(start_col < period_end, end_col > period_start)


def total(expr) -> ColumnElement:
    return func.coalesce(func.sum(expr), 0)
