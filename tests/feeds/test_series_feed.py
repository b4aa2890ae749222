"""A series in the calendar feeds: each occurrence its own VEVENT (own UID, own SEQUENCE) grouped
by RELATED-TO the series, read by icalendar, vobject and ical.js alike, at the same local times
across the spring daylight-saving change; a cancelled or moved occurrence shows as such."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import icalendar
import vobject

from tests.support import clock as clocks
from tests.support.clock import STOCKHOLM
from tests.support.feeds import parsed_both_ways
from tests.support.icaljs import events_by_icaljs

WEEKS = 24  # from November over the last Sunday of March


def related_by_both(body: bytes) -> dict[str, str]:
    first = {str(e["UID"]): str(e.get("RELATED-TO", "")) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    calendar = vobject.readOne(body.decode("utf-8"))
    second = {
        e.uid.value: (e.related_to.value if hasattr(e, "related_to") else "") for e in calendar.contents["vevent"]
    }
    assert first == second
    return first


def book_series(people) -> tuple:
    alice = people.make(qualifications=["bioreactor-operation"])
    day = clocks.today() + timedelta(days=7)
    first = day + timedelta(days=(1 - day.weekday()) % 7)
    body = {
        "resource": "lab-bioreactor",
        "rrule": f"FREQ=WEEKLY;BYDAY=TU;COUNT={WEEKS}",
        "start": datetime.combine(first, time(9)).isoformat(),
        "duration_minutes": 240,
        "purpose": "weekly feed",
    }
    created = alice.post("/series", body)
    assert created.status_code == 201, created.text
    return alice, created.get_json()


def test_a_series_feed_gives_each_occurrence_at_its_local_time_in_three_parsers(people, feeds):
    alice, series = book_series(people)
    assert date(2027, 3, 28) < datetime.fromisoformat(series["occurrences"][-1]["start"]).date()  # over the change
    body = feeds.fetch(feeds.subscribe(alice, "user")["url"]).data
    events = parsed_both_ways(body)
    by_icaljs = events_by_icaljs(body)
    ids = [o["id"] for o in series["occurrences"]]
    uids = {uid for uid in events if any(uid.startswith(f"booking-{i}@") for i in ids)}
    assert len(uids) == WEEKS
    for uid in uids:
        start, end = events[uid]["start"].astimezone(STOCKHOLM), events[uid]["end"].astimezone(STOCKHOLM)
        assert (start.weekday(), start.time(), end.time()) == (1, time(9), time(13)), uid
        assert (by_icaljs[uid]["start"], by_icaljs[uid]["end"]) == (events[uid]["start"], events[uid]["end"])
        assert (by_icaljs[uid]["status"], by_icaljs[uid]["sequence"]) == (
            events[uid]["status"],
            events[uid]["sequence"],
        )
    related = related_by_both(body)
    groups = {related[uid] for uid in uids}
    assert len(groups) == 1 and next(iter(groups)).startswith(f"series-{series['id']}@")
    assert {by_icaljs[uid]["related_to"] for uid in uids} == groups


def test_a_cancelled_and_a_moved_occurrence_show_as_such_and_the_others_stay(people, feeds):
    alice, series = book_series(people)
    feed = feeds.subscribe(alice, "user")["url"]
    ids = [o["id"] for o in series["occurrences"]]
    uid = {i: next(u for u in parsed_both_ways(feeds.fetch(feed).data) if u.startswith(f"booking-{i}@")) for i in ids}
    before = parsed_both_ways(feeds.fetch(feed).data)
    assert alice.post(f"/bookings/{ids[1]}/cancel", {}).status_code == 200
    moved = alice.post(f"/series/{series['id']}/move", {"scope": "following", "from": ids[20], "shift_minutes": 60})
    assert moved.status_code == 200, moved.text
    body = feeds.fetch(feed).data
    after, by_icaljs = parsed_both_ways(body), events_by_icaljs(body)
    assert after[uid[ids[1]]]["status"] == by_icaljs[uid[ids[1]]]["status"] == "CANCELLED"
    assert after[uid[ids[1]]]["sequence"] > before[uid[ids[1]]]["sequence"]
    for i in ids[20:]:
        assert after[uid[i]]["start"].astimezone(STOCKHOLM).time() == time(10)
        assert after[uid[i]]["sequence"] > before[uid[i]]["sequence"]
        assert by_icaljs[uid[i]]["start"] == after[uid[i]]["start"]
    for i in [ids[0], *ids[2:20]]:
        assert after[uid[i]] == before[uid[i]]
