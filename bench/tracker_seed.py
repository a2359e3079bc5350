"""Saves many conversations through Rasa's own SQL tracker store, as the Rasa server stores them; run by
bench/desk_console.py in the Rasa environment:

    .venv-rasa/bin/python -m bench.tracker_seed DATABASE_URL < conversations.json

conversations.json is {"sender id": [event, ...]} with the events in Rasa's JSON form
({"event": "user", "text": ..., "parse_data": ...}). Prints how many events were stored."""
import asyncio
import json
import sys

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import DatabaseUrlTrackerStore


async def _save_all(store: DatabaseUrlTrackerStore, conversations: dict) -> int:
    stored = 0
    for sender, events in conversations.items():
        parsed = [Event.from_parameters(event) for event in events]
        await store.save(DialogueStateTracker.from_events(sender, parsed))
        stored += len(parsed)
    return stored


def main(database_url: str) -> int:
    conversations = json.load(sys.stdin)
    store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")), url=database_url)
    try:
        print(asyncio.run(_save_all(store, conversations)))
    finally:
        store.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
