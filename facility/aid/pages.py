"""The state-aid page: the de minimis ledger per company, for the managers and the project office."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import login_required

from facility.aid import services as aid
from facility.core.errors import ServiceError
from facility.http.pages import me, page_blueprint, require_manager
from facility.http.words import said

bp = page_blueprint("aid_pages", __name__)


@bp.route("/manage/state-aid")
@login_required
def state_aid():
    require_manager()
    start_text = (request.args.get("from") or "").strip()
    end_text = (request.args.get("to") or "").strip()
    context = {"start": start_text, "end": end_text, "problem": None, "ledger": None}
    try:
        period = aid.period_of(start_text, end_text)
        ledger = aid.ledger(me(), period)
    except ServiceError as error:
        if error.status == 403:
            raise
        context["problem"] = " ".join(said(v) for v in error.violations)
        return render_template("aid/state_aid.html", **context), 422 if error.status == 404 else error.status
    # the statement is asked for with what was typed, or the days the defaults gave: the same period
    start, end = start_text or ledger["from"][:10], end_text or aid.last_day(ledger["to"])
    window = aid.window_for(period.end)
    zone = aid.settings().zone
    context.update(
        start=start,
        end=end,
        ledger=ledger,
        three_from=window.start.astimezone(zone).date().isoformat(),
        three_to=aid.last_day(window.end.astimezone(zone).isoformat()),
        statements={
            e["organisation"]: url_for(
                "aid.statement", key=e["organisation"], format="text", **{"from": start, "to": end}
            )
            for e in ledger["organisations"]
        },
    )
    return render_template("aid/state_aid.html", **context)
