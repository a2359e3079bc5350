"""The ticket queue: open a ticket for a handed-off conversation, order the queue, claim, assign, transfer,
unassign, resolve. Every change is one conditional UPDATE, so that of two people (or desk processes) acting
on the same ticket at once exactly one wins, and each change records its history event."""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db.models import OPEN_TICKET_STATUSES, Customer, Order, Ticket, TicketStatus
from bot.email_masking import mask_email
from bot.handoff.history import record

# A script that opens a thousand conversations must not fill the queue: one address gets this many
# tickets per window; beyond it the shopper is given the team's email and phone instead.
TICKETS_PER_CLIENT = 5
TICKET_WINDOW = timedelta(hours=1)
# Priority: anger first (the higher the peak, the sooner), then waiting time.
ANGER_PRIORITY = {"furious": 3, "angry": 2, "annoyed": 1, "none": 0}
# The ticket list shows this much of the shopper's latest line (Ticket.preview).
PREVIEW_LENGTH = 300
# How a resolved ticket ended (the agent picks one when resolving), with the words the console shows.
RESOLUTION_TAGS = {"answered": "Answered", "refund_arranged": "Refund arranged", "exchange": "Exchange",
                   "escalated": "Escalated", "spam": "Spam"}


@dataclass(frozen=True)
class Summary:
    """What the agent needs so that the shopper never has to repeat themselves."""

    asked: List[str]
    slots: dict
    last_messages: List[dict]

    def to_json(self) -> str:
        return json.dumps({"asked": self.asked, "slots": self.slots, "last_messages": self.last_messages})


def priority_for(reason: str, peak_level: str) -> int:
    return ANGER_PRIORITY.get(peak_level, 0) + (1 if reason == "anger" else 0)


def hashed_client(client: str) -> str:
    return hashlib.sha256(client.encode("utf-8", "surrogatepass")).hexdigest()


def tickets_from_client(session: Session, *, client: str, since: datetime) -> int:
    """How many tickets the client (a network address) opened since `since`, across conversations."""
    return session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.client_key == hashed_client(client), Ticket.created_at >= since)).scalar_one()


def is_flooding(session, *, conversation_id: str, client: str, now: datetime) -> bool:
    """The client already opened its share of tickets (a conversation with an open ticket keeps it)."""
    if open_ticket_for(session, conversation_id) is not None:
        return False
    return tickets_from_client(session, client=client, since=now - TICKET_WINDOW) >= TICKETS_PER_CLIENT


def open_ticket(session: Session, *, conversation_id: str, reason: str, peak_anger: float, peak_level: str,
                summary: Summary, now: datetime, client: Optional[str] = None,
                customer_email: Optional[str] = None) -> Ticket:
    """A new waiting ticket, or the conversation's open one (a shopper is queued once). `customer_email`:
    the shop's signed identity, if any; else the verified order's customer, if any."""
    existing = session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_TICKET_STATUSES))
    ).scalars().first()
    if existing is not None:
        return existing
    verified_order = verified_order_of(summary)
    ticket = Ticket(conversation_id=conversation_id, reason=reason, peak_anger=int(round(peak_anger * 100)),
                    priority=priority_for(reason, peak_level), summary=summary.to_json(),
                    status=TicketStatus.waiting, created_at=now,
                    client_key=hashed_client(client) if client else None,
                    last_shopper_at=now, verified_order=verified_order, preview=preview_of(summary),
                    customer_email=customer_email or order_customer_email(session, verified_order))
    session.add(ticket)
    session.flush()
    record(session, ticket_id=ticket.id, kind="created", at=now, detail={"reason": reason})
    return ticket


def preview_of(summary: Summary) -> Optional[str]:
    """The shopper's latest line as the summary holds it (emails already masked), for the ticket list."""
    said = [m.get("text") for m in summary.last_messages if m.get("from") == "shopper" and m.get("text")]
    latest = said[-1] if said else (summary.asked[-1] if summary.asked else None)
    return preview_text(latest) if latest else None


def preview_text(text: str) -> str:
    """A shopper's line for the ticket list: on one line, emails masked, at most PREVIEW_LENGTH."""
    return mask_email(" ".join(text.split()))[:PREVIEW_LENGTH]


def order_customer_email(session: Session, number: Optional[str]) -> Optional[str]:
    if not number:
        return None
    return session.execute(select(Customer.email).join(Order.customer).where(Order.number == number)).scalar()


def verified_order_of(summary: Summary) -> Optional[str]:
    slots = summary.slots or {}
    return slots.get("verified_order") if slots.get("order_verified") else None


def waiting_tickets(session: Session) -> List[Ticket]:
    return list(session.execute(
        select(Ticket).where(Ticket.status == TicketStatus.waiting)
        .order_by(Ticket.priority.desc(), Ticket.created_at, Ticket.id)
    ).scalars())


def position_in_queue(session: Session, ticket: Ticket) -> int:
    """1 for the next ticket an agent will take."""
    ahead = session.execute(
        select(func.count()).select_from(Ticket).where(
            Ticket.status == TicketStatus.waiting,
            (Ticket.priority > ticket.priority)
            | ((Ticket.priority == ticket.priority) & (Ticket.created_at < ticket.created_at))
            | ((Ticket.priority == ticket.priority) & (Ticket.created_at == ticket.created_at)
               & (Ticket.id < ticket.id)),
        )
    ).scalar_one()
    return ahead + 1


def _change(session: Session, *, ticket_id: int, when: tuple, values: dict, kind: str, now: datetime,
            actor_id: Optional[int], detail: Optional[dict] = None) -> bool:
    """Change the ticket only if it still is as the caller saw it (`when`: conditions on the row), in one
    UPDATE, so that of several people acting at once exactly one wins; the winner's change is recorded in
    the ticket's history. False when the ticket had changed."""
    result = session.execute(
        update(Ticket).where(Ticket.id == ticket_id, *when).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    record(session, ticket_id=ticket_id, kind=kind, at=now, actor_id=actor_id, detail=detail)
    return True


def claim(session: Session, *, ticket_id: int, agent_id: int, now: datetime) -> bool:
    """True for exactly one of several agents claiming the same waiting ticket at once."""
    return _change(session, ticket_id=ticket_id, when=(Ticket.status == TicketStatus.waiting,),
                   values=dict(status=TicketStatus.assigned, assigned_agent_id=agent_id, assigned_at=now),
                   kind="claimed", now=now, actor_id=agent_id)


def resolve(session: Session, *, ticket_id: int, agent_id: int, now: datetime, tag: Optional[str] = None) -> bool:
    """Only the assigned agent resolves; True when the ticket changed. `tag` says how it ended
    (RESOLUTION_TAGS); the handle time is resolved_at - assigned_at."""
    if tag is not None and tag not in RESOLUTION_TAGS:
        raise ValueError(f"unknown resolution tag {tag!r}")
    return _change(session, ticket_id=ticket_id,
                   when=(Ticket.status == TicketStatus.assigned, Ticket.assigned_agent_id == agent_id),
                   values=dict(status=TicketStatus.resolved, resolved_at=now, resolution_tag=tag),
                   kind="resolved", now=now, actor_id=agent_id, detail={"tag": tag})


def assign_waiting(session: Session, *, ticket_id: int, agent_id: int, now: datetime, actor_id: Optional[int],
                   note: Optional[str] = None, auto: bool = False) -> bool:
    """Give a waiting ticket to an agent; False when it is no longer waiting (someone took it first)."""
    detail = {"to": agent_id, **({"note": note} if note else {}), **({"auto": True} if auto else {})}
    return _change(session, ticket_id=ticket_id, when=(Ticket.status == TicketStatus.waiting,),
                   values=dict(status=TicketStatus.assigned, assigned_agent_id=agent_id, assigned_at=now),
                   kind="assigned", now=now, actor_id=actor_id, detail=detail)


def transfer(session: Session, *, ticket_id: int, from_id: int, to_id: int, now: datetime, actor_id: int,
             note: Optional[str] = None) -> bool:
    """Move an assigned ticket from `from_id` to `to_id`; False when `from_id` no longer holds it."""
    detail = {"from": from_id, "to": to_id, **({"note": note} if note else {})}
    return _change(session, ticket_id=ticket_id,
                   when=(Ticket.status == TicketStatus.assigned, Ticket.assigned_agent_id == from_id),
                   values=dict(assigned_agent_id=to_id), kind="transferred", now=now, actor_id=actor_id,
                   detail=detail)


def unassign(session: Session, *, ticket_id: int, from_id: int, now: datetime, actor_id: int) -> bool:
    """Put a ticket `from_id` holds back in the queue; False when they no longer hold it."""
    return _change(session, ticket_id=ticket_id,
                   when=(Ticket.status == TicketStatus.assigned, Ticket.assigned_agent_id == from_id),
                   values=dict(status=TicketStatus.waiting, assigned_agent_id=None, assigned_at=None),
                   kind="unassigned", now=now, actor_id=actor_id, detail={"from": from_id})


def open_ticket_for(session: Session, conversation_id: str) -> Optional[Ticket]:
    return session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_TICKET_STATUSES))
    ).scalars().first()


def abandon_stale(session: Session, *, older_than: datetime, now: Optional[datetime] = None) -> int:
    """Waiting tickets nobody took before `older_than` become abandoned; returns how many."""
    stale = list(session.execute(select(Ticket.id).where(
        Ticket.status == TicketStatus.waiting, Ticket.created_at < older_than)).scalars())
    if not stale:
        return 0
    # Only those still waiting when the update runs (an agent may claim one meanwhile) get the event.
    abandoned = list(session.execute(
        update(Ticket).where(Ticket.id.in_(stale), Ticket.status == TicketStatus.waiting)
        .values(status=TicketStatus.abandoned).returning(Ticket.id)
        .execution_options(synchronize_session=False)
    ).scalars())
    for ticket_id in abandoned:
        record(session, ticket_id=ticket_id, kind="abandoned", at=now or older_than)
    return len(abandoned)
