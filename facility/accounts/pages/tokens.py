"""Personal API tokens: create with a name (the secret is shown once), see last use, revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from facility.accounts import services as accounts
from facility.accounts.forms import EmptyForm, TokenForm
from facility.accounts.pages import bp
from facility.http.pages import Problems, me


def _page(form, problems, secret=None, status=200):
    return render_template(
        "accounts/tokens.html",
        form=form,
        problems=problems,
        secret=secret,
        tokens=accounts.list_tokens(me()),
        revoke_form=EmptyForm(formdata=None),
    ), status


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    form, problems = TokenForm(), Problems()
    if not form.is_submitted():
        return _page(form, problems)
    if form.validate_on_submit():
        _token, secret = accounts.issue_token(me().email, form.name.data.strip(), actor=me())
        # Shown once, on this response only; only its hash is stored.
        return _page(TokenForm(formdata=None), problems, secret=secret, status=201)
    problems.add_form_errors(form)
    return _page(form, problems, status=422)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    token = accounts.revoke_token(me(), token_id)  # 404 unless it is the caller's own live token
    flash(_("Token '%(name)s' revoked.", name=token.name))
    return redirect(url_for("accounts_pages.tokens"))
