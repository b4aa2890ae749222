"""The lab manager's page of calendar sources: attach an outside calendar (a URL or an
uploaded .ics) whose events become blackouts, refresh it now, remove it. The work is done by
``sources``; these views only translate forms and errors.

The feeds blueprint is not the pages' blueprint, so each view asks for sign-in itself.
"""

from __future__ import annotations

from typing import Optional

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.validators import Length

from facility.accounts import services as accounts
from facility.bookings.forms import KIND_CHOICES
from facility.catalog import services as catalog
from facility.catalog.services import list_resources
from facility.core.errors import ServiceError
from facility.feeds import sources
from facility.feeds.fetch import format_size
from facility.feeds.pages import bp
from facility.http.pages import Problems, me, require_manager

FIELDS = ("target", "name", "url", "upload", "kind")
TARGET_ALIASES = {"facility": "target", "resource": "target"}


class SourceForm(FlaskForm):
    target = SelectField(_l("Blackouts for"), choices=[], validate_choice=False)
    name = StringField(_l("Name"), validators=[Length(max=sources.MAX_NAME_CHARS)])
    url = StringField(
        _l("Calendar address (http:// or https://)"),
        validators=[Length(max=sources.MAX_URL_CHARS)],
        render_kw={"type": "url", "placeholder": "https://"},
    )
    upload = FileField(_l("…or an .ics file"), render_kw={"accept": ".ics,text/calendar"})
    kind = SelectField(_l("Kind of blackout"), choices=KIND_CHOICES, default="holiday", validate_choice=False)


@bp.route("/manage/calendar-sources", methods=["GET", "POST"])
@login_required
def calendar_sources():
    require_manager()
    form, problems = SourceForm(), Problems()
    form.target.choices = _targets()
    if request.method == "POST":
        if not form.validate_on_submit():
            problems.add_form_errors(form)
            return _page(form, problems, 422)
        try:
            source = _add(form)
        except ServiceError as error:
            problems.add_service_error(error, FIELDS, TARGET_ALIASES)
            return _page(form, problems, error.status)
        flash(_("“%(name)s” added: %(count)d events became blackouts.", name=source.name, count=source.event_count))
        return redirect(url_for("feeds_pages.calendar_sources"))
    return _page(form, problems, 200)


@bp.route("/manage/calendar-sources/<int:source_id>/refresh", methods=["POST"])
@login_required
def refresh_calendar_source(source_id: int):
    require_manager()
    try:
        source = sources.refresh_source(source_id, actor=me())
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        problems = Problems()
        problems.add(
            "",
            _(
                "“%(name)s” could not be refreshed: %(problem)s Its blackouts are unchanged.",
                name=sources.get_source(source_id).name,
                problem=str(error),
            ),
        )
        form = SourceForm(formdata=None)
        form.target.choices = _targets()
        return _page(form, problems, error.status)
    flash(_("“%(name)s” refreshed: %(count)d events.", name=source.name, count=source.event_count))
    return redirect(url_for("feeds_pages.calendar_sources"))


@bp.route("/manage/calendar-sources/<int:source_id>/delete", methods=["POST"])
@login_required
def delete_calendar_source(source_id: int):
    require_manager()
    name = sources.get_source(source_id, me()).name
    removed = sources.delete_source(me(), source_id)
    flash(_("“%(name)s” removed, with its %(count)d blackouts.", name=name, count=removed))
    return redirect(url_for("feeds_pages.calendar_sources"))


def _page(form: SourceForm, problems: Problems, status: int):
    listed = [(source, sources.colliding_bookings(source)) for source in sources.list_sources(me())]
    return render_template(
        "feeds/sources.html",
        form=form,
        problems=problems,
        listed=listed,
        max_size=format_size(current_app.config["FACILITY_SOURCE_MAX_BYTES"]),
    ), status


def _targets() -> dict[str, str]:
    choices = {}
    for facility in accounts.facilities_managed_by(me()):
        choices[f"facility:{facility.key}"] = _("%(name)s — the whole facility", name=facility.name)
        choices.update({f"resource:{r.key}": f"{facility.name} — {r.name}" for r in list_resources(facility)})
    return choices


def _add(form: SourceForm):
    scope, _sep, key = (form.target.data or "").partition(":")
    if scope == "resource":
        resource = catalog.get_resource(key, "target")
        facility_key, resource_key = resource.facility.key, resource.key
    else:
        facility_key, resource_key = key, None
    return sources.add_source(
        me(),
        facility_key,
        name=form.name.data or "",
        url=form.url.data or None,
        upload=_uploaded(form.upload.data),
        resource_key=resource_key,
        kind=form.kind.data or "",
    )


def _uploaded(file) -> Optional[bytes]:
    """The file's bytes, read no further than one byte past the limit (the service refuses it then)."""
    if not file or not file.filename:
        return None
    return file.stream.read(current_app.config["FACILITY_SOURCE_MAX_BYTES"] + 1)
