"""Administrators: organisations (kind and company size), users, their roles and facilities."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from facility.accounts import organisations
from facility.accounts import services as accounts
from facility.accounts.forms import EditUserForm, NewUserForm, OrganisationForm, OrgNumberForm, SizeClassForm
from facility.accounts.pages import bp
from facility.catalog.services import list_facilities
from facility.core.errors import ServiceError
from facility.http.pages import Problems, me, require_an_admin


def _facility_choices():
    return {f.key: f.name for f in list_facilities()}


def _admin_page(org_form=None, user_form=None, problems=None, status=200, number_form=None, size_form=None):
    org_form = org_form or OrganisationForm(formdata=None, prefix="org")
    user_form = user_form or NewUserForm(formdata=None, prefix="user")
    number_form = number_form or OrgNumberForm(formdata=None, prefix="number")
    size_form = size_form or SizeClassForm(formdata=None, prefix="size")
    listed = accounts.list_organisations()
    user_form.organisation.choices = number_form.organisation.choices = {o.key: o.name for o in listed}
    size_form.organisation.choices = {o.key: o.name for o in listed if o.kind == "company"}
    user_form.facilities.choices = _facility_choices()
    return render_template(
        "accounts/admin.html",
        organisations=listed,
        formatted=organisations.formatted,
        users=accounts.list_users(),
        org_form=org_form,
        user_form=user_form,
        number_form=number_form,
        size_form=size_form,
        problems=problems or Problems(),
    ), status


@bp.route("/admin")
def admin():
    require_an_admin()
    return _admin_page()


@bp.route("/admin/organisations", methods=["POST"])
def create_organisation():
    require_an_admin()
    form, problems = OrganisationForm(prefix="org"), Problems()
    if form.validate_on_submit():
        try:
            accounts.create_organisation(
                form.key.data.strip(),
                form.name.data.strip(),
                form.kind.data or "",
                form.size_class.data or None,
                actor=me(),
                org_number=(form.org_number.data or "").strip() or None,
            )
        except ServiceError as error:
            problems.add_service_error(error, ("key", "kind", "size", "org_number"), {"size": "size_class"})
            return _admin_page(org_form=form, problems=_prefixed(problems, "org"), status=error.status)
        flash(_("Organisation %(name)s added.", name=form.name.data.strip()))
        return redirect(url_for("accounts_pages.admin"))
    problems.add_form_errors(form)
    return _admin_page(org_form=form, problems=problems, status=422)


@bp.route("/admin/organisation-numbers", methods=["POST"])
def set_org_number():
    require_an_admin()
    form, problems = OrgNumberForm(prefix="number"), Problems()
    if form.validate_on_submit():
        try:
            organisations.set_org_number(me(), form.organisation.data or "", form.org_number.data)
        except ServiceError as error:
            if error.status == 403:
                raise
            problems.add_service_error(error, ("org_number", "organisation"))
            return _admin_page(number_form=form, problems=_prefixed(problems, "number"), status=error.status)
        flash(_("Organisation number saved."))
        return redirect(url_for("accounts_pages.admin"))
    problems.add_form_errors(form)
    return _admin_page(number_form=form, problems=problems, status=422)


@bp.route("/admin/organisation-sizes", methods=["POST"])
def record_size_class():
    require_an_admin()
    form, problems = SizeClassForm(prefix="size"), Problems()
    if form.validate_on_submit():
        try:
            valid_from = date.fromisoformat(form.valid_from.data.strip())
        except ValueError:
            problems.add("size-valid_from", _("Give a date like 2026-11-30."))
            return _admin_page(size_form=form, problems=problems, status=422)
        try:
            organisations.record_size_class(
                me(), form.organisation.data or "", form.size_class.data or "", valid_from, form.source.data
            )
        except ServiceError as error:
            if error.status == 403:
                raise
            problems.add_service_error(error, ("size_class", "source"))
            return _admin_page(size_form=form, problems=_prefixed(problems, "size"), status=error.status)
        flash(_("Size class recorded."))
        return redirect(url_for("accounts_pages.admin"))
    problems.add_form_errors(form)
    return _admin_page(size_form=form, problems=problems, status=422)


@bp.route("/admin/users", methods=["POST"])
def create_user():
    require_an_admin()
    form, problems = NewUserForm(prefix="user"), Problems()
    form.organisation.choices = {o.key: o.name for o in accounts.list_organisations()}
    form.facilities.choices = _facility_choices()
    if form.validate_on_submit():
        try:
            accounts.create_user(
                form.email.data,
                form.name.data.strip(),
                form.organisation.data or "",
                form.role.data or "",
                facilities=form.facilities.data or [],
                password=form.password.data or None,
                actor=me(),
            )
        except ServiceError as error:
            problems.add_service_error(
                error, ("email", "role", "facilities", "organisation", "password"), {"facility": "facilities"}
            )
            return _admin_page(user_form=form, problems=_prefixed(problems, "user"), status=error.status)
        flash(_("User %(email)s added.", email=form.email.data.strip().lower()))
        return redirect(url_for("accounts_pages.admin"))
    problems.add_form_errors(form)
    return _admin_page(user_form=form, problems=problems, status=422)


def _prefixed(problems: Problems, prefix: str) -> Problems:
    """Service errors name bare fields; the admin page's forms carry a prefix."""
    result = Problems()
    for field, messages in problems.items():
        for message in messages:
            result.add(f"{prefix}-{field}" if field else "", message)
    return result


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    require_an_admin()
    user = accounts.get_user(user_id)
    problems, status = Problems(), 200
    if request.method == "GET":
        form = EditUserForm(
            formdata=None, role=user.role, facilities=[f.key for f in user.facilities], active=user.active
        )
    else:
        form = EditUserForm()
    form.facilities.choices = _facility_choices()
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                accounts.update_user(
                    me(),
                    user_id,
                    role=form.role.data or "",
                    facilities=form.facilities.data or [],
                    active=bool(form.active.data),
                )
            except ServiceError as error:
                problems.add_service_error(error, ("role", "facilities"))
                status = error.status
            else:
                flash(_("%(email)s is saved.", email=user.email))
                return redirect(url_for("accounts_pages.admin"))
        else:
            problems.add_form_errors(form)
    return render_template("accounts/edit_user.html", user=user, form=form, problems=problems), status
