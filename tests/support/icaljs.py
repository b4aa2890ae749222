"""ical.js, Mozilla's iCalendar parser (Thunderbird's), reading a feed in a Node.js process: the
third parser beside icalendar and vobject. ``make install`` installs it (npm ci in
tests/support/icaljs, the version pinned in its package-lock.json)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).with_name("icaljs")


def events_by_icaljs(body: bytes) -> dict[str, dict]:
    """{uid: {start, end (aware UTC), status, sequence, related_to}} as ical.js reads ``body``."""
    done = subprocess.run(
        ["node", str(HERE / "read.mjs")], input=body, capture_output=True, check=True, timeout=60, cwd=HERE
    )
    return {
        e["uid"]: {
            "start": datetime.fromisoformat(e["start"].replace("Z", "+00:00")).astimezone(timezone.utc),
            "end": datetime.fromisoformat(e["end"].replace("Z", "+00:00")).astimezone(timezone.utc),
            "status": e["status"],
            "sequence": int(e["sequence"]),
            "related_to": e["related_to"],
        }
        for e in json.loads(done.stdout)
    }
