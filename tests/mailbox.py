"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps what it receives."""
import email
import email.policy
import re
from contextlib import contextmanager
from typing import Iterator, List

from aiosmtpd.controller import Controller

from tests.integration.servers import free_port


class Mailbox:
    def __init__(self) -> None:
        self.messages: List[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def codes_for(self, address: str) -> List[str]:
        """The six-digit codes mailed to `address`, oldest first."""
        return [re.search(r"\b(\d{6})\b", m.get_content()).group(1) for m in self.messages
                if m["To"] == address and re.search(r"\b\d{6}\b", m.get_content())]


@contextmanager
def smtp_server() -> Iterator[tuple]:
    """(mailbox, SMTP_URL) while a local SMTP server runs."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
