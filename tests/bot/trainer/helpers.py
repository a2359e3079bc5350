"""Real conversations in Rasa's SQL tracker store, as the Rasa server writes them."""
import asyncio
from typing import Iterable, Tuple

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import DatabaseUrlTrackerStore
from tests.conftest import project_path


def store_conversation(engine, sender: str, messages: Iterable[Tuple[str, str, float, str]], start: float = 1.8e9):
    """messages: (text, intent, confidence, anger level)."""
    domain = Domain.load(str(project_path("domain.yml")))
    store = DatabaseUrlTrackerStore(domain=domain, url=engine.url.render_as_string(hide_password=False))
    events = []
    for index, (text, intent, confidence, anger) in enumerate(messages):
        parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
                 "anger": {"score": {"none": 0.0, "annoyed": 0.3, "angry": 0.6}[anger], "level": anger,
                           "cues": ["shouting"] if anger != "none" else []}}
        events.append(UserUttered(text, parse["intent"], [], parse, timestamp=start + index))
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()
