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


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_the_channels_read_the_latest_session_as_stored(request, database):
    """event_dicts gives what retrieve() gives for the latest session (as dicts), and at most `limit`."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted

    url = request.getfixturevalue(database)
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")), url=url)
    old_session = [UserUttered("hello", timestamp=1), BotUttered("hi", timestamp=2)]
    new_session = [ActionExecuted("action_session_start", timestamp=3), SessionStarted(timestamp=3),
                   UserUttered("where is my order", metadata={"message_id": "m0123456789"}, timestamp=4),
                   BotUttered("What's your order number?", timestamp=5)]
    asyncio.run(store.save(DialogueStateTracker.from_events("shopper-7", old_session + new_session)))
    asyncio.run(store.save(DialogueStateTracker.from_events("someone-else", [UserUttered("other", timestamp=6)])))

    stored = store.event_dicts("shopper-7")
    assert stored[0]["event"] == "session_started"  # the earlier session is left out
    assert [e.get("text") for e in stored if e["event"] in ("user", "bot")] == ["where is my order",
                                                                                 "What's your order number?"]
    assert stored[1]["metadata"]["message_id"] == "m0123456789"
    retrieved = [e.as_dict() for e in asyncio.run(store.retrieve("shopper-7")).events]
    assert [(e["event"], e.get("text")) for e in stored] == [(e["event"], e.get("text")) for e in retrieved
                                                             if e["event"] != "action"][-len(stored):]
    assert [e["text"] for e in store.event_dicts("shopper-7", limit=2)] == ["where is my order",
                                                                            "What's your order number?"]
    assert store.event_dicts("nobody") == []
    store.engine.dispose()
