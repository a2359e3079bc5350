"""Rasa's tracker store on the database named by DATABASE_URL: SQLite and PostgreSQL."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import DatabaseUrlTrackerStore, rasa_side_url


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_conversations_are_stored_and_read_back(request, database):
    url = request.getfixturevalue(database)
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = DatabaseUrlTrackerStore(domain=domain, url=url)
    tracker = DialogueStateTracker.from_events("shopper-42", [UserUttered("where is my order")])
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve("shopper-42"))
    assert restored.latest_message.text == "where is my order"
    store.engine.dispose()


@pytest.mark.parametrize("given, driver", [
    ("postgresql+psycopg://shop@db:5432/orders", "postgresql"),  # the application's driver
    ("postgresql://shop@db:5432/orders", "postgresql"),
    ("postgres://shop@db:5432/orders", "postgresql"),
    ("postgresql+psycopg2://shop@db:5432/orders", "postgresql+psycopg2"),
    ("sqlite:///var/storefront.db", "sqlite"),
])
def test_any_database_url_reaches_the_driver_of_the_rasa_environment(given, driver):
    url = rasa_side_url(given)
    assert url.drivername == driver
    assert (url.host, url.database) == make_parts(given)


def make_parts(given):
    from sqlalchemy.engine import make_url

    parsed = make_url(given.replace("postgres://", "postgresql://", 1))
    return parsed.host, parsed.database
