"""Reading Rasa's SQL tracker store (its `events` table) for the trainer's inbox and conversation view.

The table is Rasa's, written by every channel, so any row may carry what a shopper or a script sent:
rows are read so that one that cannot be read is reported on its own instead of failing the others."""
import logging
from typing import Iterator, List, NamedTuple, Optional, Sequence

from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
# Rasa's SQLTrackerStore.SQLEvent, only the columns read here.
EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("timestamp"),
               column("data"))
# Rows fetched in one statement; a statement that fails is retried a row at a time.
CHUNK = 200


class EventRow(NamedTuple):
    id: int
    sender_id: Optional[str]
    timestamp: Optional[float]
    data: Optional[str]
    # Why the row could not be read (the database driver refused its bytes); None when it was.
    error: Optional[str] = None


def has_events_table(session: Session) -> bool:
    return inspect(session.get_bind()).has_table("events")


def user_event_ids(session: Session, *, after: int, limit: int) -> List[int]:
    """Ids of shopper messages after `after`, oldest first: integers, which any row yields."""
    return list(session.execute(select(EVENTS.c.id).where(EVENTS.c.type_name == "user", EVENTS.c.id > after)
                                .order_by(EVENTS.c.id).limit(limit)).scalars())


def conversation_event_ids(session: Session, conversation_id: str) -> List[int]:
    return list(session.execute(select(EVENTS.c.id).where(EVENTS.c.sender_id == conversation_id)
                                .order_by(EVENTS.c.id)).scalars())


def read_events(session: Session, ids: Sequence[int]) -> Iterator[EventRow]:
    """The rows with these ids, in the given order; one the driver cannot decode comes back with `error`."""
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        try:
            rows = {row.id: row for row in _fetch(session, part)}
        except (SQLAlchemyError, UnicodeError, ValueError):
            rows = None
        for event_id in part:
            if rows is not None:
                found = rows.get(event_id)
                if found is not None:
                    yield EventRow(found.id, found.sender_id, found.timestamp, found.data)
                continue
            try:
                one = _fetch(session, [event_id])
            except (SQLAlchemyError, UnicodeError, ValueError) as error:
                yield EventRow(event_id, None, None, None, error=f"unreadable row ({type(error).__name__})")
                continue
            if one:
                yield EventRow(one[0].id, one[0].sender_id, one[0].timestamp, one[0].data)


def _fetch(session: Session, ids: List[int]) -> list:
    # A savepoint, so that a statement PostgreSQL refuses does not end the caller's transaction.
    with session.begin_nested():
        return session.execute(select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
                               .where(EVENTS.c.id.in_(ids))).all()
