"""Words every domain shares: how the funder classifies organisations.

The catalogue prices time per organisation kind, the accounts record each organisation's kind
and size class, and the indicators and the state-aid ledger count by them.
"""

from flask_babel import lazy_gettext as _l

ORGANISATION_KINDS = ("company", "university", "hospital", "cro", "other")
SIZE_CLASSES = ("micro", "small", "medium", "large")  # of a company, as the EU defines SMEs

# What the pages say for them (filters ``organisation_kind_words`` and ``size_words``).
ORGANISATION_KIND_WORDS = {
    "company": _l("company"),
    "university": _l("university"),
    "hospital": _l("hospital"),
    "cro": _l("contract research organisation"),
    "other": _l("other organisation"),
}
SIZE_WORDS = {"micro": _l("micro"), "small": _l("small"), "medium": _l("medium-sized"), "large": _l("large")}


def words_for(table: dict, code) -> str:
    """The word for ``code`` in ``table``, in the page's language; the code itself if unknown."""
    return str(table.get(code, code))
