"""Saves a conversation through Rasa's own SQL tracker store, as the Rasa server does; run by the
application's tests in the Rasa environment (tests/tracker.py):

    .venv-rasa/bin/python -m tests.rasa.tracker_writer DATABASE_URL SENDER < events.json

The events are Rasa's JSON form of them ({"event": "user", "text": ..., "parse_data": ...})."""
import asyncio
import json
import sys

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import DatabaseUrlTrackerStore


def main(database_url: str, sender: str) -> int:
    events = [Event.from_parameters(event) for event in json.load(sys.stdin)]
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")), url=database_url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
