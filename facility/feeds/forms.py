"""The subscribe page's form (Flask-WTF: it carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

MINE = "user"


class FeedForm(FlaskForm):
    """What to follow: "user" (own bookings), "facility:KEY" or "resource:KEY"."""

    follow = SelectField(_l("Follow"), choices=[], validators=[DataRequired(_l("Choose what to follow."))])

    def scope_and_target(self) -> tuple[str, str | None]:
        scope, _sep, target = self.follow.data.partition(":")
        return scope, target or None
