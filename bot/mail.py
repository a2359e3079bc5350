"""Sending mail to shoppers: SMTP when SMTP_URL is set, otherwise (outside production) a folder of .eml
files under var/outbox/, so that a newcomer's `make run` works and shows what would have been sent."""
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Optional, Protocol
from urllib.parse import unquote, urlsplit

from bot.settings import PROJECT_ROOT, Settings, get_settings

OUTBOX = PROJECT_ROOT / "var" / "outbox"
SMTP_TIMEOUT = 10


class MailUnavailable(Exception):
    """The mail could not be handed over; the caller tells the shopper."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    url: str

    def send(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        try:
            if parts.scheme == "smtps":
                client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=SMTP_TIMEOUT,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SMTP_TIMEOUT)
            with client:
                if parts.scheme == "smtp+starttls":
                    client.starttls(context=ssl.create_default_context())
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailUnavailable(f"{type(error).__name__}: {error}") from error


@dataclass(frozen=True)
class FolderMailer:
    """Development stand-in for a mail server: each message becomes an .eml file."""

    folder: Path = OUTBOX

    def send(self, message: EmailMessage) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
            path.write_bytes(bytes(message))
        except OSError as error:
            raise MailUnavailable(str(error)) from error


def mailer_for(settings: Settings) -> Optional[Mailer]:
    """None in production without SMTP_URL: nothing may pretend to have sent a code."""
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url)
    return None if settings.is_production else FolderMailer()


def compose(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


def send_mail(*, to: str, subject: str, body: str, settings: Optional[Settings] = None) -> None:
    settings = settings or get_settings()
    mailer = mailer_for(settings)
    if mailer is None:
        raise MailUnavailable("SMTP_URL is not set")
    mailer.send(compose(sender=settings.mail_from, to=to, subject=subject, body=body))
