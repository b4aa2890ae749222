"""The project office's indicator pages: the application's table 1.7 with targets and progress
(the project so far, the last reporting period, each reporting period), its XLSX and CSV, the
list behind each figure with a chart of the figure over time, and the register it keeps.

Thin callers of ``indicators`` (the figures) and ``table`` (progress and the files).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from facility.accounts import organisations
from facility.core.config import default_zone
from facility.core.errors import ServiceError
from facility.http.downloads import download
from facility.http.filters import decimal
from facility.http.localtime import local_today
from facility.http.pages import Problems, me, require_an_admin
from facility.http.words import said
from facility.usage import indicators as indicator_queries
from facility.usage import register, table
from facility.usage.definitions import BY_KEY, SOURCES
from facility.usage.forms import RegisterForm, WithdrawForm
from facility.usage.pages import bp
from facility.usage.pages.reports import _chart, _svg

COLUMN_WORDS = {
    "user": _l("User"),
    "name": _l("Name"),
    "organisation": _l("Organisation"),
    "is_researcher": _l("Researcher"),
    "minutes": _l("Minutes"),
    "records": _l("Records"),
    "id": _l("Record"),
    "resource": _l("Resource"),
    "activity": _l("Activity"),
    "in_service_since": _l("In service since"),
    "start": _l("Start"),
    "end": _l("End"),
    "minutes_in_period": _l("Minutes in the period"),
    "size_class": _l("Size class"),
    "facility": _l("Facility"),
    "nominal_value_sek": _l("Acquisition value (SEK)"),
    "entry": _l("Entry"),
    "day": _l("Day"),
    "kind": _l("What"),
    "org_number": _l("Organisation number"),
    "amount_sek": _l("Amount (SEK)"),
    "evidence": _l("Evidence"),
}
KIND_WORDS = {
    "activity_3_2": _l("took part in activity 3.2"),
    "activity_3_4": _l("took part in activity 3.4"),
    "grant": _l("grant"),
    "research_cooperation": _l("cooperation with a research organisation"),
    "development": _l("developed a product, process or business model"),
    "innovation": _l("introduced an innovation"),
    "private_investment": _l("private investment"),
    "partner": _l("partner"),
}


def number(value, unit: str) -> str:
    """A figure in the page's language (1 200 000 and 0,75 in Swedish)."""
    if value is None:
        return ""
    if unit == "fte":
        return decimal(value, 2)
    return _("%(amount)s SEK", amount=decimal(value, 0)) if unit == "sek" else decimal(value, 0)


def percent(share: Optional[float]) -> str:
    return "–" if share is None else format_percent(share)


def _today():
    return local_today(default_zone())


def _table_or_problem() -> tuple[Optional[dict], Optional[ServiceError]]:
    try:
        return table.progress(table.parse_day(request.args.get("as_of"), _today())), None
    except ServiceError as error:
        return None, error


def overview_chart(progress: dict):
    """The share of each target reached so far, as horizontal bars (targets of 0 left out)."""
    rows = [r for r in progress["indicators"] if r["target"]]
    chart = _chart(
        "HorizontalBar",
        _("Share of the target reached, project so far"),
        value_formatter=percent,
        range=(0, max([1.0] + [r["so_far"]["share"] for r in rows])),
        show_legend=False,
        width=900,
        height=140 + 40 * len(rows),
    )
    top_down = list(reversed(rows))
    chart.x_labels = [_short_label(r) for r in top_down]
    chart.add(_("Share of target"), [r["so_far"]["share"] for r in top_down])
    return _svg(chart)


def _short_label(row: dict, most: int = 32) -> str:
    """A bar's label that fits beside it: the Commission's code, else the title shortened."""
    if row["code"]:
        return row["code"]
    title = str(row["title"])
    return title if len(title) <= most else title[: most - 1].rstrip() + "…"


def history_chart(row: dict):
    """One indicator over time: its figure in each reporting period, and the project's figure at
    each period's end against the target."""
    chart = _chart(
        "Bar",
        _("%(title)s over time", title=row["title"]),
        value_formatter=lambda v: number(v, row["unit"]),
    )
    chart.x_labels = [f"{p['from']} – {p['to']}" for p in row["periods"]]
    chart.add(_("In the reporting period"), [p["value"] for p in row["periods"]])
    chart.add(_("Project so far at the period's end"), [p["cumulative"] for p in row["periods"]])
    if row["target"]:
        chart.add(_("Target"), [row["target"]] * len(row["periods"]))
    return _svg(chart)


@bp.route("/admin/indicators")
@login_required
def indicators():
    require_an_admin()
    progress, problem = _table_or_problem()
    context = {
        "progress": progress,
        "problem": " ".join(said(v) for v in problem.violations) if problem else None,
        "as_of": request.args.get("as_of") or _today().isoformat(),
        "number": number,
        "percent": percent,
        "sources": SOURCES,
    }
    if progress is None:
        return render_template("usage/indicators.html", **context), problem.status
    return render_template("usage/indicators.html", chart=overview_chart(progress), **context)


@bp.route("/admin/indicators.csv", endpoint="indicators_csv")
@bp.route("/admin/indicators.xlsx", endpoint="indicators_xlsx")
@login_required
def indicators_file():
    require_an_admin()
    progress, problem = _table_or_problem()
    if progress is None:
        abort(400, description=" ".join(said(v) for v in problem.violations))
    fmt = "csv" if request.endpoint == "usage_pages.indicators_csv" else "xlsx"
    body, content_type, filename = table.render(progress, fmt)
    return download(body, content_type, filename)


def _period_args() -> tuple[str, str]:
    first, last = indicator_queries.project_days()
    return (
        request.args.get("from") or first.isoformat(),
        request.args.get("to") or min(_today(), last).isoformat(),
    )


def _period_or_abort(start: str, end: str):
    try:
        return indicator_queries.parse_period(start, end)
    except ServiceError as error:
        abort(400, description=" ".join(said(v) for v in error.violations))


@bp.route("/admin/indicators/<name>")
@bp.route("/admin/indicators/<name>.csv", endpoint="indicator_detail_csv")
@login_required
def indicator_detail(name: str):
    require_an_admin()
    if name not in indicator_queries.NAMES:
        abort(404, description=_("There is no indicator '%(name)s'.", name=name))
    start, end = _period_args()
    period = _period_or_abort(start, end)
    items = indicator_queries.detail(name, period)
    columns = list(items[0]) if items else []
    if request.endpoint == "usage_pages.indicator_detail_csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns or ["(none)"])
        writer.writerows([_cell(item[c], c) for c in columns] for item in items)
        return download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{name}-{start}-{end}.csv")
    key = indicator_queries.LEGACY.get(name, name)
    progress, _problem = _table_or_problem()  # None before the project starts: no history yet
    row = next(r for r in progress["indicators"] if r["key"] == key) if progress else None
    value = indicator_queries.value_of(name, period)
    numeric = {c for c in columns if all(isinstance(i[c], (int, float)) and not isinstance(i[c], bool) for i in items)}
    return render_template(
        "usage/indicator_detail.html",
        name=name,
        indicator=BY_KEY[key],
        row=row,
        chart=history_chart(row) if row and row["periods"] else None,
        value=value,
        items=items,
        columns=columns,
        start=start,
        end=end,
        cell=_cell,
        numeric=numeric,
        column_words=COLUMN_WORDS,
        number=number,
        percent=percent,
        sources=SOURCES,
    )


def _cell(value, column: str = "") -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if column == "kind":
        return str(KIND_WORDS.get(value, value))
    return "" if value is None else str(value)


# --- the register ---------------------------------------------------------------------------


def _register_page(form=None, problems=None, status=200):
    form = form or RegisterForm(formdata=None)
    form.kind.choices = {k: str(w) for k, w in KIND_WORDS.items()}
    form.organisation.choices = {o.key: o.name for o in organisations.list_organisations(me())}
    replaced = register.replaced_ids()
    entries = [register.describe(e, replaced) for e in register.list_entries(me())]
    return render_template(
        "usage/register.html",
        form=form,
        withdraw_form=WithdrawForm(formdata=None),
        entries=entries,
        kind_words=KIND_WORDS,
        number=number,
        problems=problems or Problems(),
    ), status


def _whole(text: Optional[str], field: str, problems: Problems) -> Optional[int]:
    text = (text or "").replace(" ", "").replace("\u00a0", "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 13:
        problems.add(field, _("Give a whole number."))
        return None
    return int(text)


@bp.route("/admin/indicator-register")
@login_required
def register_page():
    require_an_admin()
    return _register_page()


@bp.route("/admin/indicator-register", methods=["POST"])
@login_required
def register_entry():
    require_an_admin()
    form, problems = RegisterForm(), Problems()
    form.kind.choices = form.organisation.choices = []
    if not form.validate_on_submit():
        problems.add_form_errors(form)
        return _register_page(form, problems, 422)
    amount = _whole(form.amount_sek.data, "amount_sek", problems)
    replaces = _whole(form.replaces.data, "replaces", problems)
    try:
        day = date.fromisoformat(form.day.data.strip())
    except ValueError:
        problems.add("day", _("Give a date like 2026-11-30."))
    if problems:
        return _register_page(form, problems, 422)
    try:
        register.add_entry(
            me(), form.kind.data, form.organisation.data, day, form.evidence.data, amount_sek=amount, replaces=replaces
        )
    except ServiceError as error:
        if error.status == 403:
            raise
        problems.add_service_error(error, ("kind", "organisation", "day", "evidence", "amount_sek", "replaces"))
        return _register_page(form, problems, error.status)
    flash(_("Registered."))
    return redirect(url_for("usage_pages.register_page"), 303)


@bp.route("/admin/indicator-register/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw_entry(entry_id: int):
    require_an_admin()
    form = WithdrawForm()
    if not form.validate_on_submit():
        problems = Problems()
        problems.add_form_errors(form)
        return _register_page(problems=problems, status=422)
    try:
        register.withdraw_entry(me(), entry_id, form.evidence.data)
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        problems = Problems()
        problems.add_service_error(error, ())
        return _register_page(problems=problems, status=error.status)
    flash(_("Entry %(id)d withdrawn; it no longer counts.", id=entry_id))
    return redirect(url_for("usage_pages.register_page"), 303)
