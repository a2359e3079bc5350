"""The chat's offline form: a shopper leaves an email and a message, which becomes a ticket in the agent
console (reason "offline_message", the email as its contact, the message in its summary), and the shopper
gets a short confirmation by mail. The confirmation never repeats the message: the address is the
shopper's word, and the form must not become a way to mail any text to anyone."""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Optional

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat.limits import clean_text
from bot.db.models import OfflineConfirmation
from bot.handoff.queue import Summary, is_flooding, open_ticket
from bot.mail import Mailer, compose

REASON = "offline_message"
MAX_MESSAGE = 2000
MAX_EMAIL = 254
# One conversation adds at most this many messages to its ticket; the tickets a client may open are
# limited by bot/handoff/queue.py (TICKETS_PER_CLIENT per hour), as for handoffs.
MESSAGES_PER_TICKET = 5
LANGUAGES = ("en", "de")
# The confirmations one address may be sent, whoever fills in the form: it names no one but the address,
# yet a stranger should not be able to fill someone's mailbox with them.
CONFIRMATIONS_PER_RECIPIENT = 3
CONFIRMATION_WINDOW = timedelta(hours=24)
# A plain address: letters, digits and . _ + - ' before the @ (no % or ! relay routing, no quoted or
# bracketed parts), dot-separated host labels and a top-level domain of letters.
ADDRESS = re.compile(r"(?!\.)(?!.*\.\.)[a-z0-9._+'-]{1,64}(?<!\.)@"
                     r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE)
# Direction overrides and isolates reorder what an agent reads (U+202E shows "gpj.exe" as "exe.jpg").
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Set by a caller with another way to send mail (tests: a local SMTP server); otherwise from the settings.
MAILER = web.AppKey("mailer", object)

BAD_EMAIL = "Please enter a valid email address, so that we can answer you."
BAD_MESSAGE = f"Please write a message of 1 to {MAX_MESSAGE} characters."
TOO_MANY = ("You've already left us several messages. Our team will answer them by email; please write to "
            "{email} if anything else comes up.")

CONFIRMATION = {
    "en": ("We've received your message",
           "Hello,\n\nthank you for writing to {store}. We have received your message (reference #{ticket}) "
           "and our team will answer you at this address during our support hours ({hours}).\n\n"
           "If you did not write to us, you can ignore this email.\n\n{store}\n"),
    "de": ("Wir haben Ihre Nachricht erhalten",
           "Hallo,\n\nvielen Dank für Ihre Nachricht an {store}. Wir haben sie erhalten (Referenz #{ticket}); "
           "unser Team antwortet Ihnen an diese Adresse während unserer Servicezeiten ({hours}).\n\n"
           "Falls Sie uns nicht geschrieben haben, können Sie diese E-Mail ignorieren.\n\n{store}\n"),
}


class Refused(ValueError):
    """The form cannot be taken; the message is for the shopper."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class OfflineMessage:
    email: str
    message: str
    language: str


def read_form(data: dict) -> OfflineMessage:
    """The form's fields, checked; Refused (400) with what to correct."""
    email, message, language = data.get("email"), clean_text(data.get("message")), data.get("language")
    if not isinstance(email, str) or len(email.strip()) > MAX_EMAIL or not ADDRESS.fullmatch(email.strip()):
        raise Refused(BAD_EMAIL)
    if isinstance(message, str):
        message = BIDI_CONTROLS.sub("", message)
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise Refused(BAD_MESSAGE)
    language = language.split("-")[0].lower() if isinstance(language, str) else ""
    return OfflineMessage(email.strip().lower(), message.strip(), language if language in LANGUAGES else "en")


def leave_message(session: Session, *, conversation_id: str, form: OfflineMessage, client: str, now: datetime,
                  team_email: str) -> int:
    """The ticket's id: the conversation's open ticket gets the message, else a new ticket is opened.
    Refused (429) when the client has opened its share of tickets or the ticket holds enough already."""
    if is_flooding(session, conversation_id=conversation_id, client=client, now=now):
        raise Refused(TOO_MANY.format(email=team_email), status=429)
    ticket = open_ticket(session, conversation_id=conversation_id, reason=REASON, peak_anger=0.0, peak_level="none",
                         summary=Summary([], {}, []), now=now, client=client)
    summary = json.loads(ticket.summary or "{}")
    left = summary.setdefault("offline_messages", [])
    if len(left) >= MESSAGES_PER_TICKET:
        raise Refused(TOO_MANY.format(email=team_email), status=429)
    left.append({"email": form.email, "message": form.message, "language": form.language,
                 "at": now.isoformat() + "Z"})
    summary.setdefault("asked", []).append(form.message)
    summary.setdefault("last_messages", []).append({"from": "shopper", "text": form.message})
    ticket.summary = json.dumps(summary)
    ticket.contact_email = form.email
    session.flush()
    return ticket.id


def recipient_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def may_confirm(session: Session, *, ticket_id: int, email: str, now: datetime) -> bool:
    """Whether the ticket's confirmation may be mailed now; if so it is recorded (before sending: a mail
    that then fails still counts). One per ticket, CONFIRMATIONS_PER_RECIPIENT per address a day."""
    key = recipient_key(email)
    if session.execute(select(OfflineConfirmation.id).where(OfflineConfirmation.ticket_id == ticket_id)).first():
        return False
    recent = session.execute(select(func.count()).select_from(OfflineConfirmation).where(
        OfflineConfirmation.recipient_key == key,
        OfflineConfirmation.sent_at >= now - CONFIRMATION_WINDOW)).scalar_one()
    if recent >= CONFIRMATIONS_PER_RECIPIENT:
        return False
    session.add(OfflineConfirmation(ticket_id=ticket_id, recipient_key=key, sent_at=now))
    session.flush()
    return True


def confirmation(*, form: OfflineMessage, ticket_id: int, sender: str, store: str, hours: str) -> EmailMessage:
    subject, body = CONFIRMATION[form.language]
    return compose(sender=sender, to=form.email, subject=subject,
                   body=body.format(store=store, ticket=ticket_id, hours=hours))


def mailer_of(app: web.Application) -> Optional[Mailer]:
    from bot.mail import mailer_for
    from bot.settings import get_settings

    return app[MAILER] if MAILER in app else mailer_for(get_settings())
