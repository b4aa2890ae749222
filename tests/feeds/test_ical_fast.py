"""The fast VEVENT writer writes exactly what icalendar writes, for every kind of text."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from facility.feeds import ical

ALPHABET = "abcXYZ 019\\;,:\n\r\tN^\"'åäöÅ€µ·😀—"
START = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))


ASCII = "abcXYZ 019\\;,:\n\r\tN^\"'"


def _text(rng: random.Random) -> str:
    alphabet = rng.choice([ALPHABET, ASCII])  # ASCII-only lines take a faster path
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 60, 73, 74, 75, 76, 150, 400])))


@pytest.mark.parametrize("seed", range(60))
def test_fast_writer_matches_icalendar_byte_for_byte(seed):
    rng = random.Random(seed)
    for _ in range(25):
        event = ical.FeedEvent(
            uid=f"booking-{rng.randrange(10**9)}@{'h' * rng.choice([1, 60, 70])}.example",
            start=START + timedelta(minutes=rng.randrange(10**6)),
            end=START + timedelta(minutes=rng.randrange(10**6, 2 * 10**6)),
            summary=_text(rng),
            status=rng.choice(sorted(set(ical.ICAL_STATUS.values()))),
            sequence=rng.randrange(50),
            modified=START - timedelta(seconds=rng.randrange(10**7)),
            description=_text(rng),
            location=_text(rng),
            url=rng.choice([None, "", "http://x.example/bookings/7", "https://h.example/" + "p" * rng.randrange(120)]),
            related_to=rng.choice([None, f"series-{rng.randrange(10**6)}@{'h' * rng.choice([1, 70])}.example"]),
        )
        assert ical.vevent_text(event).encode() == ical._vevent(event).to_ical()


@pytest.mark.parametrize("text", ["x" * 64 + "\\" * 20, "x" * 65 + "\\" * 20, "å" * 40 + "\\" * 20, "x" * 200 + "^"])
def test_escapes_at_a_fold_stay_whole(text):
    for cut in range(0, 80):
        event = ical.FeedEvent(
            uid="u", start=START, end=START, summary=text[cut:], status="CONFIRMED", sequence=0, modified=START
        )
        assert ical.vevent_text(event).encode() == ical._vevent(event).to_ical()
