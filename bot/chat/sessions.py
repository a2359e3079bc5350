"""Widget sessions: their hand-over state, how far the agent has seen them, and the transcript the
shopper may read back."""
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import Ticket, TicketStatus
from bot.handoff.queue import open_ticket_for, position_in_queue


def handoff_status(session: Session, conversation_id: str) -> Dict[str, Any]:
    """{"status": "none" | "waiting" | "with_agent", "position": n, "agent_name": ...} for the shopper."""
    ticket = open_ticket_for(session, conversation_id)
    if ticket is None:
        return {"status": "none"}
    if ticket.status == TicketStatus.waiting:
        return {"status": "waiting", "position": position_in_queue(session, ticket)}
    return {"status": "with_agent", "agent_name": ticket.assigned_agent.name if ticket.assigned_agent else None}


def seen_until(session: Session, conversation_id: str) -> Optional[float]:
    """The "at" of the newest shopper message an agent holding the conversation has had on screen, over
    all its tickets (a message seen before a hand-back stays seen); None if none was."""
    return session.execute(select(func.max(Ticket.seen_until))
                           .where(Ticket.conversation_id == conversation_id)).scalar_one()


def shopper_view(lines: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The transcript as the shopper may see it: no anger scores or internal details."""
    keep = ("from", "text", "at", "agent_name", "buttons", "event", "attachments", "message_id")
    return [{key: line[key] for key in keep if line.get(key) not in (None, [])} for line in lines]
