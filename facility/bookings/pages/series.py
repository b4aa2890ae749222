"""Series pages: the booking form's "Repeat" step (the occurrences and the rules they break, then
"Book the rest" or "Book none") and a series' page listing its occurrences, where one, this and
the following, or all are cancelled or moved. Plain forms: no JavaScript needed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from facility.bookings import recurrence
from facility.bookings import series as series_service
from facility.bookings.forms import ReasonForm
from facility.bookings.pages import bp
from facility.core.access import require_manager_of
from facility.core.errors import ServiceError
from facility.core.time import utcnow
from facility.http.pages import Problems, me

WEEKDAY_VALUES = {str(day): day for day in range(7)}
MAX_TIMES = 1000  # what the form accepts; the service's cap refuses more than it allows
FORM_FIELDS = ("resource", "start", "end", "project", "batch", "repeat", "repeat_count", "repeat_until")


def repeat_rule(form, first_day: date, problems: Problems) -> Optional[str]:
    """The RRULE the form's "Repeat" choices make (None: a single booking, or a problem noted):
    weekly on the weekdays ticked (the start's weekday if none), or monthly on the first of the
    start's weekday; for a number of times or until a date."""
    choice = form.repeat.data or "none"
    if choice == "none":
        return None
    count_text, until_text = (form.repeat_count.data or "").strip(), (form.repeat_until.data or "").strip()
    count = until = None
    if count_text:
        if not (count_text.isdigit() and count_text.isascii() and 1 <= int(count_text) <= MAX_TIMES):
            problems.add("repeat_count", _("Give the number of times as a whole number from 1 to %(n)d.", n=MAX_TIMES))
            return None
        count = int(count_text)
    elif until_text:
        try:
            until = date.fromisoformat(until_text).isoformat()
        except ValueError:
            problems.add("repeat_until", _("Give the last date as YYYY-MM-DD."))
            return None
    else:
        problems.add("repeat_count", _("Say how many times, or until which date, the booking repeats."))
        return None
    if choice == "weekly":
        days = [WEEKDAY_VALUES[d] for d in form.weekdays.data or [] if d in WEEKDAY_VALUES] or [first_day.weekday()]
        return recurrence.weekly_rule(days, count=count, until=until)
    if choice == "monthly":
        return recurrence.monthly_first_rule(first_day.weekday(), count=count, until=until)
    problems.add("repeat", _("Choose how the booking repeats."))
    return None


def book_series(form, resource, times, rule: str, problems: Problems):
    """The booking form's series step: first the preview; then, as the user chose, the
    accepted occurrences booked ("skip") or nothing ("none", back to the form)."""
    action = request.form.get("series_action", "preview")
    if action == "none":
        flash(_("Nothing was booked."))
        return render_template("bookings/book.html", form=form, problems=problems)
    options = dict(
        end=times[1],
        project=(form.project.data or "").strip() or None,
        batch=(form.batch.data or "").strip() or None,
    )
    try:
        if action == "skip":
            result = series_service.request_series(
                me(), resource.key, rule, times[0], purpose=form.purpose.data or "", on_conflict="skip", **options
            )
            booked, left_out = len(result.bookings), len(result.skipped)
            flash(
                ngettext("%(num)d occurrence booked.", "%(num)d occurrences booked.", booked)
                + (" " + ngettext("%(num)d left out.", "%(num)d left out.", left_out) if left_out else "")
            )
            return redirect(url_for("bookings_pages.series_detail", series_id=result.series.id))
        plan = series_service.preview_series(me(), resource.key, rule, times[0], **options)
    except ServiceError as error:
        problems.add_service_error(
            error, ("resource", "start", "end", "project", "batch", "repeat"), {"rrule": "repeat"}
        )
        return render_template("bookings/book.html", form=form, problems=problems), error.status
    return render_template("bookings/series_preview.html", form=form, plan=plan, resource=resource)


def _series_page(series, form=None, problems=None, status: int = 200):
    return render_template(
        "bookings/series.html",
        series=series,
        occurrences=series_service.occurrences(series),
        now=utcnow(),
        form=form or ReasonForm(formdata=None),
        problems=problems or Problems(),
        is_owner=series.user_id == me().id,
        manages=me().manages(series.resource.facility),
    ), status


@bp.route("/series/<int:series_id>")
def series_detail(series_id: int):
    return _series_page(series_service.get_series(me(), series_id))


@bp.route("/series/<int:series_id>/cancel", methods=["POST"])
def cancel_series(series_id: int):
    """Cancel this and the following occurrences (``scope=following``, ``from``) or all of them."""
    series = series_service.get_series(me(), series_id)  # 404 before anything else
    form, problems = ReasonForm(), Problems()
    if not form.validate_on_submit():
        problems.add_form_errors(form)
        return _series_page(series, form, problems, 400 if "csrf_token" in form.errors else 422)
    try:
        cancelled = series_service.cancel_series(
            me(),
            series_id,
            scope=request.form.get("scope", "all"),
            from_id=request.form.get("from", type=int),
            reason=(form.reason.data or "").strip(),
        )
    except ServiceError as error:
        problems.add_service_error(error, ("reason",))
        return _series_page(series_service.get_series(me(), series_id), form, problems, error.status)
    flash(
        ngettext(
            "%(num)d occurrence cancelled; the time is free again.",
            "%(num)d occurrences cancelled; the time is free again.",
            len(cancelled),
        )
    )
    return redirect(url_for("bookings_pages.series_detail", series_id=series_id))


@bp.route("/series/<int:series_id>/move", methods=["POST"])
def move_series(series_id: int):
    """Move all occurrences, or this and the following (``from``), by the same wall-clock shift
    (days and minutes, either way): all of them or none, each checked by the rules."""
    series = series_service.get_series(me(), series_id)  # 404 before anything else
    form, problems = ReasonForm(), Problems()
    if not form.validate_on_submit():
        problems.add_form_errors(form)
        return _series_page(series, form, problems, 400 if "csrf_token" in form.errors else 422)
    shift = _shift(problems)
    if shift is None:
        return _series_page(series, form, problems, 422)
    try:
        moved = series_service.move_series(
            me(),
            series_id,
            shift,
            scope="following" if request.form.get("from") else "all",
            from_id=request.form.get("from", type=int),
            reason=(form.reason.data or "").strip(),
        )
    except ServiceError as error:
        problems.add_service_error(error, ("reason", "shift"))
        return _series_page(series_service.get_series(me(), series_id), form, problems, error.status)
    flash(ngettext("%(num)d occurrence moved.", "%(num)d occurrences moved.", len(moved)))
    return redirect(url_for("bookings_pages.series_detail", series_id=series_id))


MAX_SHIFT_DAYS = 366


def _shift(problems: Problems) -> Optional[timedelta]:
    """The shift the move form asks for (days and minutes, either may be negative), or None with
    the problem noted."""
    try:
        days = int((request.form.get("shift_days") or "0").strip())
        minutes = int((request.form.get("shift_minutes") or "0").strip())
    except ValueError:
        problems.add("shift", _("Give the shift as whole days and minutes, such as 7 and 0, or 0 and -30."))
        return None
    if abs(days) > MAX_SHIFT_DAYS or abs(minutes) > 24 * 60:
        problems.add("shift", _("Move a series by at most a year and a day's minutes at a time."))
        return None
    if not days and not minutes:
        problems.add("shift", _("Give a shift other than zero."))
        return None
    return timedelta(days=days, minutes=minutes)


@bp.route("/series/<int:series_id>/decide", methods=["POST"])
def decide_series(series_id: int):
    """A manager's one decision for a series: every pending occurrence approved or rejected."""
    series = series_service.get_series(me(), series_id)  # 404 before anything else
    require_manager_of(me(), series.resource.facility, "decide on this series")
    form, problems = ReasonForm(), Problems()
    if not form.validate_on_submit():
        problems.add_form_errors(form)
        return _series_page(series, form, problems, 400 if "csrf_token" in form.errors else 422)
    reason, rejecting = (form.reason.data or "").strip(), request.form.get("decision") == "reject"
    try:
        if rejecting:
            decided = series_service.reject_series(me(), series_id, reason)
        else:
            decided = series_service.approve_series(me(), series_id, reason)
    except ServiceError as error:
        problems.add_service_error(error, ("reason",))
        return _series_page(series_service.get_series(me(), series_id), form, problems, error.status)
    if rejecting:
        flash(ngettext("%(num)d occurrence rejected.", "%(num)d occurrences rejected.", len(decided)))
    else:
        flash(ngettext("%(num)d occurrence approved.", "%(num)d occurrences approved.", len(decided)))
    return redirect(url_for("bookings_pages.series_detail", series_id=series_id))
