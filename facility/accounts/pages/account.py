"""The account area: one's signed-in sessions (end any of them) and the TOTP second factor."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from facility.accounts import services as accounts
from facility.accounts import sessions
from facility.accounts.cookie import session_secret
from facility.accounts.forms import CodeForm, EmptyForm
from facility.accounts.pages import bp
from facility.core.errors import ServiceError, forbidden
from facility.http.pages import Problems, me

ENROL_KEY = "totp_enrolment"  # the secret being set up, until a code confirms it


@bp.route("/account/sessions")
def account_sessions():
    return render_template(
        "accounts/sessions.html",
        sessions=sessions.list_sessions(me()),
        current=sessions.current_session_id(session_secret()),
        form=EmptyForm(formdata=None),
    )


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
def end_session(session_id: int):
    sessions.end_session(me(), session_id)  # 404 unless it is the caller's own active session
    flash(_("The session is ended."))
    return redirect(url_for("accounts_pages.account_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
def end_other_sessions():
    ended = sessions.end_other_sessions(me(), session_secret())  # CSRF-checked like every form post
    flash(_("%(n)s other sessions ended.", n=ended))
    return redirect(url_for("accounts_pages.account_sessions"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor():
    user = me()
    if user.role not in accounts.TOTP_ROLES:
        raise forbidden("A second factor is for managers and administrators.")
    form, problems, status = CodeForm(), Problems(), 200
    if user.totp_secret:
        return render_template("accounts/two_factor.html", enabled=True, form=form, problems=problems)
    secret = session.get(ENROL_KEY)
    if not secret:
        secret = session[ENROL_KEY] = accounts.new_totp_secret()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                accounts.enable_totp(user, secret, form.code.data)
            except ServiceError as error:
                problems.add_service_error(error, ("code",))
                status = error.status
            else:
                session.pop(ENROL_KEY, None)
                flash(_("Two-factor sign-in is on. From now on, signing in asks for a code."))
                return redirect(url_for("accounts_pages.two_factor"))
        else:
            problems.add_form_errors(form)
            status = 422
    return render_template(
        "accounts/two_factor.html",
        enabled=False,
        secret=secret,
        uri=accounts.totp_uri(user, secret),
        form=form,
        problems=problems,
    ), status


@bp.route("/account/two-factor/disable", methods=["POST"])
def disable_two_factor():
    form, problems = CodeForm(), Problems()
    if form.validate_on_submit():
        try:
            accounts.disable_totp(me(), form.code.data)
        except ServiceError as error:
            problems.add_service_error(error, ("code",))
            return render_template("accounts/two_factor.html", enabled=True, form=form, problems=problems), error.status
        flash(_("Two-factor sign-in is off."))
        return redirect(url_for("accounts_pages.two_factor"))
    problems.add_form_errors(form)
    return render_template("accounts/two_factor.html", enabled=True, form=form, problems=problems), 422
