"""Rasa's SQL tracker store, pointed at the same database as the orders (DATABASE_URL).

Runs in the Rasa environment (SQLAlchemy 1.4, psycopg2): it imports nothing of the application's
database code, and reads a DATABASE_URL written for either environment's PostgreSQL driver."""
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.database_urls import for_rasa

# The channels read this many of a conversation's latest events before and after each message: far more
# than a turn writes, and the checks need only the recent ones (a resend, the last offer, the last pause).
RECENT_EVENTS = 200


class DatabaseUrlTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore takes host, port and db separately; this reads them from one URL."""

    def __init__(self, domain: Optional[Domain] = None, event_broker: Optional[EventBroker] = None,
                 url: Optional[str] = None, host: Optional[str] = None, **kwargs: Any) -> None:
        # `host` is what Rasa passes from endpoints.yml's `url`; the database comes from DATABASE_URL.
        from bot.settings import get_settings

        parsed = make_url(for_rasa(url or host or get_settings().database_url))
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            **kwargs,
        )

    def event_dicts(self, sender_id: str, limit: int = RECENT_EVENTS) -> List[Dict[str, Any]]:
        """The conversation's latest events as stored (dicts, oldest first; at most `limit`, from the latest
        session start on), for what the channels check before and after every message: the message keys,
        the payloads offered, whether a person is awaited. One indexed query for the stored JSON: no
        tracker rebuilt by replaying every event (which `retrieve` does), no ORM objects."""
        query = (sa.select(self.SQLEvent.data).where(self.SQLEvent.sender_id == sender_id)
                 .order_by(self.SQLEvent.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            rows = connection.execute(query).fetchall()
        events = [json.loads(data) for (data,) in reversed(rows)]
        starts = [index for index, event in enumerate(events) if event.get("event") == "session_started"]
        return events[starts[-1]:] if starts else events
