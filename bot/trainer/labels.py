"""Trainers' labels: one per trainer and message text, set in bulk, read together for export."""
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import InboxMessage, Label

ENTITY_TYPES = ("product", "category")
_UNSET = object()


class LabelError(ValueError):
    pass


def _entities(value, text: str) -> str:
    if not isinstance(value, list):
        raise LabelError("entities must be a list")
    clean = []
    for entity in value:
        if not isinstance(entity, dict) or entity.get("entity") not in ENTITY_TYPES:
            raise LabelError(f"an entity needs a type ({' or '.join(ENTITY_TYPES)}) and a value")
        words = str(entity.get("value") or "").strip()
        if not words or words.lower() not in text.lower():
            raise LabelError(f"{words!r} is not part of the message")
        clean.append({"entity": entity["entity"], "value": words})
    return json.dumps(clean)


def _message_number(key: str) -> Optional[int]:
    return int(key) if key.isascii() and key.isdigit() and len(key) <= 12 else None


def set_labels(session: Session, *, keys: Iterable[str], user_id: int, now: datetime, known_intents: Iterable[str],
               intent=_UNSET, angry=_UNSET, spam=_UNSET, entities=_UNSET) -> int:
    """The trainer's label on each text, changing only what is given; returns how many texts were labelled.
    `keys` are the inbox's row keys (the number of a message with that text): the texts themselves may
    hold personal data and never leave the desk."""
    row_keys = list(dict.fromkeys(str(key) for key in keys))
    if not row_keys:
        raise LabelError("select at least one message")
    if intent is not _UNSET and intent is not None and intent not in set(known_intents):
        raise LabelError(f"unknown intent {intent!r}")
    if angry is not _UNSET and angry not in (True, False, None):
        raise LabelError("angry must be true, false or null")
    if spam is not _UNSET and spam not in (True, False):
        raise LabelError("spam must be true or false")
    numbers = [_message_number(key) for key in row_keys]
    by_number = {number: (key, words) for number, key, words in session.execute(
        select(InboxMessage.id, InboxMessage.text_key, InboxMessage.text)
        .where(InboxMessage.id.in_([n for n in numbers if n is not None])))}
    unknown = sum(1 for number in numbers if number not in by_number)
    if unknown:
        raise LabelError(f"{unknown} selected message(s) are not in the inbox")
    texts = dict(by_number.values())
    keys = list(dict.fromkeys(key for key, _ in by_number.values()))
    if entities is not _UNSET and len(keys) > 1:
        raise LabelError("mark entities on one message at a time")
    existing = {label.text_key: label for label in session.execute(
        select(Label).where(Label.user_id == user_id, Label.text_key.in_(keys))).scalars()}
    for key in keys:
        label = existing.get(key) or Label(text_key=key, user_id=user_id, entities="[]", spam=False, created_at=now)
        if intent is not _UNSET:
            label.intent = intent
        if angry is not _UNSET:
            label.angry = angry
        if spam is not _UNSET:
            label.spam = spam
        if entities is not _UNSET:
            label.entities = _entities(entities, texts[key])
        label.updated_at = now
        session.add(label)
    return len(keys)


@dataclass(frozen=True)
class LabelledText:
    """A text's labels resolved for training: one intent all trainers agree on, or a conflict."""

    text: str
    intent: Optional[str]
    entities: List[dict]
    angry: Optional[bool]
    conflict: List[str]


def labelled_texts(session: Session) -> List[LabelledText]:
    """Every labelled, not ignored text; the text is the latest message with that key."""
    by_key: Dict[str, List[Label]] = {}
    for label in session.execute(select(Label).order_by(Label.updated_at)).scalars():
        by_key.setdefault(label.text_key, []).append(label)
    if not by_key:
        return []
    latest_text = {}
    for key, words in session.execute(select(InboxMessage.text_key, InboxMessage.text)
                                      .where(InboxMessage.text_key.in_(list(by_key)))
                                      .order_by(InboxMessage.id)).all():
        latest_text[key] = words
    result = []
    for key, labels in by_key.items():
        if key not in latest_text or any(label.spam for label in labels):
            continue
        intents = sorted({label.intent for label in labels if label.intent})
        angry_marks = {label.angry for label in labels if label.angry is not None}
        entities = json.loads(labels[-1].entities or "[]")
        result.append(LabelledText(
            text=latest_text[key], intent=intents[0] if len(intents) == 1 else None, entities=entities,
            angry=angry_marks.pop() if len(angry_marks) == 1 else None,
            conflict=intents if len(intents) > 1 else []))
    return result
