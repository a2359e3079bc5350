"""Rasa's tracker store on the database named by DATABASE_URL: SQLite and PostgreSQL."""
import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import DatabaseUrlTrackerStore
from tests.conftest import project_path


@pytest.mark.parametrize("database", ["sqlite_engine", "postgres_engine"])
def test_conversations_are_stored_and_read_back(request, database):
    engine = request.getfixturevalue(database)
    url = engine.url.render_as_string(hide_password=False)
    domain = Domain.load(str(project_path("domain.yml")))
    store = DatabaseUrlTrackerStore(domain=domain, url=url)
    tracker = DialogueStateTracker.from_events("shopper-42", [UserUttered("where is my order")])
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve("shopper-42"))
    assert restored.latest_message.text == "where is my order"
    store.engine.dispose()
