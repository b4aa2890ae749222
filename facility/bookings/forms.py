"""Flask-WTF forms (each carries its CSRF token). Dates and times are parsed by the views,
so that what the user typed is kept and every problem is said in words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from facility.bookings.models import BLACKOUT_KINDS
from facility.catalog.models import RESOURCE_STATUSES

DATE = {"type": "date"}
TIME = {"type": "time"}


class BookingForm(FlaskForm):
    resource = SelectField(_l("Resource"), choices=[], validate_choice=False)
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=2000)])
    project = StringField(_l("Project"), validators=[Optional(), Length(max=200)])
    batch = StringField(_l("Batch or lot"), validators=[Optional(), Length(max=100)])


class BundleForm(FlaskForm):
    bundle = SelectField(_l("Suite"), choices=[], validate_choice=False)
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=2000)])
    project = StringField(_l("Project"), validators=[Optional(), Length(max=200)])
    batch = StringField(_l("Batch or lot"), validators=[Optional(), Length(max=100)])


class RescheduleForm(FlaskForm):
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    purpose = TextAreaField(_l("Purpose"), validators=[Length(max=2000)])
    reason = TextAreaField(_l("Reason for the change"), validators=[Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
    password = PasswordField(_l("Your password (electronic signature)"), render_kw={"autocomplete": "current-password"})


class BlackoutForm(FlaskForm):
    target = SelectField(_l("What"), choices=[], validate_choice=False)
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    kind = SelectField(_l("Kind"), choices={k: k for k in BLACKOUT_KINDS}, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class ResourceStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices={s: s for s in RESOURCE_STATUSES}, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Length(max=2000)])


class BlackoutEditForm(FlaskForm):
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    kind = SelectField(_l("Kind"), choices={k: k for k in BLACKOUT_KINDS}, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
