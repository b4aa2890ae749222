"""The project office's form for the indicator register."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

DATE = {"type": "date"}


class RegisterForm(FlaskForm):
    kind = SelectField(_l("What"), choices=[], validate_choice=False)
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    day = StringField(_l("Day"), validators=[DataRequired(_l("Give the day it happened."))], render_kw=DATE)
    evidence = TextAreaField(
        _l("Evidence"),
        validators=[DataRequired(_l("Give the evidence: a note or a document reference.")), Length(max=2000)],
    )
    amount_sek = StringField(_l("Amount (SEK)"), render_kw={"inputmode": "numeric"})
    replaces = StringField(_l("Corrects entry no."), render_kw={"inputmode": "numeric"})


class WithdrawForm(FlaskForm):
    evidence = StringField(
        _l("Why"), validators=[DataRequired(_l("Say why the entry no longer counts.")), Length(max=2000)]
    )
