"""Widget sessions: their hand-over state and the transcript the shopper may read back."""
from typing import Any, Dict, List

from sqlalchemy.orm import Session

from bot.db.models import TicketStatus
from bot.handoff.queue import open_ticket_for, position_in_queue


def handoff_status(session: Session, conversation_id: str) -> Dict[str, Any]:
    """{"status": "none" | "waiting" | "with_agent", "position": n, "agent_name": ...} for the shopper."""
    ticket = open_ticket_for(session, conversation_id)
    if ticket is None:
        return {"status": "none"}
    if ticket.status == TicketStatus.waiting:
        return {"status": "waiting", "position": position_in_queue(session, ticket)}
    return {"status": "with_agent", "agent_name": ticket.assigned_agent.name if ticket.assigned_agent else None}


def shopper_view(lines: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The transcript as the shopper may see it: no anger scores or internal details."""
    keep = ("from", "text", "at", "agent_name", "buttons", "event")
    return [{key: line[key] for key in keep if line.get(key) not in (None, [])} for line in lines]
