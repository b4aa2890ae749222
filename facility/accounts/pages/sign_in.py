"""Sign in and out, change one's own password, choose the language."""

from __future__ import annotations

from functools import cache

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from facility.accounts import services as accounts
from facility.accounts.forms import PasswordChangeForm, SignInForm
from facility.accounts.pages import bp
from facility.accounts.throttle import clear_failures, is_throttled, record_failure
from facility.core.errors import ServiceError
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


@bp.route("/")
def home():
    return redirect(url_for("bookings_pages.catalogue"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("bookings_pages.catalogue"))
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
                clear_failures(email, ip)
                session.clear()  # a fresh session for the signed-in user
                login_user(user)
                return redirect(safe_next(request.args.get("next"), url_for("bookings_pages.catalogue")))
            record_failure(email, ip)
            problems.add("", _("The e-mail address or the password is not correct."))
            status = 401
    else:
        problems.add_form_errors(form)
    form.password.data = ""
    return render_template("accounts/sign_in.html", form=form, problems=problems), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
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
                accounts.change_password(me(), form.current_password.data, form.new_password.data)
            except ServiceError as error:
                problems.add_service_error(error, ("current_password", "new_password"))
            else:
                flash(_("Your password has been changed."))
                return redirect(url_for("bookings_pages.catalogue"))
    else:
        problems.add_form_errors(form)
    return render_template("accounts/password.html", form=form, problems=problems), 422 if problems else 200


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("accounts_pages.home")))
