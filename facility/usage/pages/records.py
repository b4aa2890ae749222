"""Two managers' pages on the usage blueprint: record use (walk-up use and corrections of
usage records) and the de minimis state-aid ledger per company.

Thin callers of ``usage.services`` and ``aid.services``: every rule (end after start, a reason,
no future use, no overlap, who may see what, the three-year window, the ceiling) lives there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from facility.accounts import services as accounts
from facility.bookings.pages.book import parse_times
from facility.catalog import services as catalog
from facility.catalog.services import list_resources
from facility.core.access import require_manager_of
from facility.core.errors import ServiceError, forbidden
from facility.core.time import utcnow
from facility.http.localtime import form_values, format_span
from facility.http.pages import Problems, me, require_manager
from facility.usage import services
from facility.usage.models import UsageRecord
from facility.usage.pages import bp

RECENT_DAYS = 30
RECENT_LIMIT = 200
USAGE_FIELDS = ("resource", "user", "start", "end", "reason", "corrects", "product", "batch")

DATE = {"type": "date"}
TIME = {"type": "time"}


class UsageRecordForm(FlaskForm):
    resource = SelectField(_l("Resource"), choices=[], validate_choice=False)
    user = StringField(
        _l("User (e-mail)"), validators=[Length(max=254)], render_kw={"type": "email", "autocomplete": "off"}
    )
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
    corrects = StringField(_l("Corrects record no."), render_kw={"inputmode": "numeric"})
    product = StringField(_l("Product"), validators=[Length(max=200)])
    batch = StringField(_l("Batch or lot"), validators=[Length(max=100)])


# --- record use ----------------------------------------------------------------------------


def _chosen_facility(facilities, key: Optional[str]):
    if not key:
        return facilities[0]
    chosen = next((f for f in facilities if f.key == key), None)
    if chosen is None:  # like the API: 404 for no such facility, 403 for another's
        require_manager_of(me(), catalog.get_facility(key, "facility"), "record its use")
    return chosen


def _recent_usage(facility) -> list[UsageRecord]:
    records = services.list_usage(me(), facility.key, utcnow() - timedelta(days=RECENT_DAYS), None)
    return sorted(records, key=lambda r: (r.start_at, r.id), reverse=True)[:RECENT_LIMIT]


def _prefill_correction(form: UsageRecordForm, record_id: str) -> None:
    """A GET with ?corrects=ID fills the form with that record, to be changed and given a reason."""
    record = services.correctable_record(me(), record_id)
    if record is None:
        return
    zone = record.resource.facility.timezone
    form.resource.data, form.user.data, form.corrects.data = record.resource.key, record.user.email, str(record.id)
    form.start_date.data, form.start_time.data = form_values(record.start_at, zone)
    if record.end_at is not None:
        form.end_date.data, form.end_time.data = form_values(record.end_at, zone)


def _corrects(form: UsageRecordForm, problems: Problems) -> Optional[int]:
    text = (form.corrects.data or "").strip().lstrip("#")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        problems.add("corrects", _("Give the number of the record to correct, like 12, or leave it empty."))
        return None
    return int(text)


def _record(form: UsageRecordForm, problems: Problems) -> tuple[Optional[UsageRecord], int]:
    """Record the use the form describes, or note the problems: (record or None, HTTP status)."""
    resource = None
    try:
        resource = catalog.get_resource(form.resource.data or "", "resource")
    except ServiceError as error:
        problems.add_service_error(error, USAGE_FIELDS)
    corrects = _corrects(form, problems)
    times = parse_times(form, ZoneInfo(resource.facility.timezone), problems) if resource else None
    if problems or times is None:
        return None, 422
    try:
        record = services.record_usage(
            me(),
            resource.key,
            form.user.data or "",
            *times,
            (form.reason.data or "").strip(),
            corrects=corrects,
            product=form.product.data,
            batch=form.batch.data,
        )
    except ServiceError as error:
        problems.add_service_error(error, USAGE_FIELDS, {"organisation": "user"})
        # an unknown user or record is a problem with what was typed, on a page that exists
        return None, 422 if error.status == 404 else error.status
    return record, 201


@bp.route("/manage/usage", methods=["GET", "POST"])
@login_required
def manage_usage():
    require_manager()
    facilities = accounts.facilities_managed_by(me())
    if not facilities:  # an administrator, and no facility yet: nothing anyone manages
        raise forbidden(_("Recording use is for the managers of a facility."))
    form, problems = UsageRecordForm(), Problems()
    form.resource.choices = {r.key: f"{f.name} — {r.name}" for f in facilities for r in list_resources(f)}
    facility_key = request.args.get("facility")
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            record, status = _record(form, problems)
            if record is not None:
                flash(
                    _(
                        "Recorded: %(resource)s, %(user)s, %(when)s.",
                        resource=record.resource.name,
                        user=record.user.email,
                        when=_span(record),
                    )
                    if record.corrects_id is None
                    else _("Record %(old)s corrected by record %(new)s.", old=record.corrects_id, new=record.id)
                )
                return redirect(url_for("usage_pages.manage_usage", facility=record.resource.facility.key), 303)
        else:
            problems.add_form_errors(form)
            status = 400 if "csrf_token" in form.errors else 422
        if facility_key is None and form.resource.data:
            chosen = next((f for f in facilities for r in list_resources(f) if r.key == form.resource.data), None)
            facility_key = chosen.key if chosen else None
    elif request.args.get("corrects"):
        _prefill_correction(form, request.args["corrects"])
    facility = _chosen_facility(facilities, facility_key)
    return render_template(
        "usage/manage_usage.html",
        form=form,
        problems=problems,
        facilities=facilities,
        facility=facility,
        records=_recent_usage(facility),
        days=RECENT_DAYS,
        correcting=bool((form.corrects.data or "").strip()),
    ), status


def _span(record: UsageRecord) -> str:
    return format_span(record.start_at, record.end_at, record.resource.facility.timezone)
