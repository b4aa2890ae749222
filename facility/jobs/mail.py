"""Sending mail with smtplib, from FACILITY_SMTP_HOST/PORT and FACILITY_MAIL_FROM.

Without an SMTP host, mail is logged and skipped. A failure is logged and reported as False;
it never breaks the caller.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Iterable, Optional

from flask import current_app

log = logging.getLogger("facility.mail")
SMTP_TIMEOUT_SECONDS = 10


def send_mail(to: Iterable[str], subject: str, body: str, *,
              attachment: Optional[tuple[str, str, bytes]] = None) -> bool:
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
        with smtplib.SMTP(host, int(current_app.config.get("FACILITY_SMTP_PORT") or 25),
                          timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %r to %s", subject, ", ".join(recipients))
        return False
