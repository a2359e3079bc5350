"""Who the shopper of a ticket is, for the console's customer panel and its canned replies: name and email
from the verified order's customer, else the shop's signed identity (the ticket's customer_email, set when
the ticket was opened, or a signed token on a later message), else the email the shopper left with the
offline form; their orders with status, tracking and estimate, and their earlier tickets (only for a
customer the shopper proved to be: an order's check or the shop's signature, never a typed address).

Customers' data: the routes reading it are for staff only (never trainers). Each function takes a session
and returns plain values."""
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.chat.identity import verified_email
from bot.db.models import Customer, Order, Ticket
from bot.desk import conversation, inbox
from bot.knowledge.answers import money
from bot.orders.lookup import OrderView, customer_orders

ORDERS_SHOWN = 10
TICKETS_SHOWN = 20


@dataclass(frozen=True)
class Identity:
    name: Optional[str] = None
    email: Optional[str] = None
    source: Optional[str] = None  # "order", "identity" or "contact"

    @property
    def verified(self) -> bool:
        """The shopper proved it (an order's check, the shop's signature); an offline email is only typed."""
        return self.source in ("order", "identity")


def verified_order_number(ticket: Ticket) -> Optional[str]:
    """The order the shopper proved is theirs in the chat (kept on the ticket, or in its summary's slots)."""
    if ticket.verified_order:
        return ticket.verified_order
    slots = json.loads(ticket.summary or "{}").get("slots") or {}
    return slots.get("verified_order") if slots.get("order_verified") else None


def signed_email(events: Iterable[Dict[str, Any]], *, secret: str) -> Optional[str]:
    """The customer the shop vouched for on the latest message carrying a valid signed identity, checked
    as of when it was sent (a token expires an hour after the shop signs it)."""
    if not secret:
        return None
    for event in reversed(list(events)):
        metadata = event.get("metadata") if event.get("event") == "user" else None
        token = metadata.get("identity") if isinstance(metadata, dict) else None
        moment = event.get("timestamp")
        if token and isinstance(moment, (int, float)):
            email = verified_email(token, secret=secret, now=moment)
            if email:
                return email
    return None


def identify(session: Session, ticket: Ticket, *, identity_secret: str,
             events: Optional[List[Dict[str, Any]]] = None) -> Identity:
    """Who the ticket's shopper is. `events`: the conversation's, when the caller has read them already.
    A customer learnt here (a token on a later message, an older ticket) is kept on the ticket."""
    number = verified_order_number(ticket)
    if number:
        owner = session.execute(select(Customer.name, Customer.email).join(Order.customer)
                                .where(Order.number == number)).first()
        if owner is not None:
            _learn(ticket, owner.email)
            return Identity(owner.name, owner.email, "order")
    email = ticket.customer_email
    if email is None:
        if events is None:
            events = conversation.stored_events(session, ticket.conversation_id) or []
        email = signed_email(events, secret=identity_secret)
    if email:
        _learn(ticket, email)
        name = session.execute(select(Customer.name).where(Customer.email == email.lower())).scalar()
        return Identity(name, email, "identity")
    if ticket.contact_email:
        return Identity(None, ticket.contact_email, "contact")
    return Identity()


def _learn(ticket: Ticket, email: str) -> None:
    if ticket.customer_email is None:
        ticket.customer_email = email.lower()


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() + "Z" if moment is not None else None


def order_json(order: OrderView, today: date) -> dict:
    return {"number": order.number, "status": order.status.value, "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "estimated_delivery": order.estimated_delivery.isoformat() if order.estimated_delivery else None,
            "late": order.is_late(today), "latest_event": order.latest_event.description if order.latest_event else None,
            "latest_event_at": _iso(order.latest_event.occurred_at) if order.latest_event else None,
            "placed_at": _iso(order.placed_at), "total": money(order.total_cents), "total_cents": order.total_cents,
            "items": [f"{line.quantity} x {line.name} ({line.size})" for line in order.lines]}


def earlier_tickets(session: Session, *, email: str, but: int) -> List[dict]:
    """The customer's other tickets, newest first: known by their customer or offline contact email."""
    found = session.execute(
        select(Ticket).where(or_(Ticket.customer_email == email.lower(), Ticket.contact_email == email.lower()),
                             Ticket.id != but)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(TICKETS_SHOWN)).scalars()
    return [{"id": t.id, "conversation_id": t.conversation_id, "status": t.status.value,
             "reason": t.reason, "reason_text": inbox.reason_text(t.reason), "created_at": _iso(t.created_at),
             "resolved_at": _iso(t.resolved_at), "resolution_tag": t.resolution_tag} for t in found]


class NoSuchTicket(LookupError):
    pass


def customer_panel(session: Session, *, ticket_id: int, identity_secret: str, today: date) -> dict:
    """The panel beside a conversation: who, their orders, their earlier tickets."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NoSuchTicket(ticket_id)
    who = identify(session, ticket, identity_secret=identity_secret)
    # An address the shopper only typed (the offline form, the chat while waiting) proves nothing: it may
    # be anyone's. Their orders and conversations are shown only for a customer the shopper proved to be.
    known = who.email if who.verified else None
    orders = customer_orders(session, email=known, limit=ORDERS_SHOWN) if known else ()
    return {"name": who.name, "email": who.email, "source": who.source, "verified": who.verified,
            "orders": [order_json(order, today) for order in orders],
            "tickets": earlier_tickets(session, email=known, but=ticket.id) if known else []}
