"""SLA clocks on tickets. Interface used by the inbox (bot/desk/inbox.py) and the console; the policy
file and business hours are filled in by the SLA work (support/sla.yml)."""
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy.orm import Session

from bot.db.models import Ticket, TicketStatus

FIRST_REPLY = timedelta(minutes=5)


def refresh_clock(session: Session, ticket: Ticket, now: datetime) -> None:
    """Set ticket.sla_clock / ticket.sla_due_at to the clock that runs out next (None when none runs)."""
    if ticket.status in (TicketStatus.waiting, TicketStatus.assigned) and ticket.first_reply_at is None:
        ticket.sla_clock, ticket.sla_due_at = "first_reply", ticket.created_at + FIRST_REPLY
    else:
        ticket.sla_clock, ticket.sla_due_at = None, None


def clock_json(ticket: Ticket, now: datetime) -> Optional[dict]:
    """{"clock", "label", "due_at", "seconds_left", "state": "ok" | "due_soon" | "breached"} or None."""
    if ticket.sla_due_at is None:
        return None
    left = int((ticket.sla_due_at - now).total_seconds())
    state = "breached" if left < 0 else "due_soon" if left < 120 else "ok"
    return {"clock": ticket.sla_clock, "label": "First reply", "due_at": ticket.sla_due_at.isoformat() + "Z",
            "seconds_left": left, "state": state}
