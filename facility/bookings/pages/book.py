"""Booking pages: the booking form, my bookings, one booking, cancel and reschedule."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from facility.bookings import services as bookings
from facility.bookings.forms import BookingForm, ReasonForm, RescheduleForm
from facility.bookings.pages import bp
from facility.bookings.pages import series as series_pages
from facility.catalog import services as catalog
from facility.catalog.services import list_resources
from facility.core.errors import ServiceError
from facility.core.time import utcnow
from facility.http.localtime import FieldProblem, form_values, parse_local
from facility.http.pages import Problems, me, safe_next

TIME_FIELDS = ("start", "end")


def parse_times(form, tz: ZoneInfo, problems: Problems):
    """(start, end) in UTC from the form's local date and time fields, or None with problems noted."""
    times = {}
    for name in TIME_FIELDS:
        try:
            times[name] = parse_local(getattr(form, f"{name}_date").data, getattr(form, f"{name}_time").data, tz, name)
        except FieldProblem as problem:
            problems.add_field_problem(problem)
    return (times["start"], times["end"]) if len(times) == 2 else None


def resource_choices():
    return {r.key: f"{r.facility.name} — {r.name}" for r in list_resources()}


@bp.route("/book", methods=["GET", "POST"])
def new_booking():
    form, problems = BookingForm(), Problems()
    form.resource.choices = resource_choices()
    form.for_user.choices = _book_for_choices()
    if request.method == "GET":
        for name in ("resource", "start_date", "start_time", "end_date", "end_time"):
            if request.args.get(name):
                getattr(form, name).data = request.args[name]
        return render_template("bookings/book.html", form=form, problems=problems)
    status = 422
    if form.validate_on_submit():
        resource = None
        try:
            resource = catalog.get_resource(form.resource.data or "", "resource")
        except ServiceError as error:
            problems.add_service_error(error, ("resource",))
        times = parse_times(form, ZoneInfo(resource.facility.timezone), problems) if resource else None
        owner = _chosen_owner(form, problems)
        first_day = times[0].astimezone(ZoneInfo(resource.facility.timezone)).date() if times else None
        rule = series_pages.repeat_rule(form, first_day, problems) if times else None
        if rule and owner:
            problems.add("for_user", _("A series is booked for oneself; book for someone else one booking at a time."))
        elif rule:  # a recurring series: its own step (pages/series.py)
            return series_pages.book_series(form, resource, times, rule, problems)
        if times and owner is not False and not problems:
            try:
                booking = bookings.request_booking(
                    me(),
                    resource.key,
                    *times,
                    purpose=form.purpose.data or "",
                    project=(form.project.data or "").strip() or None,
                    batch=(form.batch.data or "").strip() or None,
                    for_user=owner,
                )
            except ServiceError as error:
                problems.add_service_error(
                    error, ("resource", "start", "end", "project", "batch"), {"user": "for_user"}
                )
                status = error.status
            else:
                flash(
                    _("Booked: %(what)s.", what=resource.name)
                    if booking.status == "confirmed"
                    else _("Requested: %(what)s, waiting for approval.", what=resource.name)
                )
                return redirect(url_for("bookings_pages.booking_detail", booking_id=booking.id))
    else:
        problems.add_form_errors(form)
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("bookings/book.html", form=form, problems=problems), status


def _book_for_choices() -> dict[str, str]:
    """Managers only (empty for others, so the form shows no such field): themselves first."""
    if not me().manages_any:
        return {}
    people = bookings.people_to_book_for(me())
    return {"": _("Myself"), **{p.email: f"{p.name} <{p.email}>" for p in people if p.id != me().id}}


def _chosen_owner(form, problems: Problems):
    """Whom a manager books for: None (themselves), a user, or False with the problem noted."""
    email = (form.for_email.data or "").strip() or (form.for_user.data or "").strip()
    if not email or email.lower() == me().email:
        return None
    try:
        return bookings.person_to_book_for(me(), email)
    except ServiceError as error:
        shown = ("for_user",) if me().manages_any else ()  # a scientist's form has no such field
        problems.add_service_error(error, shown, {"user": "for_user"})
        return False


@bp.route("/bookings")
def my_bookings():
    mine = bookings.list_bookings(me(), bookings.BookingFilter(mine=True))
    now = utcnow()
    # Upcoming: what still holds time; a cancelled, rejected or past booking is history.
    upcoming = [b for b in mine if b.end_at > now and b.is_active]
    past = sorted((b for b in mine if b not in upcoming), key=lambda b: b.start_at, reverse=True)
    return render_template("bookings/my_bookings.html", upcoming=upcoming, past=past)


def _detail(booking, problems=None, reason_form=None, status=200):
    return render_template(
        "bookings/booking.html",
        booking=booking,
        problems=problems or Problems(),
        reason_form=reason_form or ReasonForm(formdata=None),
        is_owner=booking.user_id == me().id,
        manages=me().manages(booking.facility),
        ics_href=f"/bookings/{booking.id}.ics",
        signature=bookings.signature_of(booking),
    ), status


@bp.route("/bookings/<int:booking_id>")
def booking_detail(booking_id: int):
    return _detail(bookings.get_booking(me(), booking_id))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
def cancel_booking(booking_id: int):
    """GET: the confirmation step (reason, "Yes, cancel" or "No, keep it"; no JavaScript needed);
    POST: cancel, then back to ``next`` (a path on this site) or the booking."""
    booking = bookings.get_booking(me(), booking_id)
    back = safe_next(request.values.get("next"), url_for("bookings_pages.booking_detail", booking_id=booking_id))
    if request.method == "GET":
        form = ReasonForm(formdata=None, reason=request.args.get("reason", ""))
        return _confirm_cancel(booking, form, Problems(), back)
    form, problems = ReasonForm(), Problems()
    if form.validate_on_submit():
        try:
            bookings.cancel(me(), booking_id, (form.reason.data or "").strip())
        except ServiceError as error:
            problems.add_service_error(error, ("reason",))
            return _confirm_cancel(bookings.get_booking(me(), booking_id), form, problems, back, error.status)
        flash(_("The booking is cancelled; the time is free again."))
        return redirect(back)
    problems.add_form_errors(form)
    return _confirm_cancel(booking, form, problems, back, 422)


def _confirm_cancel(booking, form, problems, back: str, status: int = 200):
    return render_template(
        "bookings/cancel.html",
        booking=booking,
        form=form,
        problems=problems,
        back=back,
        is_owner=booking.user_id == me().id,
    ), status


@bp.route("/bookings/<int:booking_id>/edit", methods=["GET", "POST"])
def reschedule_booking(booking_id: int):
    booking = bookings.get_booking(me(), booking_id)
    tz = ZoneInfo(booking.facility.timezone)
    form, problems = RescheduleForm(), Problems()
    if request.method == "GET":
        form.start_date.data, form.start_time.data = form_values(booking.start_at, tz)
        form.end_date.data, form.end_time.data = form_values(booking.end_at, tz)
        form.purpose.data = booking.purpose
        return render_template("bookings/reschedule.html", form=form, problems=problems, booking=booking)
    status = 422
    if form.validate_on_submit():
        times = parse_times(form, tz, problems)
        if times:
            try:
                bookings.reschedule(
                    me(),
                    booking_id,
                    start=times[0],
                    end=times[1],
                    purpose=form.purpose.data or "",
                    reason=(form.reason.data or "").strip(),
                )
            except ServiceError as error:
                problems.add_service_error(error, ("start", "end", "status", "reason"))
                status = error.status
            else:
                flash(_("The booking is changed."))
                return redirect(url_for("bookings_pages.booking_detail", booking_id=booking_id))
    else:
        problems.add_form_errors(form)
    booking = bookings.get_booking(me(), booking_id)
    return render_template("bookings/reschedule.html", form=form, problems=problems, booking=booking), status
