"""Sign in (with the second factor when the user has one) and out, change one's own password,
choose the language."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from facility.accounts import services as accounts
from facility.accounts import sessions
from facility.accounts.cookie import keep_session_secret, session_secret
from facility.accounts.forms import CodeForm, PasswordChangeForm, SignInForm
from facility.accounts.pages import bp
from facility.accounts.throttle import clear_failures, is_throttled, record_failure
from facility.core.errors import ServiceError
from facility.core.time import utcnow
from facility.http.i18n import LANGUAGES
from facility.http.pages import Problems, me, public, safe_next


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")


def client_address() -> str:
    return request.remote_addr or "unknown"


def password_matches(user, password: str) -> bool:
    """Checks a password in the same time whether or not the user exists (no e-mail probing)."""
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return accounts.verify_password(user, password)


PENDING_KEY = "second_factor_pending"  # who passed the password step, and when
PENDING_FOR = timedelta(minutes=5)


def _begin_session(user, next_url: str):
    """A fresh session for the signed-in user, recorded in the database."""
    secret = sessions.start_session(user, client_address(), request.user_agent.string or "")
    session.clear()
    login_user(user)
    keep_session_secret(secret)
    return redirect(safe_next(next_url, url_for("usage_pages.start")))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("usage_pages.start"))
    form, problems = SignInForm(), Problems()
    status = 200
    if form.validate_on_submit():
        email, ip = form.email.data.strip().lower(), client_address()
        if is_throttled(email, ip):
            problems.add("", _("Too many failed sign-ins. Wait 15 minutes and try again."))
            status = 429
        else:
            user = accounts.get_user_by_email(email)
            if password_matches(user, form.password.data) and user.is_active:
                if user.totp_secret:  # the second step: the code from the user's app
                    # Failures are cleared only once the code is right too: knowing the password
                    # must not reset the count of wrong codes.
                    session.clear()
                    session[PENDING_KEY] = {"user_id": user.id, "at": utcnow().isoformat()}
                    return redirect(url_for("accounts_pages.sign_in_code", next=request.args.get("next")))
                clear_failures(email, ip)
                return _begin_session(user, request.args.get("next"))
            record_failure(email, ip)
            problems.add("", _("The e-mail address or the password is not correct."))
            status = 401
    else:
        problems.add_form_errors(form)
    form.password.data = ""
    return render_template("accounts/sign_in.html", form=form, problems=problems), status


def _pending_user():
    """The user who gave the right password within ``PENDING_FOR``, or None."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or utcnow() - datetime.fromisoformat(pending["at"]) > PENDING_FOR:
        return None
    user = accounts.get_user(pending["user_id"])
    return user if user.is_active and user.totp_secret else None


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def sign_in_code():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Sign in again: the sign-in was not finished in time."))
        return redirect(url_for("accounts_pages.sign_in", next=request.args.get("next")))
    form, problems, status = CodeForm(), Problems(), 200
    if form.validate_on_submit():
        ip = client_address()
        if is_throttled(user.email, ip):
            problems.add("", _("Too many failed sign-ins. Wait 15 minutes and try again."))
            status = 429
        elif accounts.check_totp(user, form.code.data):
            clear_failures(user.email, ip)
            return _begin_session(user, request.args.get("next"))
        else:
            record_failure(user.email, ip)
            problems.add("code", _("The code is not correct. Type the 6 digits your app shows now."))
            status = 401
    else:
        problems.add_form_errors(form)
    return render_template("accounts/sign_in_code.html", form=form, problems=problems), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    sessions.sign_out(session_secret())  # every session of this user ends, copies of cookies too
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("accounts_pages.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form, problems = PasswordChangeForm(), Problems()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            problems.add("confirm", _("The two new passwords differ."))
        else:
            try:
                accounts.change_password(
                    me(), form.current_password.data, form.new_password.data, keep_session=session_secret()
                )
            except ServiceError as error:
                problems.add_service_error(error, ("current_password", "new_password"))
            else:
                flash(_("Your password has been changed. You are signed out everywhere else."))
                return redirect(url_for("usage_pages.start"))
    else:
        problems.add_form_errors(form)
    return render_template("accounts/password.html", form=form, problems=problems), 422 if problems else 200


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("usage_pages.start")))
