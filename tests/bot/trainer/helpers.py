"""Real conversations in Rasa's SQL tracker store, as the Rasa server writes them."""
from typing import Iterable, Tuple

from tests.tracker import store_events, user_said


def store_conversation(engine, sender: str, messages: Iterable[Tuple[str, str, float, str]], start: float = 1.8e9):
    """messages: (text, intent, confidence, anger level)."""
    events = []
    for index, (text, intent, confidence, anger) in enumerate(messages):
        parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
                 "anger": {"score": {"none": 0.0, "annoyed": 0.3, "angry": 0.6}[anger], "level": anger,
                           "cues": ["shouting"] if anger != "none" else []}}
        events.append(user_said(text, parse, start + index))
    store_events(engine, sender, events)
