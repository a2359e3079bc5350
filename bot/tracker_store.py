"""Rasa's SQL tracker store, pointed at the same database as the orders (DATABASE_URL)."""
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url


class DatabaseUrlTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore takes host, port and db separately; this reads them from one URL."""

    def __init__(self, domain: Optional[Domain] = None, event_broker: Optional[EventBroker] = None,
                 url: Optional[str] = None, host: Optional[str] = None, **kwargs: Any) -> None:
        # `host` is what Rasa passes from endpoints.yml's `url`; the database comes from DATABASE_URL.
        from bot.db.session import get_engine
        from bot.settings import get_settings

        database_url = url or host or get_settings().database_url
        get_engine(database_url)  # creates the var/ folder for a SQLite file
        parsed = make_url(database_url)
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
