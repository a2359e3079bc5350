"""A ticket's conversation for the console, read from Rasa's tracker store: the `events` table in the
shared database (endpoints.yml: DatabaseUrlTrackerStore on DATABASE_URL), one indexed query for the
stored JSON of the latest session, instead of a call to Rasa's HTTP API (which rebuilds the tracker by
replaying every event). The lines are the same ones (bot/chat/events.transcript).

A database Rasa has never written to has no such table; the caller then asks Rasa's HTTP API."""
import json
import logging
import weakref
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.chat.events import transcript
from bot.desk import attachments, timeline
from bot.trainer.tracker_events import EVENTS, conversation_event_ids, read_events

logger = logging.getLogger(__name__)
# Engines whose database has the table: once there, it stays (asked again until it appears).
_with_table: "weakref.WeakSet" = weakref.WeakSet()


def _has_events_table(session: Session) -> bool:
    engine = session.get_bind().engine
    if engine not in _with_table:
        if not inspect(session.connection()).has_table("events"):
            return False
        _with_table.add(engine)
    return True


def stored_events(session: Session, conversation_id: str) -> Optional[List[Dict[str, Any]]]:
    """The conversation's events as Rasa's HTTP API would give them (its latest session, after its latest
    restart), oldest first; None when the database has no tracker store table."""
    if not _has_events_table(session):
        return None
    latest_start = (select(func.max(EVENTS.c.id))
                    .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.type_name == "session_started")
                    .scalar_subquery())
    query = (select(EVENTS.c.data)
             .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.id >= func.coalesce(latest_start, 0))
             .order_by(EVENTS.c.id))
    try:
        # A savepoint, so that a row the driver refuses does not end the caller's transaction.
        with session.begin_nested():
            rows: Iterable[Optional[str]] = session.execute(query).scalars().all()
    except (SQLAlchemyError, UnicodeError, ValueError):
        logger.warning("conversation %s has an unreadable tracker row; reading its rows one by one", conversation_id)
        rows = [row.data for row in read_events(session, conversation_event_ids(session, conversation_id))
                if row.error is None]
    return current_session(_decoded(rows))


def _decoded(rows: Iterable[Optional[str]]) -> List[Dict[str, Any]]:
    events = []
    for data in rows:
        try:
            event = json.loads(data) if data else None
        except ValueError:
            event = None
        if isinstance(event, dict):
            events.append(event)
    return events


def current_session(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """From the latest session start, after the latest restart (Rasa's tracker as its API shows it)."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
        elif event.get("event") == "restart":
            start = index + 1
    return events[start:]


def is_paused(events: Iterable[Dict[str, Any]]) -> bool:
    """Whether the bot is paused for a person (handed off, not yet handed back), as Rasa's tracker says."""
    paused = False
    for event in events:
        kind = event.get("event")
        if kind == "pause":
            paused = True
        elif kind in ("resume", "restart", "session_started"):
            paused = False
    return paused


def view(events: List[Dict[str, Any]], *, attachment_ids: Iterable[str], history: List[dict]) -> Dict[str, Any]:
    """What the console shows of the conversation: the transcript (a time on every line, photos only of
    this conversation), whether the bot is paused, and the timeline (anger per turn, the ticket's markers)."""
    return {"transcript": attachments.own_ids(transcript({"events": events}), attachment_ids),
            "paused": is_paused(events), "timeline": timeline.timeline(events, history)}
