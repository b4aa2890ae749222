"""Managers record who is trained on what, and see whose qualifications lapse soon."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from facility.accounts import services as accounts
from facility.accounts.forms import QualifyForm
from facility.accounts.pages import bp
from facility.accounts.qualifications import EXPIRY_WARNING_DAYS
from facility.accounts.qualifications import valid_on as qualification_valid_on
from facility.core.config import default_zone
from facility.core.errors import ServiceError
from facility.http.localtime import FieldProblem, local_today, parse_date
from facility.http.pages import Problems, me, require_manager


@bp.route("/manage/qualifications", methods=["GET", "POST"])
def qualifications():
    require_manager()
    grantable = accounts.grantable_qualifications(me())
    form, problems = QualifyForm(), Problems()
    form.qualification.choices = {q.key: q.name for q in grantable}
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            status = _grant(form, grantable, problems)
            if status == 201:
                flash(
                    _(
                        "Qualification recorded for %(email)s until %(day)s.",
                        email=form.email.data.strip(),
                        day=form.valid_until.data,
                    )
                )
                return redirect(url_for("accounts_pages.qualifications"))
        else:
            problems.add_form_errors(form)
    return render_template(
        "accounts/qualifications.html",
        form=form,
        problems=problems,
        expiring=accounts.expiring_qualifications(local_today(default_zone()), grantable),
        days=EXPIRY_WARNING_DAYS,
    ), status


def _grant(form, grantable, problems: Problems) -> int:
    if form.qualification.data not in {q.key for q in grantable}:
        problems.add("qualification", _("Choose one of the qualifications your facilities require."))
    try:
        until = parse_date(form.valid_until.data, "valid_until")
        if not qualification_valid_on(until, local_today(default_zone())):
            problems.add("valid_until", _("The date is in the past."))
    except FieldProblem as problem:
        problems.add_field_problem(problem)
    if problems:
        return 422
    try:
        accounts.qualify(form.email.data, form.qualification.data, until, actor=me())
    except ServiceError as error:
        problems.add_service_error(error, ("email", "qualification"))
        return error.status
    return 201
