"""The pages of the GMP records: a resource's logbook (with its CSV and PDF), writing an
entry or a correction into it, and the managers' list of what waits for cleaning.

Thin callers of ``gmp.services``: every rule (who may read and write, back-dating, the second
person, the corrections) lives there."""

from __future__ import annotations

from datetime import date
from typing import Optional
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from facility.accounts.pages.signature import signature_ok
from facility.core.config import default_zone
from facility.core.errors import ServiceError
from facility.core.time import utcnow
from facility.gmp import exports, rules, services
from facility.gmp.words import (
    KIND_WORDS,
    OUTCOME_WORDS,
    kind_words,
    line_what,
    outcome_words,
    plan_state_words,
    state_words,
)
from facility.http.downloads import download
from facility.http.localtime import FieldProblem, form_values, format_span, parse_date, parse_local
from facility.http.pages import Problems, me, page_blueprint, require_manager
from facility.http.words import said

bp = page_blueprint("gmp_pages", __name__)

ENTRY_FIELDS = (
    "kind",
    "occurred_at",
    "procedure",
    "text",
    "outcome",
    "product",
    "batch",
    "verifies",
    "corrects",
    "reason",
    "plan",
    "password",
)
DATE = {"type": "date"}
TIME = {"type": "time"}


class EntryForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    occurred_date = StringField(_l("Date"), render_kw=DATE)
    occurred_time = StringField(_l("Time"), render_kw=TIME)
    procedure = StringField(_l("Procedure (SOP)"), validators=[Length(max=200)])
    text = TextAreaField(_l("What was done or found"), validators=[Length(max=4000)])
    outcome = SelectField(_l("Outcome"), choices=[], validate_choice=False)
    product = StringField(_l("Product"), validators=[Length(max=200)])
    batch = StringField(_l("Batch or lot"), validators=[Length(max=100)])
    verifies = StringField(_l("Verifies entry no."), render_kw={"inputmode": "numeric"})
    corrects = StringField(_l("Corrects entry no."), render_kw={"inputmode": "numeric"})
    reason = TextAreaField(_l("Reason for the correction"), validators=[Length(max=2000)])
    plan = SelectField(_l("Carries out the plan"), choices=[], validate_choice=False)
    password = PasswordField(_l("Your password (signs a verification)"), render_kw={"autocomplete": "current-password"})


def _number(form_field, name: str, problems: Problems) -> Optional[int]:
    text = (form_field.data or "").strip().lstrip("#").lstrip("Ee")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        problems.add(name, _("Give the number of an entry, like 12, or leave it empty."))
        return None
    return int(text)


def _period(zone: ZoneInfo, problems: Problems) -> tuple[Optional[date], Optional[date]]:
    days = []
    for name in ("from", "to"):
        text = request.args.get(name, "").strip()
        if not text:
            days.append(None)
            continue
        try:
            days.append(parse_date(text, name))
        except FieldProblem as problem:
            problems.add_field_problem(problem)
            days.append(None)
    return days[0], days[1]


def _logbook(resource_key: str, problems: Problems):
    resource = services.records_resource(me(), resource_key)
    first, last = _period(ZoneInfo(resource.facility.timezone), problems)
    try:
        return services.logbook_for_days(me(), resource_key, first, last)
    except ServiceError as error:
        if error.status != 422:
            raise
        problems.add_service_error(error, ("from", "to"), {"to": "to"})
        return services.logbook_for_days(me(), resource_key, None, None)


def _write(form: EntryForm, resource, problems: Problems):
    zone = ZoneInfo(resource.facility.timezone)
    occurred_at = None
    if (form.occurred_date.data or "").strip() or (form.occurred_time.data or "").strip():
        try:
            occurred_at = parse_local(form.occurred_date.data, form.occurred_time.data, zone, "occurred_at")
        except FieldProblem as problem:
            problems.add_field_problem(problem)
    verifies, corrects = _number(form.verifies, "verifies", problems), _number(form.corrects, "corrects", problems)
    signed = form.kind.data == "verification"
    if signed:
        services.check_writer(me(), resource.key, "verification", corrects)
    if signed and not signature_ok(
        form.password.data or "", problems, _("Enter your password to sign the verification.")
    ):
        return None, 422
    if problems:
        return None, 422
    try:
        entry = services.record_entry(
            me(),
            resource.key,
            kind=form.kind.data or "",
            occurred_at=occurred_at,
            procedure=form.procedure.data or "",
            text=form.text.data or "",
            outcome=form.outcome.data or None,
            product=form.product.data,
            batch=form.batch.data,
            verifies=verifies,
            corrects=corrects,
            reason=form.reason.data or "",
            plan=form.plan.data or None,
            signed=signed,
        )
    except ServiceError as error:
        problems.add_service_error(error, ENTRY_FIELDS)
        return None, 422 if error.status == 404 else error.status
    return entry, 201


@bp.route("/manage/logbook/<resource_key>", methods=["GET", "POST"])
@login_required
def logbook(resource_key: str):
    require_manager()
    resource = services.records_resource(me(), resource_key)
    form, problems, status = EntryForm(), Problems(), 200
    form.kind.choices = [(k, str(KIND_WORDS[k])) for k in rules.ENTRY_KINDS]
    form.outcome.choices = [("", "—")] + [(k, str(w)) for k, w in OUTCOME_WORDS.items()]
    plans = services.resource_plans(me(), resource.key)
    form.plan.choices = [("", "—")] + [(s.key, s.name) for s in plans.statuses]
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            entry, status = _write(form, resource, problems)
            if entry is not None:
                flash(_("Entry %(number)s written.", number=entry.number))
                return redirect(url_for("gmp_pages.logbook", resource_key=resource.key), 303)
        else:
            problems.add_form_errors(form)
            status = 400 if "csrf_token" in form.errors else 422
    else:
        if request.args.get("verifies"):
            form.kind.data, form.verifies.data, form.outcome.data = "verification", request.args["verifies"], "passed"
        if request.args.get("corrects"):
            form.corrects.data = request.args["corrects"]
        if request.args.get("kind") in rules.ENTRY_KINDS:
            form.kind.data = request.args["kind"]
        if request.args.get("plan"):
            form.plan.data = request.args["plan"]
        form.occurred_date.data, form.occurred_time.data = form_values(utcnow(), resource.facility.timezone)
    period_problems = Problems()
    book = _logbook(resource.key, period_problems)
    return render_template(
        "gmp/logbook.html",
        resource=resource,
        book=book,
        form=form,
        problems=problems,
        period_problems=period_problems,
        status=services.cleaning_status(resource),
        kind_words=kind_words,
        outcome_words=outcome_words,
        state_words=state_words,
        line_what=line_what,
        plans=plans.statuses,
        plan_state_words=plan_state_words,
        proposal=lambda status: rules.proposed_blackout(status, utcnow()),
        query={k: request.args[k] for k in ("from", "to") if request.args.get(k)},
    ), status


def _download(resource_key: str, extension: str) -> Response:
    require_manager()
    book = _logbook(resource_key, Problems())
    if extension == "csv":
        body, content_type = exports.to_csv(book), "text/csv; charset=utf-8"
    else:
        body, content_type = exports.to_pdf(book), "application/pdf"
    return download(body, content_type, exports.filename(book, extension))


@bp.route("/manage/logbook/<resource_key>.csv")
@login_required
def logbook_csv(resource_key: str):
    return _download(resource_key, "csv")


@bp.route("/manage/logbook/<resource_key>.pdf")
@login_required
def logbook_pdf(resource_key: str):
    return _download(resource_key, "pdf")


def _impact(resource_key: str, problems: Problems):
    resource = services.records_resource(me(), resource_key)
    first, last = _period(ZoneInfo(resource.facility.timezone), problems)
    since = request.args.get("since") == "last-passed-calibration"
    try:
        return services.batches_using(me(), resource_key, first, last, since_calibration=since)
    except ServiceError as error:
        if error.status != 422:
            raise
        problems.add_service_error(error, ("from", "to"))
        return services.batches_using(me(), resource_key)


@bp.route("/manage/logbook/<resource_key>/batches")
@login_required
def batches(resource_key: str):
    """Which batches used a resource between two days, or since its last passed calibration."""
    require_manager()
    problems = Problems()
    impact = _impact(resource_key, problems)
    return render_template(
        "gmp/batches.html",
        resource=impact.resource,
        impact=impact,
        problems=problems,
        use_product=services.use_product,
        use_batch=services.use_batch,
        query={k: request.args[k] for k in ("from", "to", "since") if request.args.get(k)},
    )


@bp.route("/manage/logbook/<resource_key>/batches.csv")
@login_required
def batches_csv(resource_key: str):
    require_manager()
    impact = _impact(resource_key, Problems())
    return download(exports.impact_csv(impact), "text/csv; charset=utf-8", exports.impact_filename(impact))


@bp.route("/manage/logbook/<resource_key>/plans/<plan_key>/blackout", methods=["POST"])
@login_required
def block_time(resource_key: str, plan_key: str):
    """Take up the blackout a due task proposes (a form of the logbook page)."""
    require_manager()
    resource = services.records_resource(me(), resource_key)
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; try again."))
        return redirect(url_for("gmp_pages.logbook", resource_key=resource.key), 303)
    try:
        blackout, colliding = services.block_time_for_plan(me(), resource.key, plan_key)
    except ServiceError as error:
        if error.status == 403:
            raise
        for violation in error.violations:
            flash(said(violation))
    else:
        flash(
            _(
                "Blocked %(when)s for %(task)s; %(n)s bookings collide with it.",
                when=format_span(blackout.start_at, blackout.end_at, resource.facility.timezone),
                task=blackout.reason,
                n=len(colliding),
            )
        )
    return redirect(url_for("gmp_pages.logbook", resource_key=resource.key) + "#plans", 303)


@bp.route("/manage/cleaning")
@login_required
def cleaning():
    require_manager()
    return render_template(
        "gmp/cleaning.html",
        plans=services.plans_needing_attention(me()),
        plan_state_words=plan_state_words,
        waiting=services.waiting_for_cleaning(me()),
        resources=services.resources_with_records(me()),
        state_words=state_words,
    )


# --- people in the room, and withdrawn qualifications (Annex 1 ch. 7) ----------------------------


class EnterForm(FlaskForm):
    user = StringField(_l("Person (e-mail)"), validators=[Length(max=254)], render_kw={"type": "email"})
    supervisor = StringField(
        _l("Supervisor (e-mail), for someone without valid gowning"),
        validators=[Length(max=254)],
        render_kw={"type": "email"},
    )


@bp.route("/bookings/<int:booking_id>/people", methods=["GET", "POST"])
@login_required
def people(booking_id: int):
    entries = services.room_entries(me(), booking_id)  # 404/403 before anything else
    form, problems, status = EnterForm(), Problems(), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                entry = services.enter_room(me(), booking_id, form.user.data or "", form.supervisor.data or None)
            except ServiceError as error:
                problems.add_service_error(error, ("user", "supervisor"))
                status = 422 if error.status == 404 else error.status
            else:
                flash(
                    _(
                        "%(name)s entered, supervised by %(supervisor)s.",
                        name=entry.user.name,
                        supervisor=entry.supervised_by.name,
                    )
                    if entry.supervised_by
                    else _("%(name)s entered.", name=entry.user.name)
                )
                return redirect(url_for("gmp_pages.people", booking_id=booking_id), 303)
        else:
            problems.add_form_errors(form)
            status = 400 if "csrf_token" in form.errors else 422
        entries = services.room_entries(me(), booking_id)
    return render_template(
        "gmp/people.html", booking_id=booking_id, entries=entries, form=form, problems=problems
    ), status


@bp.route("/room-entries/<int:entry_id>/leave", methods=["POST"])
@login_required
def leave(entry_id: int):
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; try again."))
        return redirect(url_for("gmp_pages.cleaning"), 303)
    try:
        entry = services.leave_room(me(), entry_id)
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        flash(said(error.violations[0]))
        return redirect(request.referrer or url_for("bookings_pages.my_bookings"), 303)
    flash(_("%(name)s left the room.", name=entry.user.name))
    return redirect(url_for("gmp_pages.people", booking_id=entry.booking_id), 303)


class WithdrawForm(FlaskForm):
    user = StringField(_l("Person (e-mail)"), validators=[Length(max=254)], render_kw={"type": "email"})
    qualification = StringField(_l("Qualification (key)"), validators=[Length(max=64)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


@bp.route("/manage/gowning", methods=["GET", "POST"])
@login_required
def gowning():
    require_manager()
    form, problems, status = WithdrawForm(), Problems(), 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                withdrawal = services.withdraw_qualification(
                    me(), form.user.data or "", form.qualification.data or "", form.reason.data or ""
                )
            except ServiceError as error:
                if error.status == 403:
                    raise
                problems.add_service_error(error, ("user", "qualification", "reason"))
            else:
                flash(
                    _(
                        "%(qualification)s of %(name)s withdrawn.",
                        qualification=withdrawal.qualification.name,
                        name=withdrawal.user.name,
                    )
                )
                return redirect(url_for("gmp_pages.gowning"), 303)
        else:
            problems.add_form_errors(form)
            status = 400 if "csrf_token" in form.errors else 422
    return render_template(
        "gmp/gowning.html",
        form=form,
        problems=problems,
        withdrawals=services.recent_withdrawals(me()),
        zone=default_zone().key,
    ), status
