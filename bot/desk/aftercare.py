"""After the conversation: the shopper's rating once an agent has resolved their ticket (CSAT), the agent's
reply by email with the conversation's transcript (the offline follow-up), and the transcript a shopper
asks for from the widget. Queries take the session; the routes are bot/desk/aftercare_routes.py (staff)
and bot/desk/chat_routes.py (the widget's).

Every mail to a shopper is a ShopperMail row, written before the mail is handed over (so that parallel
requests cannot all pass the limits) and removed again when it could not be: the limits per recipient,
per conversation and for the whole desk count those rows. A transcript goes only to the conversation of
the widget session that asks (its 128-bit id is the shopper's key, the same key that reads it back), and
never carries internal notes: the transcript is what the shopper saw."""
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any, Dict, Iterable, List, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.chat.limits import clean_text
from bot.db import session_scope
from bot.db.models import ShopperMail, Ticket, TicketStatus
from bot.desk import sla
from bot.desk.offline_messages import ADDRESS, BAD_EMAIL, BIDI_CONTROLS, MAX_EMAIL
from bot.email_masking import EMAIL_ADDRESS, mask_email
from bot.handoff import history
from bot.mail import compose

# -- CSAT ---------------------------------------------------------------------------------------------
# The widget asks for a rating of a ticket resolved this recently (a shopper back weeks later is not).
CSAT_WINDOW = timedelta(days=7)
MAX_COMMENT = 1000
SCORES = range(1, 6)
# A ticket closed as spam asks its sender for nothing.
NO_CSAT_TAGS = ("spam",)

# -- mail limits (ShopperMail rows in the last day) -------------------------------------------------
DAY = timedelta(hours=24)
TRANSCRIPTS_PER_CONVERSATION = 3
TRANSCRIPTS_PER_RECIPIENT = 3
# All transcripts the desk mails in a day: past it a script spraying addresses finds the feature closed
# (and the desk logs it) instead of the shop's mail server sending its text to strangers.
TRANSCRIPTS_PER_DAY = 500
# An agent's replies by email to one address a day (a slip of the keyboard, a stolen login).
REPLIES_PER_RECIPIENT = 20
MAX_REPLY = 2000
# The newest lines a mailed transcript holds.
MAX_TRANSCRIPT_LINES = 300

LANGUAGES = ("en", "de")
WORDS = {
    "en": {"you": "You", "assistant": "Assistant", "team": "{store} team", "photo": "[photo]",
           "transcript": "Your conversation with us", "times": "Times are {zone}.",
           "transcript_subject": "Your conversation with {store}",
           "transcript_body": "Hello,\n\nhere is your conversation with {store}, as you asked in the chat.\n\n"
                              "{transcript}\n\nIf you did not ask for this email, you can ignore it.\n\n{store}\n",
           "reply_subject": "{store}: our answer to your message (#{ticket})",
           "reply_body": "{text}\n\n{agent}\n{store}\n\nTo answer, simply reply to this email.\n\n"
                         "-- {heading} --\n{transcript}\n"},
    "de": {"you": "Sie", "assistant": "Assistent", "team": "Team von {store}", "photo": "[Foto]",
           "transcript": "Ihre Unterhaltung mit uns", "times": "Zeitangaben: {zone}.",
           "transcript_subject": "Ihre Unterhaltung mit {store}",
           "transcript_body": "Hallo,\n\nhier ist Ihre Unterhaltung mit {store}, wie Sie sie im Chat angefordert "
                              "haben.\n\n{transcript}\n\nFalls Sie diese E-Mail nicht angefordert haben, können "
                              "Sie sie ignorieren.\n\n{store}\n",
           "reply_subject": "{store}: unsere Antwort auf Ihre Nachricht (#{ticket})",
           "reply_body": "{text}\n\n{agent}\n{store}\n\nUm zu antworten, antworten Sie einfach auf diese E-Mail.\n\n"
                         "-- {heading} --\n{transcript}\n"},
}

NOTHING_TO_SEND = "There is nothing to send yet: the conversation is empty."
TOO_MANY_TRANSCRIPTS = "This conversation has been sent by email often enough today; please try again tomorrow."
TRANSCRIPTS_CLOSED = "Conversations can't be sent by email right now; please try again later."
NO_CONTACT = "The shopper left no email address; answer in the chat instead."
TOO_MANY_REPLIES = "This address has had many emails from us today; please answer in the chat or tomorrow."

_MAIL_CLAIMS = threading.Lock()


class Refused(ValueError):
    """The request cannot be done; the message is for the person asking (shopper or agent)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# -- CSAT ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsatAnswer:
    ticket_id: int
    score: Optional[int]
    comment: Optional[str]
    skip: bool


def _latest_ticket(session: Session, conversation_id: str) -> Optional[Ticket]:
    return session.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)
                           .order_by(Ticket.id.desc()).limit(1)).scalars().first()


def _wants_rating(ticket: Ticket, now: datetime) -> bool:
    return (ticket.status == TicketStatus.resolved and ticket.assigned_agent_id is not None
            and ticket.resolved_at is not None and ticket.resolved_at >= now - CSAT_WINDOW
            and ticket.resolution_tag not in NO_CSAT_TAGS)


def csat_request(session: Session, *, conversation_id: str, now: datetime) -> Optional[dict]:
    """{"ticket": id} while the conversation's latest ticket was resolved by an agent (lately) and is
    neither rated nor skipped: the widget shows its rating card. None otherwise."""
    ticket = _latest_ticket(session, conversation_id)
    if ticket is None or not _wants_rating(ticket, now) or ticket.csat_score is not None or ticket.csat_skipped:
        return None
    return {"ticket": ticket.id}


def read_csat(data: dict) -> CsatAnswer:
    """The widget's answer, checked: a score of 1-5 with an optional comment, or skip. Refused (400)."""
    ticket_id, score, comment, skip = data.get("ticket"), data.get("score"), data.get("comment"), data.get("skip")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or not 1 <= ticket_id <= 2**31 - 1:
        raise Refused("ticket must be the number of the conversation's ticket.")
    if skip not in (None, False, True):
        raise Refused("skip must be true or false.")
    if skip:
        if score is not None or comment not in (None, ""):
            raise Refused("Send a rating or skip it, not both.")
        return CsatAnswer(ticket_id, None, None, True)
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise Refused("Please choose a rating from 1 to 5.")
    if comment is not None and not isinstance(comment, str):
        raise Refused("The comment must be text.")
    comment = BIDI_CONTROLS.sub("", clean_text(comment) or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Refused(f"Comments can be up to {MAX_COMMENT} characters.")
    return CsatAnswer(ticket_id, score, comment or None, False)


def record_csat(session: Session, *, conversation_id: str, answer: CsatAnswer, now: datetime) -> None:
    """Stores the rating (or the skip) on the ticket, once: Refused 404 for a ticket of another
    conversation (or none), 409 when it is not awaiting a rating (open, or already answered)."""
    ticket = session.get(Ticket, answer.ticket_id)
    if ticket is None or ticket.conversation_id != conversation_id:
        raise Refused("There is no such conversation to rate.", status=404)
    if not _wants_rating(ticket, now):
        raise Refused("This conversation can't be rated now.", status=409)
    # One conditional update: of two answers sent at once, one is stored and the other told so.
    stored = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.csat_score.is_(None), Ticket.csat_skipped.is_(False))
        .values(csat_score=answer.score, csat_comment=answer.comment, csat_skipped=answer.skip, csat_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if stored != 1:
        raise Refused("Thanks, we already have your answer for this conversation.", status=409)
    detail = {"skipped": True} if answer.skip else {"score": answer.score, "comment": answer.comment is not None}
    history.record(session, ticket_id=ticket.id, kind="csat", at=now, detail=detail)


def csat_json(ticket: Ticket) -> Optional[dict]:
    """The rating as the console shows it: {"score", "comment", "at"}, or None (unrated or skipped)."""
    if ticket.csat_score is None:
        return None
    return {"score": ticket.csat_score, "comment": ticket.csat_comment,
            "at": ticket.csat_at.isoformat() + "Z" if ticket.csat_at else None}


# -- transcripts as text ------------------------------------------------------------------------------
def _language(value: Any) -> str:
    language = value.split("-")[0].lower() if isinstance(value, str) else ""
    return language if language in LANGUAGES else "en"


def _when(at: Any, zone: ZoneInfo) -> str:
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        return ""
    try:
        return datetime.fromtimestamp(at, timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return ""


def transcript_text(lines: Iterable[Dict[str, Any]], *, store: str, time_zone: str, language: str = "en") -> str:
    """The conversation as plain text, one block per message, in the store's time zone:

        [2026-11-23 10:02] You: where is my parcel?
        [2026-11-23 10:05] Ana (Trailhead Supply team): It left our warehouse today.

    Only what the shopper saw: shopper, assistant, agent and system lines (no anger, no notes)."""
    words, zone = WORDS[_language(language)], ZoneInfo(time_zone)
    blocks = []
    for line in list(lines)[-MAX_TRANSCRIPT_LINES:]:
        sender = line.get("from")
        text = str(line.get("text") or "").strip()
        if sender == "shopper":
            who = words["you"]
            if line.get("attachments"):
                text = f"{text} {words['photo']}".strip()
        elif sender == "agent":
            who = f"{line.get('agent_name') or ''} ({words['team'].format(store=store)})".strip()
        elif sender == "bot":
            who = words["assistant"]
        elif sender == "system":
            who = ""
        else:
            continue
        if not text:
            continue
        when = _when(line.get("at"), zone)
        head = (f"[{when}] " if when else "") + (f"{who}: " if who else "* ")
        blocks.append(head + text.replace("\n", "\n    "))
    return "\n".join(blocks + ["", words["times"].format(zone=time_zone)])


def _epoch(value: Any) -> Optional[float]:
    """An ISO time the desk wrote ("2026-11-23T15:00:00Z", UTC) as epoch seconds, like Rasa's "at"."""
    try:
        return datetime.fromisoformat(str(value).rstrip("Z")).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def offline_lines(session: Session, *, conversation_id: str) -> List[Dict[str, Any]]:
    """What the shopper left in the offline form, as transcript lines: it is kept on the conversation's
    tickets (bot/desk/offline_messages.py), not in the conversation Rasa holds."""
    lines = []
    for summary in session.execute(select(Ticket.summary).where(Ticket.conversation_id == conversation_id)
                                   .order_by(Ticket.id)).scalars():
        for left in json.loads(summary or "{}").get("offline_messages") or []:
            if isinstance(left, dict) and isinstance(left.get("message"), str):
                lines.append({"from": "shopper", "text": left["message"], "at": _epoch(left.get("at"))})
    return lines


def with_offline_lines(lines: List[Dict[str, Any]], offline: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The conversation with the offline form's messages in time order (each before the first line
    written after it)."""
    merged = list(lines)
    for line in offline:
        at = line.get("at")
        index = len(merged)
        if isinstance(at, (int, float)):
            index = next((i for i, other in enumerate(merged)
                          if isinstance(other.get("at"), (int, float)) and other["at"] > at), len(merged))
        merged.insert(index, line)
    return merged


def has_shopper_lines(lines: Iterable[Dict[str, Any]]) -> bool:
    return any(line.get("from") == "shopper" and str(line.get("text") or "").strip() for line in lines)


def _mail(*, sender: str, to: str, subject: str, body: str, reply_to: str) -> EmailMessage:
    message = compose(sender=sender, to=to, subject=subject, body=body)
    message["Reply-To"] = reply_to
    return message


def transcript_mail(*, to: str, lines: List[Dict[str, Any]], language: str, sender: str, store: str,
                    support_email: str, time_zone: str) -> EmailMessage:
    words = WORDS[_language(language)]
    text = transcript_text(lines, store=store, time_zone=time_zone, language=language)
    return _mail(sender=sender, to=to, reply_to=support_email, subject=words["transcript_subject"].format(store=store),
                 body=words["transcript_body"].format(store=store, transcript=text))


def reply_mail(*, to: str, text: str, agent: str, ticket_id: int, lines: List[Dict[str, Any]], language: str,
               sender: str, store: str, support_email: str, time_zone: str) -> EmailMessage:
    words = WORDS[_language(language)]
    transcript = transcript_text(lines, store=store, time_zone=time_zone, language=language)
    return _mail(sender=sender, to=to, reply_to=support_email,
                 subject=words["reply_subject"].format(store=store, ticket=ticket_id),
                 body=words["reply_body"].format(text=text, agent=agent, store=store, heading=words["transcript"],
                                                 transcript=transcript))


# -- addresses ----------------------------------------------------------------------------------------
def read_address(value: Any) -> str:
    """A plain address (as the offline form takes them), lowercased; Refused (400) otherwise."""
    if not isinstance(value, str) or len(value.strip()) > MAX_EMAIL or not ADDRESS.fullmatch(value.strip()):
        raise Refused(BAD_EMAIL)
    return value.strip().lower()


def email_left_in_chat(lines: Iterable[Dict[str, Any]], *, since: Optional[float] = None) -> Optional[str]:
    """The latest plain address the shopper typed in the chat (at or after `since`, epoch seconds: the
    ticket's start), lowercased; the acknowledgement promised them an answer there. None if none."""
    found = None
    for line in lines:
        at = line.get("at")
        if line.get("from") != "shopper" or (since is not None and isinstance(at, (int, float)) and at < since):
            continue
        for match in EMAIL_ADDRESS.finditer(str(line.get("text") or "")):
            address = match.group(0)
            if len(address) <= MAX_EMAIL and ADDRESS.fullmatch(address):
                found = address.lower()
    return found


def recipient_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


# -- mail rows and limits -----------------------------------------------------------------------------
def claim_mail(session: Session, *, kind: str, conversation_id: str, email: str, now: datetime,
               ticket_id: Optional[int] = None) -> int:
    """The ShopperMail row of a mail about to be sent (its id), written when the limits allow it; Refused
    (429) when not. Run it through `claim_mail_committed`, which lets one check-and-write happen at a time."""
    key, since = recipient_key(email), now - DAY
    recent = select(func.count()).select_from(ShopperMail).where(ShopperMail.kind == kind,
                                                                 ShopperMail.sent_at >= since)

    def count(*conditions) -> int:
        return session.execute(recent.where(*conditions)).scalar_one()

    if kind == "transcript":
        if count(ShopperMail.conversation_id == conversation_id) >= TRANSCRIPTS_PER_CONVERSATION:
            raise Refused(TOO_MANY_TRANSCRIPTS, status=429)
        if count(ShopperMail.recipient_key == key) >= TRANSCRIPTS_PER_RECIPIENT:
            raise Refused(TOO_MANY_TRANSCRIPTS, status=429)
        if count() >= TRANSCRIPTS_PER_DAY:
            raise Refused(TRANSCRIPTS_CLOSED, status=429)
    elif count(ShopperMail.recipient_key == key) >= REPLIES_PER_RECIPIENT:
        raise Refused(TOO_MANY_REPLIES, status=429)
    mail = ShopperMail(kind=kind, ticket_id=ticket_id, conversation_id=conversation_id, recipient_key=key, sent_at=now)
    session.add(mail)
    session.flush()
    return mail.id


def claim_mail_committed(engine: Engine, **arguments) -> int:
    with _MAIL_CLAIMS, session_scope(engine) as session:  # committed before the next claim looks
        return claim_mail(session, **arguments)


def release_mail(session: Session, mail_id: int) -> None:
    """The mail could not be handed over: it does not count."""
    session.execute(delete(ShopperMail).where(ShopperMail.id == mail_id))


# -- the agent's reply by email -----------------------------------------------------------------------
@dataclass(frozen=True)
class ReplyTarget:
    ticket_id: int
    conversation_id: str
    contact_email: Optional[str]
    since: float  # the ticket's start, epoch seconds (Rasa's clock)
    language: str
    offline: List[Dict[str, Any]]  # what the shopper left in the offline form, as transcript lines


def reply_target(session: Session, *, ticket_id: int, agent_id: int) -> ReplyTarget:
    """What an email reply needs of a ticket the agent holds; Refused 404 (no such ticket) or 409 (not
    theirs)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise Refused("no such ticket", status=404)
    if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != agent_id:
        raise Refused("claim the conversation first", status=409)
    left = json.loads(ticket.summary or "{}").get("offline_messages") or [{}]
    language = left[-1].get("language") if isinstance(left[-1], dict) else None
    return ReplyTarget(ticket.id, ticket.conversation_id, ticket.contact_email,
                       ticket.created_at.replace(tzinfo=timezone.utc).timestamp(), _language(language),
                       offline_lines(session, conversation_id=ticket.conversation_id))


def record_emailed(session: Session, *, ticket_id: int, agent_id: int, email: str, text: str, now: datetime) -> None:
    """After the reply was handed to the mail server: the history ("emailed", with the words sent), the
    address kept on the ticket (when it came from the chat), and the agent's reply on the clocks."""
    ticket = session.get(Ticket, ticket_id)
    if ticket.contact_email is None:
        ticket.contact_email = email
    ticket.last_agent_at = now
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    sla.refresh_clock(session, ticket, now)
    history.record(session, ticket_id=ticket_id, kind="emailed", at=now, actor_id=agent_id,
                   detail={"to": mask_email(email), "text": text})

