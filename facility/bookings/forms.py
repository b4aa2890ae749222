"""Flask-WTF forms (each carries its CSRF token). Dates and times are parsed by the views,
so that what the user typed is kept and every problem is said in words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from facility.bookings.models import BLACKOUT_KINDS
from facility.bookings.words import BLACKOUT_KIND_WORDS, RESOURCE_STATUS_WORDS
from facility.catalog.models import RESOURCE_STATUSES

KIND_CHOICES = [(kind, BLACKOUT_KIND_WORDS[kind]) for kind in BLACKOUT_KINDS]
STATUS_CHOICES = [(status, RESOURCE_STATUS_WORDS[status]) for status in RESOURCE_STATUSES]

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
    # A recurring series (pages/series.py builds the RRULE from these; no JavaScript needed).
    repeat = SelectField(
        _l("Repeat"),
        choices=[("none", _l("Does not repeat")), ("weekly", _l("Weekly, on the weekdays ticked")),
                 ("monthly", _l("Monthly, on the first weekday of the start date"))],
        default="none",
        validate_choice=False,
    )  # fmt: skip
    weekdays = SelectMultipleField(
        _l("On"),
        choices=[("0", _l("Mon")), ("1", _l("Tue")), ("2", _l("Wed")), ("3", _l("Thu")), ("4", _l("Fri")),
                 ("5", _l("Sat")), ("6", _l("Sun"))],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,
    )  # fmt: skip
    repeat_count = StringField(_l("Number of times"), render_kw={"inputmode": "numeric"})
    repeat_until = StringField(_l("Or until (date)"), render_kw=DATE)
    # Managers only: book on behalf of a user (the rules are judged for them; the booking is theirs).
    for_user = SelectField(_l("Book for"), choices=[], validate_choice=False)
    for_email = StringField(_l("or for the user with the e-mail"), validators=[Optional(), Length(max=320)])


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
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class ResourceStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Length(max=2000)])


class BlackoutEditForm(FlaskForm):
    start_date = StringField(_l("Start date"), render_kw=DATE)
    start_time = StringField(_l("Start time"), render_kw=TIME)
    end_date = StringField(_l("End date"), render_kw=DATE)
    end_time = StringField(_l("End time"), render_kw=TIME)
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])
