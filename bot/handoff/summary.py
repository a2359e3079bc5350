"""What an agent sees first: built from the conversation's events so the shopper never repeats themselves."""
from typing import Iterable, List, Optional, Tuple

from bot.handoff.queue import Summary
from bot.orders.masking import mask_email

SHOWN_SLOTS = ("order_number", "verified_order", "product")
LAST_MESSAGES = 10


def session_events(events: Iterable[dict]) -> List[dict]:
    current: List[dict] = []
    for event in events:
        if event.get("event") == "session_started":
            current = []
        else:
            current.append(event)
    return current


def peak_anger(events: Iterable[dict]) -> Tuple[float, str]:
    """The angriest moment of the session: (score, level)."""
    best: Tuple[float, str] = (0.0, "none")
    for event in session_events(events):
        if event.get("event") != "user":
            continue
        anger = (event.get("parse_data") or {}).get("anger") or {}
        score = float(anger.get("score") or 0.0)
        if score > best[0]:
            best = (score, anger.get("level", "none"))
    return best


def build_summary(events: Iterable[dict], slots: dict, agent_names: Optional[dict] = None) -> Summary:
    events = session_events(list(events))
    asked = [e.get("text") or "" for e in events if e.get("event") == "user" and (e.get("text") or "").strip()]
    messages = []
    for event in events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            sender = "shopper" if event["event"] == "user" else "bot"
            messages.append({"from": sender, "text": mask_email(event["text"])[:1000]})
    shown = {name: slots.get(name) for name in SHOWN_SLOTS if slots.get(name)}
    shown["order_verified"] = bool(slots.get("verification") == "verified" and slots.get("verified_order"))
    return Summary(asked=[mask_email(a)[:300] for a in asked[-5:]], slots=shown,
                   last_messages=messages[-LAST_MESSAGES:])
