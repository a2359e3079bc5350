"""Conversations in Rasa's SQL tracker store, written by Rasa's own code in the Rasa environment."""
import json
import subprocess
from typing import Dict, Iterable, List, Optional

from bot.environments import rasa_child_environment, rasa_python
from bot.settings import PROJECT_ROOT


def store_events(engine, sender: str, events: Iterable[Dict]) -> None:
    """Save `events` (Rasa's JSON form) for `sender` through DatabaseUrlTrackerStore."""
    url = engine.url.render_as_string(hide_password=False)
    subprocess.run([rasa_python(), "-m", "tests.rasa.tracker_writer", url, sender], input=json.dumps(list(events)),
                   text=True, cwd=PROJECT_ROOT, env=rasa_child_environment(), check=True, capture_output=True,
                   timeout=120)


def user_said(text: str, parse_data: Dict, timestamp: float, entities: Optional[List[Dict]] = None) -> Dict:
    return {"event": "user", "text": text, "parse_data": dict(parse_data, entities=entities or []),
            "timestamp": timestamp}


def bot_said(text: str, timestamp: float, data: Optional[Dict] = None) -> Dict:
    return {"event": "bot", "text": text, "timestamp": timestamp, "data": data or {}}
