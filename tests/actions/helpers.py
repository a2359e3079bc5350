"""Build rasa_sdk trackers directly and run actions the way the action server does."""
import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.conftest import project_path

_DOMAIN: Optional[Dict[str, Any]] = None


def domain() -> Dict[str, Any]:
    global _DOMAIN
    if _DOMAIN is None:
        import yaml

        _DOMAIN = yaml.safe_load(project_path("domain.yml").read_text())
    return _DOMAIN


def tracker(text: str = "", intent: str = "", confidence: float = 0.9, slots: Optional[dict] = None,
            entities: Optional[List[dict]] = None, active_loop: Optional[str] = None) -> Tracker:
    all_slots = {name: None for name in domain()["slots"]}
    all_slots["verification_failures"] = 0.0
    all_slots.update(slots or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
    return Tracker("shopper-1", all_slots, latest, [], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, domain()))
    return dispatcher.messages, events


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages) -> List[str]:
    return [m.get("text") or m.get("response") for m in messages]


def _anonymous_key() -> str:
    from actions._context import identity_key

    return identity_key(tracker())


# The identity key of the trackers built here: an anonymous shopper at the conversation's own "address".
ANONYMOUS = _anonymous_key()
