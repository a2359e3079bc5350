"""Rasa's SQL tracker store, pointed at the same database as the orders (DATABASE_URL).

Runs in the Rasa environment (SQLAlchemy 1.4, psycopg2): it imports nothing of the application's
database code, and reads a DATABASE_URL written for either environment's PostgreSQL driver."""
from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.database_urls import for_rasa

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
