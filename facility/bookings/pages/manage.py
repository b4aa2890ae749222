"""Lab managers: approvals (a GMP approval is an electronic signature), blackouts and
resource status."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from facility.accounts import services as accounts
from facility.accounts.pages.signature import signature_ok
from facility.audit.signatures import MEANINGS
from facility.bookings import services as bookings
from facility.bookings.forms import BlackoutEditForm, BlackoutForm, DecisionForm, ReasonForm, ResourceStatusForm
from facility.bookings.pages import bp
from facility.bookings.pages.book import parse_times
from facility.bookings.pages.words import RESOURCE_STATUS_WORDS, words_for
from facility.catalog import services as catalog
from facility.catalog.services import list_resources
from facility.core.access import require_manager_of
from facility.core.errors import ServiceError
from facility.http.localtime import form_values, local_today
from facility.http.pages import Problems, me, require_manager, safe_next


@bp.route("/manage/approvals")
def approvals():
    require_manager()
    pending = bookings.list_bookings(me(), bookings.BookingFilter(status="pending"))
    queue = sorted((b for b in pending if me().manages(b.facility)), key=lambda b: (b.created_at, b.id))
    return render_template("bookings/approvals.html", queue=queue)


def _decision_page(booking, form, problems, status=200):
    held = sorted(booking.user.qualifications, key=lambda q: q.qualification.name)
    return render_template(
        "bookings/decide.html",
        booking=booking,
        form=form,
        problems=problems,
        held=held,
        today=local_today(booking.facility.timezone),
        meaning=MEANINGS[bookings.GMP_APPROVAL_MEANING],
        signature=bookings.signature_of(booking),
    ), status


@bp.route("/manage/approvals/<int:booking_id>", methods=["GET", "POST"])
def decide(booking_id: int):
    require_manager()
    booking = bookings.get_booking(me(), booking_id)
    require_manager_of(me(), booking.facility, "decide this request")
    form, problems = DecisionForm(), Problems()
    if request.method == "GET" or not form.validate_on_submit():
        problems.add_form_errors(form)
        return _decision_page(booking, form, problems, 422 if problems else 200)
    decision, reason = request.form.get("decision"), (form.reason.data or "").strip()
    try:
        if decision == "reject":
            bookings.reject(me(), booking_id, reason)
            flash(_("Request rejected."))
        elif decision == "approve":
            signed = booking.facility.is_gmp
            if signed and not signature_ok(
                form.password.data or "", problems, _("Enter your password to sign the approval.")
            ):
                return _decision_page(booking, form, problems, 422)
            bookings.approve(me(), booking_id, reason, signed=signed)
            flash(
                _("Approved and signed: %(meaning)s.", meaning=MEANINGS[bookings.GMP_APPROVAL_MEANING])
                if signed
                else _("Request approved.")
            )
        else:
            problems.add("", _("Choose approve or reject."))
            return _decision_page(booking, form, problems, 422)
    except ServiceError as error:
        problems.add_service_error(error, ("reason",))
        return _decision_page(bookings.get_booking(me(), booking_id), form, problems, error.status)
    return redirect(url_for("bookings_pages.approvals"))


# --- blackouts ---------------------------------------------------------------------------


def _blackout_targets():
    choices = {}
    for facility in accounts.facilities_managed_by(me()):
        choices[f"facility:{facility.key}"] = _("%(name)s — the whole facility", name=facility.name)
        choices.update({f"resource:{r.key}": f"{facility.name} — {r.name}" for r in list_resources(facility)})
    return choices


@bp.route("/manage/blackouts", methods=["GET", "POST"])
def blackouts():
    require_manager()
    form, problems = BlackoutForm(), Problems()
    form.target.choices = _blackout_targets()
    created, colliding, status = None, [], 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            created, colliding, status = _add_blackout(form, problems)
        else:
            problems.add_form_errors(form)
    return render_template(
        "bookings/blackouts.html",
        form=form,
        problems=problems,
        created=created,
        colliding=colliding,
        upcoming=bookings.upcoming_blackouts(me()),
    ), status


def _add_blackout(form, problems: Problems):
    scope, _sep, key = (form.target.data or "").partition(":")
    try:
        if scope == "resource":
            resource = catalog.get_resource(key, "target")
            facility, resource_key = resource.facility, resource.key
        else:
            facility, resource_key = catalog.get_facility(key, "target"), None
    except ServiceError as error:
        problems.add_service_error(error, ("target",))
        return None, [], 422
    times = parse_times(form, ZoneInfo(facility.timezone), problems)
    if times is None:
        return None, [], 422
    try:
        blackout, colliding = bookings.add_blackout(
            me(),
            facility.key,
            *times,
            resource_key=resource_key,
            kind=form.kind.data or "",
            reason=(form.reason.data or "").strip(),
        )
    except ServiceError as error:
        problems.add_service_error(
            error, ("start", "end", "kind", "reason", "target"), {"resource": "target", "facility": "target"}
        )
        return None, [], error.status
    return blackout, colliding, 201


@bp.route("/manage/blackouts/<int:blackout_id>/edit", methods=["GET", "POST"])
def edit_blackout(blackout_id: int):
    """Change a blackout's time, kind or reason; the page also removes it (with a reason)."""
    require_manager()
    blackout = bookings.get_blackout(me(), blackout_id)
    tz = ZoneInfo(blackout.facility.timezone)
    form, problems, colliding, status = BlackoutEditForm(), Problems(), None, 200
    if request.method == "GET":
        form.start_date.data, form.start_time.data = form_values(blackout.start_at, tz)
        form.end_date.data, form.end_time.data = form_values(blackout.end_at, tz)
        form.kind.data, form.reason.data = blackout.kind, blackout.reason
    elif form.validate_on_submit():
        times, status = parse_times(form, tz, problems), 422
        if times:
            try:
                blackout, colliding = bookings.update_blackout(
                    me(), blackout_id, start=times[0], end=times[1], kind=form.kind.data or "",
                    reason=form.reason.data or "",
                )  # fmt: skip
            except ServiceError as error:
                problems.add_service_error(error, ("start", "end", "kind", "reason"))
                status = error.status
            else:
                flash(_("The blackout is changed."))
                status = 200
    else:
        problems.add_form_errors(form)
        status = 422
    return render_template(
        "bookings/blackout_edit.html",
        blackout=blackout,
        form=form,
        problems=problems,
        colliding=colliding,
        remove_form=ReasonForm(formdata=None),
        remove_problems=Problems(),
    ), status


@bp.route("/manage/blackouts/<int:blackout_id>/remove", methods=["POST"])
def remove_blackout(blackout_id: int):
    require_manager()
    blackout = bookings.get_blackout(me(), blackout_id)
    form, problems = ReasonForm(), Problems()
    if form.validate_on_submit():
        try:
            bookings.remove_blackout(me(), blackout_id, form.reason.data or "")
        except ServiceError as error:
            problems.add_service_error(error, ("reason",))
        else:
            flash(_("The blackout is removed; the time can be booked again."))
            return redirect(url_for("bookings_pages.blackouts"))
    else:
        problems.add_form_errors(form)
    edit = BlackoutEditForm(formdata=None)
    tz = ZoneInfo(blackout.facility.timezone)
    edit.start_date.data, edit.start_time.data = form_values(blackout.start_at, tz)
    edit.end_date.data, edit.end_time.data = form_values(blackout.end_at, tz)
    edit.kind.data, edit.reason.data = blackout.kind, blackout.reason
    return render_template(
        "bookings/blackout_edit.html",
        blackout=blackout,
        form=edit,
        problems=Problems(),
        colliding=None,
        remove_form=form,
        remove_problems=problems,
    ), 422


@bp.route("/manage/blackouts/<int:blackout_id>/notify", methods=["POST"])
def notify_blackout(blackout_id: int):
    """Mail the users of the bookings a blackout hits (from the start page), then back there."""
    require_manager()
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form was out of date; nothing was sent. Try again."))
        return redirect(url_for("usage_pages.start")), 303
    told = bookings.notify_blackout_collisions(me(), blackout_id)
    flash(
        ngettext("%(num)d user was told about the blackout.", "%(num)d users were told about the blackout.", len(told))
        if told
        else _("Nobody new to tell: the users of these bookings were told before.")
    )
    return redirect(safe_next(request.form.get("next"), url_for("usage_pages.start")))


# --- resource status ---------------------------------------------------------------------


def _managed_resources():
    return [r for f in accounts.facilities_managed_by(me()) for r in list_resources(f)]


@bp.route("/manage/resources", methods=["GET"])
def resource_statuses(problems_for=None, problems=None, status=200):
    require_manager()
    forms = {}
    for resource in _managed_resources():
        if resource.key == problems_for:
            forms[resource.key] = ResourceStatusForm()
        else:
            forms[resource.key] = ResourceStatusForm(
                formdata=None, status=resource.status, reason=resource.status_reason
            )
    return render_template(
        "bookings/resources.html",
        resources=_managed_resources(),
        forms=forms,
        problems_for=problems_for,
        problems=problems or Problems(),
    ), status


@bp.route("/manage/resources/<key>/status", methods=["POST"])
def set_resource_status(key: str):
    require_manager()
    form, problems = ResourceStatusForm(), Problems()
    if form.validate_on_submit():
        try:
            resource = bookings.set_resource_status(me(), key, form.status.data or "", (form.reason.data or "").strip())
        except ServiceError as error:
            problems.add_service_error(error, ("status", "reason"))
            if error.status == 404:
                raise
            return resource_statuses(problems_for=key, problems=problems, status=error.status)
        flash(
            _(
                "%(name)s is now %(status)s.",
                name=resource.name,
                status=words_for(RESOURCE_STATUS_WORDS, resource.status),
            )
        )
        return redirect(url_for("bookings_pages.resource_statuses"))
    problems.add_form_errors(form)
    return resource_statuses(problems_for=key, problems=problems, status=422)
