"""Rasa's tracker store on the database named by DATABASE_URL: SQLite and PostgreSQL."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import DatabaseUrlTrackerStore


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
