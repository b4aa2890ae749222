"""The pages of usage: check-in and check-out, the instrument display, the managers' monthly
report with charts, and project pages (the indicators: ``indicators.py``).

Thin callers of the service layer (services, reports, projects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup

from facility.accounts import services as accounts
from facility.bookings import services as bookings
from facility.bookings.models import Booking
from facility.catalog import services as catalog
from facility.core.access import may_see_details
from facility.core.errors import ServiceError, forbidden
from facility.core.time import utcnow
from facility.core.vocabulary import words_for
from facility.http.filters import decimal
from facility.http.headers import csp_nonce
from facility.http.localtime import local_today
from facility.http.pages import me, require_manager, safe_next
from facility.http.words import said
from facility.usage import projects as project_services
from facility.usage import reports, services
from facility.usage.models import Project
from facility.usage.pages import bp

DISPLAY_REFRESH_SECONDS = 60
DISPLAY_LOOKAHEAD = timedelta(days=31)
TREND_MONTHS = 6

KIND_WORDS = {
    "company": _l("companies"),
    "university": _l("universities"),
    "hospital": _l("hospitals"),
    "cro": _l("CROs"),
    "other": _l("other"),
}
# A project's stage on the path to patients (filter ``stage_words``).
STAGE_WORDS = {"research": _l("research"), "pre-gmp": _l("pre-GMP process development"), "gmp": _l("GMP manufacturing")}


# --- check-in and check-out -----------------------------------------------------------------


def usage_state(booking: Booking) -> Optional[str]:
    """What its owner can do with a booking now: 'check_out', 'check_in', 'later' or None."""
    if booking.status != "confirmed":
        return None
    if services.open_record_of(booking) is not None:
        return "check_out"
    window = services.check_in_window(booking, utcnow())
    return {"open": "check_in", "too_early": "later"}.get(window)


@bp.app_template_global("usage_state")
def _usage_state_global(booking: Booking) -> Optional[str]:
    return usage_state(booking)


def _usage_action(booking_id: int, action, done: str):
    back = safe_next(request.form.get("next"), url_for("bookings_pages.booking_detail", booking_id=booking_id))
    try:
        action(me(), booking_id)
    except ServiceError as error:
        if error.status in (403, 404):
            raise  # the friendly error page: not yours, or no such booking
        for violation in error.violations:
            flash(said(violation))
        return redirect(back, 303)
    flash(done)
    return redirect(back, 303)


@bp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@login_required
def check_in(booking_id: int):
    return _usage_action(booking_id, services.check_in, _("Checked in. Remember to check out when you are done."))


@bp.route("/bookings/<int:booking_id>/check-out", methods=["POST"])
@login_required
def check_out(booking_id: int):
    return _usage_action(booking_id, services.check_out, _("Checked out. Thank you."))


# --- the instrument display -----------------------------------------------------------------


@dataclass
class DisplaySlot:
    booking: Booking
    first_name: str
    is_mine: bool
    state: Optional[str]


def _slot(booking: Optional[Booking], user) -> Optional[DisplaySlot]:
    if booking is None:
        return None
    first = (booking.user.name or "").split()
    if not may_see_details(user, booking.user_id, booking.facility):
        first = []  # a stranger's booking says "Booked", not by whom
    mine = booking.user_id == user.id
    return DisplaySlot(booking, first[0] if first else "", mine, usage_state(booking) if mine else None)


@bp.route("/display/<resource_key>")
@login_required
def display(resource_key: str):
    resource = catalog.get_resource(resource_key)
    now = utcnow()
    upcoming = bookings.active_bookings(resource, (now, now + DISPLAY_LOOKAHEAD))
    current = next((b for b in upcoming if b.start_at <= now < b.end_at), None)
    changeover = next((b for b in upcoming if b.end_at <= now < b.blocked_until), None)
    following = next((b for b in upcoming if b.start_at > now), None)
    closed = bookings.blackouts_for(resource, (now, now + timedelta(seconds=1)))
    return render_template(
        "usage/display.html",
        resource=resource,
        now=now,
        current=_slot(current, me()),
        following=_slot(following, me()),
        changeover=changeover,
        blackout=closed[0] if closed else None,
        refresh=DISPLAY_REFRESH_SECONDS,
    )


# --- the monthly report ---------------------------------------------------------------------


def _chart(kind, title: str, **options):
    import pygal
    from pygal.style import Style

    style = Style(
        background="white",
        plot_background="#f6f8fa",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#57606a",
        colors=("#0b5cad", "#2e7d32", "#b3261e", "#8a5a00", "#6f42c1", "#57606a"),
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        title_font_size=18,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        value_font_size=13,
    )
    settings = {"width": 640, "height": 360, "print_values": True, "legend_at_bottom": True, **options}
    return getattr(pygal, kind)(
        title=title, style=style, js=[], disable_xml_declaration=True, explicit_size=False, **settings
    )


SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


def _svg(chart) -> Markup:
    """The chart as inline SVG, without the configuration script pygal always writes (no JS here);
    its <style> element carries the page's CSP nonce."""
    svg = SCRIPT.sub("", chart.render(is_unicode=True)).replace("<style", f'<style nonce="{csp_nonce()}"')
    return Markup(svg)


def report_charts(facility: dict, trend: list[dict]) -> dict:
    """Three SVG charts: utilisation per resource, use by organisation kind, month over month."""
    utilisation = _chart(
        "HorizontalBar",
        _("Utilisation of opening hours per resource"),
        value_formatter=format_percent,
        range=(0, 1),
        show_legend=False,
        height=140 + 46 * max(1, len(facility["resources"])),
    )
    top_down = list(reversed(facility["resources"]))  # pygal draws the first label at the bottom
    utilisation.x_labels = [r["name"] for r in top_down]
    utilisation.add(_("Utilisation"), [r["utilisation"] for r in top_down])

    by_kind: dict[str, float] = {}
    for row in facility["organisations"]:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["used_hours"]
    kinds = _chart(
        "Pie",
        _("Used hours by kind of organisation"),
        inner_radius=0.4,
        value_formatter=lambda h: _("%(h)s h", h=decimal(h, 1)),
    )
    for kind, hours in sorted(by_kind.items()):
        kinds.add(words_for(KIND_WORDS, kind), round(hours, 2))

    booked = [month["booked_hours"] for month in trend]
    used = [month["used_hours"] for month in trend]
    months = _chart(
        "Bar",
        _("Month over month"),
        value_formatter=lambda h: decimal(h, 0),
        range=(0, max(booked + used + [1]) * 1.15),
        y_title=_("hours"),
    )
    months.x_labels = [month["month"] for month in trend]
    months.add(_("Booked hours"), booked)
    months.add(_("Used hours"), used)
    return {"utilisation": _svg(utilisation), "kinds": _svg(kinds) if by_kind else None, "months": _svg(months)}


@bp.route("/manage/reports")
@login_required
def monthly_report():
    require_manager()
    facilities = accounts.facilities_managed_by(me())
    if not facilities:
        raise forbidden(_("Reports are for the managers of a facility."))
    key = request.args.get("facility") or facilities[0].key
    chosen = next((f for f in facilities if f.key == key), None)
    default_month = reports.previous_month(local_today(chosen.timezone if chosen else facilities[0].timezone))
    month = (request.args.get("month") or default_month).strip()
    context = {
        "facilities": facilities,
        "facility_key": key,
        "month": month,
        "problem": None,
        "report": None,
        "charts": None,
    }
    if chosen is None:
        catalog.get_facility(key, "facility")  # no such facility: 404; another's: 403, like the API
        context["problem"] = _("No facility '%(key)s' that you manage; choose one from the list.", key=key)
        return render_template("usage/report.html", **context), 403
    try:
        report, trend = reports.report_with_trend(me(), month, chosen.key, TREND_MONTHS)
    except ServiceError as error:
        if error.status == 403:
            raise
        context["problem"] = " ".join(said(v) for v in error.violations)
        return render_template("usage/report.html", **context), error.status
    facility = report["facilities"][0]
    downloads = {
        fmt: url_for("usage.monthly_report", month=report["month"], facility=chosen.key, format=fmt)
        for fmt in ("csv", "xlsx")
    }
    context.update(
        month=report["month"],
        report=facility,
        charts=report_charts(facility, trend),
        downloads=downloads,
        totals=_totals(facility["resources"]),
    )
    return render_template("usage/report.html", **context)


def _totals(rows: list[dict]) -> dict:
    keys = ("booked_hours", "used_hours", "bookings", "cancellations", "late_cancellations", "no_shows")
    return {k: round(sum(r[k] for r in rows), 2) for k in keys}


# --- projects -------------------------------------------------------------------------------


def _project_or_404(project_id: int) -> Project:
    project = project_services.visible_project(me(), project_id)
    if project is None:
        abort(404, description=_("There is no such project, or you do not take part in it."))
    return project


@bp.route("/projects")
@login_required
def project_list():
    visible = project_services.list_projects(me())
    return render_template("usage/projects.html", projects=visible)


@bp.route("/projects/<int:project_id>")
@login_required
def project_page(project_id: int):
    project = _project_or_404(project_id)
    facilities, months, cells = project_services.project_path(project)
    totals = {f.key: sum(c.minutes for (k, _m), c in cells.items() if k == f.key) for f in facilities}
    return render_template(
        "usage/project.html", project=project, facilities=facilities, months=months, cells=cells, totals=totals
    )
