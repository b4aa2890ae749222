"""Sending mail with smtplib, from FACILITY_SMTP_HOST/PORT and FACILITY_MAIL_FROM.

Without an SMTP host, mail is logged and skipped. A failure is logged and reported as False;
it never breaks the caller.

Mail texts are templates, never strings in code: ``send_template(to, "bookings/mail/reminder", **context)``
renders ``templates/bookings/mail/reminder.txt`` with Flask's ``render_template``. The convention of a
mail template: everything before the first blank line is the subject (its whitespace collapsed
to one line), everything after it is the plain-text body. Every text in it is marked for
translation (``{{ _("...%(name)s...", name=...) }}``; a literal percent sign is ``%%``), so
``make translations`` extracts it (babel.cfg maps ``templates/**.txt``). Shared pieces are
macros in ``templates/mail/_macros.txt``; names starting with ``_`` are not mails.

Each recipient gets the mail in their language: ``User.locale`` when it is one the app has
translations for, else ``BABEL_DEFAULT_LOCALE`` (``en``); recipients are grouped by language,
one message per group. ``language=`` forces one language for all. The locales come from the
function in ``app.extensions["facility_mail_locales"]`` (addresses -> {address: locale}), which
the accounts module registers; without it, everyone gets the default language.

Mail sent once (reminders, nudges, warnings) is remembered in `notifications_sent` under a key
(``send_once``), so it goes out once however often, and by however many processes, it is tried.
Mail that a change calls for can be sent by a job that reads the audit trail, which the change
wrote in its own transaction, from where it last stopped (``MailPosition``): the request that
made the change neither renders nor sends it (bookings/notify.py).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Callable, Iterable, Optional

from flask import current_app, render_template
from flask_babel import force_locale, get_babel
from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from facility.core.database import UTCDateTime, write_transaction
from facility.core.extensions import db
from facility.core.time import utcnow

log = logging.getLogger("facility.mail")
SMTP_TIMEOUT_SECONDS = 10
MAIL_LOCALES = "facility_mail_locales"  # app.extensions key: addresses -> {address: locale}
TRANSLATED_LANGUAGES = "facility_translated_languages"  # app.extensions key, filled on first use


class NotificationSent(db.Model):
    """A mail the jobs have sent, by a key such as ``reminder-24h:12:2026-12-01T08:00:00+00:00``."""

    __tablename__ = "notifications_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailPosition(db.Model):
    """How far along the audit trail (``audit_events.seq``) a job has sent the mail it calls for."""

    __tablename__ = "mail_positions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)


def send_mail(
    to: Iterable[str], subject: str, body: str, *, attachment: Optional[tuple[str, str, bytes]] = None
) -> bool:
    """Send one message; ``attachment`` is (file name, content type, bytes). True if handed to the server."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return False
    host = current_app.config.get("FACILITY_SMTP_HOST")
    if not host:
        log.info("no FACILITY_SMTP_HOST: not sending %r to %s", subject, ", ".join(recipients))
        return False
    message = EmailMessage()
    message["From"] = current_app.config.get("FACILITY_MAIL_FROM") or "facility@localhost"
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    if attachment is not None:
        name, content_type, data = attachment
        maintype, _, subtype = content_type.partition(";")[0].partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    try:
        with smtplib.SMTP(
            host, int(current_app.config.get("FACILITY_SMTP_PORT") or 25), timeout=SMTP_TIMEOUT_SECONDS
        ) as smtp:
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %r to %s", subject, ", ".join(recipients))
        return False


def mail_language(locale: Optional[str]) -> str:
    """``locale`` if the app has translations for it, else the default locale."""
    default = str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    if not locale:
        return default
    return locale if locale in _translated_languages() else default


def _translated_languages() -> frozenset[str]:
    """The languages the app has translations for, listed once per app: Flask-Babel lists them
    by reading the translation folders, a cost every mail paid again (issue 12)."""
    known = current_app.extensions.get(TRANSLATED_LANGUAGES)
    if known is None:
        known = frozenset(str(language) for language in get_babel().instance.list_translations())
        current_app.extensions[TRANSLATED_LANGUAGES] = known
    return known


def recipient_languages(addresses: Iterable[str]) -> dict[str, str]:
    """The mail language of each address: its user's locale, or the default for unknown addresses."""
    addresses = list(addresses)
    lookup = current_app.extensions.get(MAIL_LOCALES)
    locales = lookup(addresses) if lookup is not None else {}
    return {address: mail_language(locales.get(address)) for address in addresses}


def render_mail(template: str, language: Optional[str] = None, **context) -> tuple[str, str]:
    """(subject, body) of ``templates/<template>.txt`` rendered in ``language``."""
    with force_locale(mail_language(language)):
        text = render_template(f"{template}.txt", **context).strip()
    subject, _, body = text.partition("\n\n")
    return " ".join(subject.split()), body.strip("\n") + "\n"


def send_template(
    to: Iterable[str],
    template: str,
    *,
    language: Optional[str] = None,
    attachment: Optional[tuple[str, str, bytes]] = None,
    **context,
) -> bool:
    """Render ``templates/<template>.txt`` in each recipient's language (or ``language``) and
    send it. True if it was handed to the server for at least one group of recipients."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return False
    groups: dict[str, list[str]] = {}
    if language is not None:
        groups[mail_language(language)] = recipients
    else:
        for address, chosen in recipient_languages(recipients).items():
            groups.setdefault(chosen, []).append(address)
    sent = False
    for chosen, addresses in sorted(groups.items()):
        subject, body = render_mail(template, chosen, **context)
        sent = send_mail(addresses, subject, body, attachment=attachment) or sent
    return sent


def already_sent(key: str) -> bool:
    return db.session.scalar(select(NotificationSent.id).where(NotificationSent.key == key)) is not None


def send_once(key: str, now: datetime, send: Callable[[], bool]) -> bool:
    """Send unless ``key`` was sent before; remember it only if the mail went out."""
    if already_sent(key):
        return False
    if not send():
        return False
    try:
        with write_transaction():
            db.session.add(NotificationSent(key=key, sent_at=now))
    except IntegrityError:
        log.warning("%s was sent twice by two processes at once", key)
    return True
