"""``wsgi:app`` for subprocesses of the tests, at the tests' frozen instant.

``gunicorn tests.support.frozen_wsgi:app`` (see ``GunicornServer``): time is frozen at
``$FACILITY_TEST_NOW`` (an ISO 8601 instant, see ``tests/support/clock.py``) and ticks on
from there, before the app is made. Test-only; production serves ``wsgi:app``.
"""

import os

import time_machine

_traveller = time_machine.travel(os.environ["FACILITY_TEST_NOW"], tick=True)
_traveller.start()

from wsgi import app  # noqa: E402  (the app must see the frozen clock from the start)

__all__ = ["app"]
