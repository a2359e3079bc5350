"""The queries behind the agent console: tickets as the console shows them, notes, and who holds a
conversation. Each function takes a session and returns plain values (dicts, ids), never ORM objects."""
import json
from datetime import datetime
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Ticket, TicketNote, TicketStatus
from bot.desk import attachments
from bot.handoff.queue import claim, resolve, waiting_tickets
from bot.orders.lookup import find_order_view
from bot.orders.masking import mask_email

# Waiting longer than this is highlighted in the queue (seconds).
LONG_WAIT = 15 * 60
LISTS = ("waiting", "mine", "assigned", "resolved", "abandoned")


class NoSuchTicket(LookupError):
    pass


class NotYours(RuntimeError):
    """The ticket is not assigned to the agent asking."""


def ticket_json(ticket: Ticket, now: datetime) -> dict:
    waited = int(((ticket.assigned_at or now) - ticket.created_at).total_seconds())
    return {
        "id": ticket.id, "conversation_id": ticket.conversation_id, "reason": ticket.reason,
        "peak_anger": ticket.peak_anger, "priority": ticket.priority, "status": ticket.status.value,
        "created_at": ticket.created_at.isoformat() + "Z", "waiting_seconds": waited,
        "long_wait": ticket.status == TicketStatus.waiting and waited > LONG_WAIT,
        "assigned_agent": ticket.assigned_agent.name if ticket.assigned_agent else None,
        "assigned_agent_id": ticket.assigned_agent_id,
        "handle_seconds": ticket.handle_seconds, "summary": json.loads(ticket.summary or "{}"),
        "contact_email": ticket.contact_email,
    }


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


def list_tickets(session: Session, *, which: str, user_id: int, now: datetime) -> List[dict]:
    """One of the console's lists (LISTS); ValueError for any other name."""
    if which == "waiting":
        tickets = waiting_tickets(session)
    elif which == "mine":
        tickets = session.execute(select(Ticket).where(
            Ticket.assigned_agent_id == user_id, Ticket.status == TicketStatus.assigned)
            .order_by(Ticket.assigned_at)).scalars()
    elif which in LISTS:
        tickets = session.execute(select(Ticket).where(Ticket.status == TicketStatus(which))
                                  .order_by(Ticket.created_at.desc()).limit(200)).scalars()
    else:
        raise ValueError(which)
    return [ticket_json(ticket, now) for ticket in tickets]


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NoSuchTicket(ticket_id)
    return ticket


def ticket_detail(session: Session, *, ticket_id: int, now: datetime) -> dict:
    ticket = _ticket(session, ticket_id)
    body = ticket_json(ticket, now)
    body["notes"] = [{"author": note.author.name, "text": note.text, "at": note.created_at.isoformat() + "Z"}
                     for note in ticket.notes]
    body["order"] = verified_order_details(session, body["summary"].get("slots") or {})
    body["attachments"] = [{"id": a["id"], "url": staff_attachment_url(a["id"]), "size": a["size"],
                            "width": a["width"], "height": a["height"], "content_type": a["content_type"],
                            "created_at": a["created_at"]}
                           for a in attachments.of_conversation(session, ticket.conversation_id)]
    return body


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
    _ticket(session, ticket_id)
    session.add(TicketNote(ticket_id=ticket_id, author_id=author_id, text=text, created_at=now))


def claim_ticket(session: Session, *, ticket_id: int, agent_id: int, now: datetime) -> Tuple[bool, str]:
    """(won, conversation id): False when someone else took it first."""
    ticket = _ticket(session, ticket_id)
    return claim(session, ticket_id=ticket.id, agent_id=agent_id, now=now), ticket.conversation_id


def held_conversation(session: Session, *, ticket_id: int, agent_id: int) -> str:
    """The conversation of a ticket the agent holds; NotYours if they do not."""
    ticket = _ticket(session, ticket_id)
    if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != agent_id:
        raise NotYours(ticket_id)
    return ticket.conversation_id


def resolve_ticket(session: Session, *, ticket_id: int, agent_id: int, now: datetime) -> bool:
    return resolve(session, ticket_id=ticket_id, agent_id=agent_id, now=now)
