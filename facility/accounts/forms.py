"""The accounts' forms (Flask-WTF, each with its CSRF token): sign-in, password, users,
organisations, qualifications and API tokens. Dates are parsed by the views, so that what
the user typed is kept and every problem is said in words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from facility.accounts.models import ROLES
from facility.core.vocabulary import ORGANISATION_KIND_WORDS, ORGANISATION_KINDS, SIZE_CLASSES, SIZE_WORDS

# What the pages say for each role (filter ``role_words``).
ROLE_WORDS = {"scientist": _l("scientist"), "manager": _l("lab manager"), "admin": _l("administrator")}
ROLE_CHOICES = [(role, ROLE_WORDS[role]) for role in ROLES]
KIND_CHOICES = [(kind, ORGANISATION_KIND_WORDS[kind]) for kind in ORGANISATION_KINDS]
SIZE_CHOICES = [(size, SIZE_WORDS[size]) for size in SIZE_CLASSES]

DATE = {"type": "date"}
TIME = {"type": "time"}


class SignInForm(FlaskForm):
    email = StringField(
        _l("E-mail"),
        validators=[DataRequired(_l("Give your e-mail address."))],
        render_kw={"type": "email", "autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Give your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Type the 6-digit code your app shows."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Give your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Type the new password again."))],
        render_kw={"autocomplete": "new-password"},
    )


class QualifyForm(FlaskForm):
    email = StringField(
        _l("User's e-mail"),
        validators=[DataRequired(_l("Give the user's e-mail address."))],
        render_kw={"type": "email"},
    )
    qualification = SelectField(_l("Qualification"), choices=[], validate_choice=False)
    valid_until = StringField(_l("Valid until"), render_kw=DATE)


class OrganisationForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(_l("Give a short key, like 'cellco'.")), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the organisation's name.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    size_class = SelectField(_l("Company size"), choices=[("", "—"), *SIZE_CHOICES], validate_choice=False)
    org_number = StringField(_l("Organisation number"), validators=[Length(max=20)])


class OrgNumberForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    org_number = StringField(
        _l("Organisation number"), validators=[DataRequired(_l("Give the organisation number.")), Length(max=20)]
    )


class SizeClassForm(FlaskForm):
    organisation = SelectField(_l("Company"), choices=[], validate_choice=False)
    size_class = SelectField(_l("Company size"), choices=SIZE_CHOICES, validate_choice=False)
    valid_from = StringField(_l("From"), validators=[DataRequired(_l("Give the day it holds from."))], render_kw=DATE)
    source = StringField(
        _l("Source"),
        validators=[DataRequired(_l("Say where it comes from, like an annual report.")), Length(max=2000)],
    )


class NewUserForm(FlaskForm):
    email = StringField(
        _l("E-mail"), validators=[DataRequired(_l("Give an e-mail address."))], render_kw={"type": "email"}
    )
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the person's name.")), Length(max=200)])
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)
    facilities = SelectMultipleField(_l("Manages facilities"), choices=[], validate_choice=False)
    password = PasswordField(_l("Initial password"), render_kw={"autocomplete": "new-password"})


class EditUserForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)
    facilities = SelectMultipleField(_l("Manages facilities"), choices=[], validate_choice=False)
    active = BooleanField(_l("May sign in"))


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token, e.g. 'lab kiosk'.")), Length(max=100)])


class EmptyForm(FlaskForm):
    """Just the CSRF token (sign-out, revoke, cancel without reason)."""
