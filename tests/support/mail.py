"""A real SMTP server on 127.0.0.1 (the app sends its mail over a socket) that keeps what it receives."""

from __future__ import annotations

import email
import time
from typing import Callable, Optional


class Inbox:
    """``deliver``: what the scheduler does between a change and its mail (the mail about
    bookings is sent by its ``booking_mails`` job from the audit trail), run before waiting."""

    def __init__(self, deliver: Optional[Callable[[], object]] = None):
        self.messages: list[email.message.Message] = []
        self.deliver = deliver

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        if self.deliver is not None:
            self.deliver()
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["X-Rcpt"]]
