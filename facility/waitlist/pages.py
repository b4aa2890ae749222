"""The waiting list's pages: "My waiting list" (wait for time, accept or decline an offer,
withdraw), and the managers' list per facility. Thin callers of ``waitlist.services``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from facility.accounts.services import facilities_managed_by
from facility.catalog import services as catalog
from facility.core.errors import ServiceError
from facility.http.localtime import FieldProblem, parse_local
from facility.http.pages import Problems, me, page_blueprint, require_manager
from facility.http.words import said
from facility.waitlist import services

bp = page_blueprint("waitlist_pages", __name__)
DATE = {"type": "date"}
TIME = {"type": "time"}
FIELDS = ("resource", "start", "end", "hours", "project", "batch")


class WaitForm(FlaskForm):
    resource = SelectField(_l("Resource"), choices=[], validate_choice=False)
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    hours = StringField(
        _l("Hours (for any slot of this length between start and end)"), render_kw={"inputmode": "decimal"}
    )
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=2000)])
    project = StringField(_l("Project"), validators=[Optional(), Length(max=200)])
    batch = StringField(_l("Batch or lot"), validators=[Optional(), Length(max=100)])


class ActionForm(FlaskForm):
    """Accept, decline, withdraw: only the CSRF token."""


def _resource_choices():
    return {r.key: f"{r.facility.name} — {r.name}" for r in catalog.list_resources()}


def _page(form, problems, status=200):
    listed = services.list_entries(me())
    return render_template(
        "waitlist/mine.html", form=form, problems=problems, entries=listed, action_form=ActionForm()
    ), status


@bp.route("/waitlist", methods=["GET", "POST"])
def my_waitlist():
    """GET: my entries (offers first, with Accept and Decline) and the form to wait; POST: wait."""
    form, problems = WaitForm(), Problems()
    form.resource.choices = _resource_choices()
    if request.method == "GET":
        for name in ("resource", "start_date", "start_time", "end_date", "end_time"):
            if request.args.get(name):
                getattr(form, name).data = request.args[name]
        return _page(form, problems)
    if not form.validate_on_submit():
        problems.add_form_errors(form)
        return _page(form, problems, 400 if "csrf_token" in form.errors else 422)
    wish = _wish(form, problems)
    if wish is None:
        return _page(form, problems, 422)
    resource, start, end, minutes = wish
    try:
        services.join(me(), resource.key, start, end, minutes=minutes, purpose=form.purpose.data or "",
                      project=(form.project.data or "").strip() or None,
                      batch=(form.batch.data or "").strip() or None)  # fmt: skip
    except ServiceError as error:
        problems.add_service_error(error, FIELDS, aliases={"from": "start", "to": "end"})
        return _page(form, problems, error.status)
    flash(_("You are on the waiting list for %(what)s.", what=resource.name))
    return redirect(url_for("waitlist_pages.my_waitlist"))


def _wish(form, problems: Problems):
    """(resource, start, end, minutes or None) from the form, or None with the problems noted."""
    try:
        resource = catalog.get_resource(form.resource.data or "", "resource")
    except ServiceError as error:
        problems.add_service_error(error, ("resource",))
        return None
    tz, times = ZoneInfo(resource.facility.timezone), {}
    for name in ("start", "end"):
        try:
            times[name] = parse_local(getattr(form, f"{name}_date").data, getattr(form, f"{name}_time").data, tz, name)
        except FieldProblem as problem:
            problems.add_field_problem(problem)
    minutes = None
    text = (form.hours.data or "").strip().replace(",", ".")
    if text:
        try:
            minutes = round(float(text) * 60)
        except ValueError:
            problems.add("hours", _("'%(text)s' is not a number of hours like 4 or 1.5.", text=text))
    if len(times) < 2 or "hours" in problems:
        return None
    return resource, times["start"], times["end"], minutes


def _act(action, entry_id: int, done: str):
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form had expired; try again."))
        return redirect(url_for("waitlist_pages.my_waitlist")), 400
    try:
        action(me(), entry_id)
    except ServiceError as error:
        if error.status == 404:
            raise
        for violation in error.violations:
            flash(said(violation))
        return redirect(url_for("waitlist_pages.my_waitlist"))
    flash(done)
    return redirect(url_for("waitlist_pages.my_waitlist"))


@bp.route("/waitlist/<int:entry_id>/accept", methods=["POST"])
def accept(entry_id: int):
    return _act(services.accept, entry_id, _("You accepted the offer: the time is booked for you."))


@bp.route("/waitlist/<int:entry_id>/decline", methods=["POST"])
def decline(entry_id: int):
    return _act(services.decline, entry_id, _("You declined the offer; the time goes to the next in line."))


@bp.route("/waitlist/<int:entry_id>/withdraw", methods=["POST"])
def withdraw(entry_id: int):
    return _act(services.withdraw, entry_id, _("You are no longer waiting for this time."))


@bp.route("/manage/waitlist")
def manage_waitlist():
    """A manager's view: who waits for what at the facilities they manage, in line order."""
    require_manager()
    managed = facilities_managed_by(me())
    key = request.args.get("facility") or (managed[0].key if managed else "")
    listed = services.list_entries(me(), facility_key=key, open_only=True) if key else []
    return render_template("waitlist/manage.html", facilities=managed, chosen=key, entries=listed)
