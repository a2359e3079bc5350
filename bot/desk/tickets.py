"""The queries behind the agent console: tickets as the console shows them, notes, and who holds a
conversation. Each function takes a session and returns plain values (dicts, ids), never ORM objects."""
import json
from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Ticket, TicketEvent, TicketNote, TicketStatus, User
from bot.desk import attachments, inbox, sla
from bot.desk import canned, conversation, customers
from bot.handoff.history import record
from bot.handoff.queue import claim, preview_text, resolve
from bot.knowledge.loader import KnowledgeBase
from bot.orders.lookup import find_order_view
from bot.orders.masking import mask_email

# Waiting longer than this is highlighted in the queue (seconds).
LONG_WAIT = 15 * 60


class NoSuchTicket(LookupError):
    pass


class NotYours(RuntimeError):
    """The ticket is not assigned to the agent asking."""


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() + "Z" if moment is not None else None


def ticket_json(ticket: Ticket, now: datetime, *, viewer_id: Optional[int] = None) -> dict:
    """A ticket as the console lists it; `unread` is for the viewer (bot/desk/inbox.py has_unread)."""
    waited = int(((ticket.assigned_at or now) - ticket.created_at).total_seconds())
    summary = json.loads(ticket.summary or "{}")
    return {
        "id": ticket.id, "conversation_id": ticket.conversation_id, "reason": ticket.reason,
        "reason_text": inbox.reason_text(ticket.reason), "peak_anger": ticket.peak_anger,
        "anger_level": inbox.anger_level(ticket), "priority": ticket.priority, "status": ticket.status.value,
        "created_at": _iso(ticket.created_at), "waiting_seconds": waited,
        "long_wait": ticket.status == TicketStatus.waiting and waited > LONG_WAIT,
        "assigned_agent": ticket.assigned_agent.name if ticket.assigned_agent else None,
        "assigned_agent_id": ticket.assigned_agent_id, "assigned_at": _iso(ticket.assigned_at),
        "handle_seconds": ticket.handle_seconds, "summary": summary,
        "contact_email": ticket.contact_email, "preview": ticket.preview or _summary_preview(summary),
        "last_shopper_at": _iso(ticket.last_shopper_at), "last_agent_at": _iso(ticket.last_agent_at),
        "first_reply_at": _iso(ticket.first_reply_at), "awaiting_reply": inbox.awaiting_reply(ticket),
        "verified_order": ticket.verified_order, "customer_email": ticket.customer_email,
        "flagged": bool(ticket.flagged), "resolution_tag": ticket.resolution_tag,
        "resolved_at": _iso(ticket.resolved_at), "sla": sla.clock_json(ticket, now),
        "csat": ({"score": ticket.csat_score, "comment": ticket.csat_comment, "at": _iso(ticket.csat_at)}
                 if ticket.csat_score is not None else None),
        "unread": inbox.has_unread(ticket, viewer_id),
    }


def _summary_preview(summary: dict) -> Optional[str]:
    """For tickets opened before previews were kept, or by the offline form: the latest thing asked."""
    asked = [text for text in summary.get("asked") or [] if isinstance(text, str) and text.strip()]
    return preview_text(asked[-1]) if asked else None


def verified_order_details(session: Session, slots: dict) -> Optional[dict]:
    """The order the shopper proved is theirs in the chat, for the agent; None if none was verified."""
    number = slots.get("verified_order")
    if not number or not slots.get("order_verified"):
        return None
    order = find_order_view(session, number=number)
    if order is None:
        return None
    return {
        "number": order.number, "status": order.status.value, "email": mask_email(order.email),
        "items": [f"{line.quantity} x {line.name} ({line.size})" for line in order.lines],
        "carrier": order.carrier, "tracking_number": order.tracking_number,
        "estimated_delivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
        "latest_event": order.latest_event.description if order.latest_event else None,
    }


def list_tickets(session: Session, *, query: inbox.Query, user_id: int, now: datetime) -> dict:
    """A page of one of the inbox's views (or an older list name), with every view's count and the
    viewer's unread count: a few queries whatever the page size."""
    found, total = inbox.find(session, query, viewer_id=user_id, now=now)
    counts, unread = inbox.counts(session, viewer_id=user_id)
    return {"tickets": [ticket_json(ticket, now, viewer_id=user_id) for ticket in found], "total": total,
            "page": query.page, "per_page": query.per_page, "pages": max(1, -(-total // query.per_page)),
            "counts": counts, "unread": unread, "now": _iso(now)}


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NoSuchTicket(ticket_id)
    return ticket


def ticket_detail(session: Session, *, ticket_id: int, now: datetime, kb: KnowledgeBase, viewer: dict,
                  identity_secret: str = "", seen: bool = True) -> dict:
    """The ticket with everything the conversation pane shows: notes, history, the verified order, photos,
    who the shopper is and the values of the canned replies' variables. Where the database holds Rasa's
    tracker store (it does wherever Rasa has run on it), also the transcript, `paused` and the timeline
    (bot/desk/conversation.py), and the shopper's messages shown count as seen when the `viewer` holds the
    ticket (not when `seen` is False: the console's tab is hidden); without the table the caller reads
    the conversation from Rasa's HTTP API (conversation.view)."""
    ticket = _ticket(session, ticket_id)
    body = ticket_json(ticket, now, viewer_id=viewer["id"])
    body["notes"] = notes_json(session, ticket_id)
    body["events"] = history_json(session, ticket_id)
    body["order"] = verified_order_details(session, body["summary"].get("slots") or {})
    body["attachments"] = [{"id": a["id"], "url": staff_attachment_url(a["id"]), "size": a["size"],
                            "width": a["width"], "height": a["height"], "content_type": a["content_type"],
                            "created_at": a["created_at"]}
                           for a in attachments.of_conversation(session, ticket.conversation_id)]
    events = conversation.stored_events(session, ticket.conversation_id)
    who = customers.identify(session, ticket, identity_secret=identity_secret, events=events or [])
    body["customer_email"] = ticket.customer_email
    body["variables"] = canned.ticket_variables(kb, name=who.name, order=body["order"], agent_name=viewer["name"])
    if events is not None:
        body.update(conversation.view(events, attachment_ids=[a["id"] for a in body["attachments"]],
                                      history=body["events"]))
        if seen and mark_seen(session, ticket_id=ticket_id, agent_id=viewer["id"], lines=body["transcript"]):
            body["unread"] = inbox.has_unread(ticket, viewer["id"])
    return body


def notes_json(session: Session, ticket_id: int) -> List[dict]:
    rows = session.execute(select(TicketNote.text, TicketNote.created_at, User.name)
                           .join(User, TicketNote.author_id == User.id)
                           .where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id))
    return [{"author": row.name, "text": row.text, "at": row.created_at.isoformat() + "Z"} for row in rows]


def history_json(session: Session, ticket_id: int) -> List[dict]:
    """Everything that happened to the ticket, oldest first: kind, who (a desk user's name, or None for the
    assistant and the sweeps), when, and the details recorded with it."""
    rows = session.execute(select(TicketEvent.kind, TicketEvent.at, TicketEvent.detail, User.name)
                           .outerjoin(User, TicketEvent.actor_id == User.id)
                           .where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id))
    return [{"kind": row.kind, "actor": row.name, "at": row.at.isoformat() + "Z", "detail": _detail(row.detail)}
            for row in rows]


def _detail(raw: Optional[str]) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def mark_seen(session: Session, *, ticket_id: int, agent_id: int, lines: List[dict]) -> bool:
    """The shopper's lines of a transcript the agent has on screen count as seen (record_seen)."""
    shown = [line["at"] for line in lines if line["from"] == "shopper" and isinstance(line.get("at"), (int, float))]
    return bool(shown) and record_seen(session, ticket_id=ticket_id, agent_id=agent_id, until=float(max(shown)))


def staff_attachment_url(attachment_id: str) -> str:
    return f"/api/attachments/{attachment_id}"


def record_seen(session: Session, *, ticket_id: int, agent_id: int, until: float) -> bool:
    """The agent holding the ticket has had the shopper's messages up to `until` on screen; only ever
    moves forward. False (nothing recorded) when the agent does not hold the ticket."""
    ticket = _ticket(session, ticket_id)
    if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != agent_id:
        return False
    if ticket.seen_until is None or until > ticket.seen_until:
        ticket.seen_until = until
    return True


def add_note(session: Session, *, ticket_id: int, author_id: int, text: str, now: datetime) -> None:
    ticket = _ticket(session, ticket_id)
    session.add(TicketNote(ticket_id=ticket_id, author_id=author_id, text=text, created_at=now))
    record(session, ticket_id=ticket_id, kind="noted", at=now, actor_id=author_id)
    sla.refresh_clock(session, ticket, now)


def claim_ticket(session: Session, *, ticket_id: int, agent_id: int, now: datetime) -> Tuple[bool, str]:
    """(won, conversation id): False when someone else took it first."""
    ticket = _ticket(session, ticket_id)
    won = claim(session, ticket_id=ticket.id, agent_id=agent_id, now=now)
    if won:
        session.refresh(ticket)  # the conditional UPDATE went around the ORM
        sla.refresh_clock(session, ticket, now)
    return won, ticket.conversation_id


def held_conversation(session: Session, *, ticket_id: int, agent_id: int) -> str:
    """The conversation of a ticket the agent holds; NotYours if they do not."""
    ticket = _ticket(session, ticket_id)
    if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != agent_id:
        raise NotYours(ticket_id)
    return ticket.conversation_id


def agent_replied(session: Session, *, ticket_id: int, agent_id: int, now: datetime) -> None:
    """The agent's message reached the shopper: the first reply (once) and the latest answer."""
    ticket = _ticket(session, ticket_id)
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    ticket.last_agent_at = now
    record(session, ticket_id=ticket_id, kind="replied", at=now, actor_id=agent_id)
    sla.refresh_clock(session, ticket, now)


def resolve_ticket(session: Session, *, ticket_id: int, agent_id: int, now: datetime,
                   tag: Optional[str] = None) -> Optional[dict]:
    """The resolved ticket as the console lists it; None when the agent no longer held it."""
    if not resolve(session, ticket_id=ticket_id, agent_id=agent_id, now=now, tag=tag):
        return None
    ticket = _ticket(session, ticket_id)
    session.refresh(ticket)
    sla.refresh_clock(session, ticket, now)
    sla.schedule_follow_up(session, ticket, now)  # the satisfaction follow-up, 72 business hours on
    return ticket_json(ticket, now, viewer_id=agent_id)


def ticket_of(session: Session, *, ticket_id: int, viewer_id: int, now: datetime) -> dict:
    return ticket_json(_ticket(session, ticket_id), now, viewer_id=viewer_id)
