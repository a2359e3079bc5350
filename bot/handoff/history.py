"""A ticket's history (bot/db/models.py TicketEvent): one row for everything that happens to it.

The console's timeline and the reports read it; the desk's live feed follows its ids, so a change made
anywhere (an action server opening a ticket, another desk process, the SLA sweep) reaches every open
console. Every change to a ticket goes through `record`."""
import json
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.db.models import TicketEvent

KINDS = ("created", "claimed", "assigned", "transferred", "unassigned", "replied", "emailed", "noted",
         "resolved", "abandoned", "sla_breach", "csat", "follow_up", "message")


def record(session: Session, *, ticket_id: int, kind: str, at: datetime, actor_id: Optional[int] = None,
           detail: Optional[dict] = None) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown ticket event {kind!r}")
    session.add(TicketEvent(ticket_id=ticket_id, kind=kind, actor_id=actor_id,
                            detail=json.dumps(detail or {}), at=at))
