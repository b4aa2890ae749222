"""Words every domain shares: how the funder classifies organisations.

The catalogue prices time per organisation kind, the accounts record each organisation's kind
and size class, and the indicators and the state-aid ledger count by them.
"""

ORGANISATION_KINDS = ("company", "university", "hospital", "cro", "other")
SIZE_CLASSES = ("micro", "small", "medium", "large")  # of a company, as the EU defines SMEs
