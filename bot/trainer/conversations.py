"""A conversation as trainers see it: found by its opaque reference, read from Rasa's tracker store,
personal data masked, and nothing of the shopper's session or of button payloads."""
import json
import logging
from typing import Any, Dict, Optional

from sqlalchemy.engine import Engine

from bot.chat.events import transcript
from bot.db import session_scope
from bot.db.models import InboxMessage
from bot.orders.masking import mask_personal_data
from bot.trainer.references import ConversationReferences, default_references
from bot.trainer.tracker_events import conversation_event_ids, has_events_table, read_events

logger = logging.getLogger(__name__)


def conversation_for_trainer(engine: Engine, reference: str, *,
                             references: Optional[ConversationReferences] = None) -> Optional[Dict[str, Any]]:
    """The masked transcript of the conversation a reference names; None for an unknown or forged one
    (blocking: run it off the event loop)."""
    references = references or default_references()
    message_id = references.message_id(reference)
    if message_id is None:
        return None
    with session_scope(engine) as session:
        message = session.get(InboxMessage, message_id)
        if message is None or message.source != "chat" or not references.matches(
                reference, message_id, message.conversation_id):
            return None
        if not has_events_table(session):
            return None
        events = []
        for row in read_events(session, conversation_event_ids(session, message.conversation_id)):
            try:
                event = json.loads(row.data) if isinstance(row.data, str) and not row.error else None
            except (ValueError, RecursionError):
                event = None
            if isinstance(event, dict):
                events.append(event)
            else:
                logger.warning("conversation view passed over tracker event %s: unreadable", row.id)
    lines = [_masked(line) for line in transcript({"events": events})]
    return {"reference": reference, "transcript": lines} if lines else None


def _masked(line: Dict[str, Any]) -> Dict[str, Any]:
    shown = {name: line[name] for name in ("from", "at", "anger", "cues", "agent_name", "event") if name in line}
    shown["text"] = mask_personal_data(str(line.get("text") or ""))
    if line.get("buttons"):
        # Titles are what the shopper saw; payloads can carry entities (an order number) and are left out.
        shown["buttons"] = [{"title": mask_personal_data(button["title"])} for button in line["buttons"]]
    return shown
