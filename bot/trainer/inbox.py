"""The inbox of real shopper messages: synced from Rasa's tracker store, imported from chat logs, and
listed for trainers with duplicates collapsed."""
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import and_, func, inspect, select, text
from sqlalchemy.orm import Session

from bot.db.models import InboxMessage, Label, SyncMark, Ticket
from bot.orders.masking import mask_personal_data

logger = logging.getLogger(__name__)
MAX_TEXT = 2000
# The intent the FallbackClassifier (config.yml) gives a message the assistant did not understand.
NOT_UNDERSTOOD = "nlu_fallback"
PAGE_SIZE = 50


def normalized(value: str) -> str:
    """Case and spacing aside: how texts are compared in the inbox and against the training data."""
    return " ".join(value.lower().split())


def text_key(value: str) -> str:
    return normalized(value)[:500]


@dataclass(frozen=True)
class Prediction:
    intent: Optional[str]
    confidence: Optional[float]
    entities: List[dict] = field(default_factory=list)
    anger: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_parse(cls, parse: Dict[str, Any]) -> "Prediction":
        intent = parse.get("intent") or {}
        entities = [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []
                    if isinstance(e, dict)]
        return cls(intent.get("name"), intent.get("confidence"), entities, parse.get("anger") or {})


def apply_prediction(message: InboxMessage, prediction: Prediction) -> None:
    message.predicted_intent = prediction.intent
    message.confidence = None if prediction.confidence is None else float(prediction.confidence)
    message.entities = json.dumps(prediction.entities)
    message.anger_score = float(prediction.anger.get("score") or 0.0)
    message.anger_level = str(prediction.anger.get("level") or "none")
    message.anger_cues = json.dumps(prediction.anger.get("cues") or [])


def is_inboxable(value: str) -> bool:
    """Typed words only: clicked buttons send "/intent" payloads, which are not the shopper's wording."""
    stripped = value.strip()
    return bool(stripped) and not stripped.startswith("/")


def sync_from_tracker_store(session: Session, *, batch: int = 5000) -> int:
    """Copy shopper messages that Rasa stored since the last sync; returns how many were added."""
    if not inspect(session.get_bind()).has_table("events"):
        return 0  # no conversation yet
    mark = session.get(SyncMark, "inbox_events") or SyncMark(name="inbox_events", value=0)
    session.add(mark)
    rows = session.execute(text(
        "SELECT id, sender_id, timestamp, data FROM events WHERE type_name = 'user' AND id > :after "
        "ORDER BY id LIMIT :batch"), {"after": mark.value, "batch": batch}).all()
    added = 0
    for event_id, sender_id, timestamp, data in rows:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        words = str(event.get("text") or "")
        if not is_inboxable(words):
            continue
        message = InboxMessage(origin=f"event:{event_id}", text=words[:MAX_TEXT], text_key=text_key(words),
                               source="chat", conversation_id=sender_id,
                               sent_at=datetime.utcfromtimestamp(float(timestamp or 0)))
        apply_prediction(message, Prediction.from_parse(event.get("parse_data") or {}))
        session.add(message)
        added += 1
    if rows:
        mark.value = rows[-1][0]
    return added


def predict_pending(session: Session, predict: Callable[[str], Dict[str, Any]], *, limit: int = 100) -> int:
    """Imported messages that could not be predicted when they came in (the assistant was down)."""
    pending = session.execute(select(InboxMessage).where(InboxMessage.predicted_intent.is_(None))
                              .order_by(InboxMessage.id).limit(limit)).scalars().all()
    for message in pending:
        apply_prediction(message, Prediction.from_parse(predict(message.text)))
    return len(pending)


@dataclass
class InboxQuery:
    order: str = "confidence"          # confidence (lowest first) | recent | count
    intent: Optional[str] = None
    not_understood: bool = False
    handed_off: bool = False
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    search: str = ""
    status: str = "todo"               # todo | labelled | disagreements | ignored | all
    page: int = 0


def _message_filters(query: InboxQuery) -> list:
    conditions = []
    if query.intent:
        conditions.append(InboxMessage.predicted_intent == query.intent)
    if query.not_understood:
        conditions.append(InboxMessage.predicted_intent == NOT_UNDERSTOOD)
    if query.handed_off:
        conditions.append(InboxMessage.conversation_id.in_(select(Ticket.conversation_id)))
    if query.since:
        conditions.append(InboxMessage.sent_at >= query.since)
    if query.until:
        conditions.append(InboxMessage.sent_at < query.until)
    if query.search:
        pattern = "%" + query.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(InboxMessage.text_key.like(pattern, escape="\\"))
    return conditions


def list_inbox(session: Session, query: InboxQuery, *, user_id: int) -> Dict[str, Any]:
    """One row per distinct text (with how often it was seen), filtered and ordered for labelling."""
    groups = (select(InboxMessage.text_key.label("key"), func.count().label("seen"),
                     func.min(InboxMessage.confidence).label("lowest"), func.max(InboxMessage.sent_at).label("last"),
                     func.max(InboxMessage.id).label("latest_id"))
              .where(and_(True, *_message_filters(query))).group_by(InboxMessage.text_key).subquery())
    labels = select(Label.text_key).distinct()
    mine = select(Label.text_key).where(Label.user_id == user_id)
    ignored = select(Label.text_key).where(Label.spam.is_(True))
    rows = select(groups)
    if query.status == "todo":
        rows = rows.where(groups.c.key.not_in(mine), groups.c.key.not_in(ignored))
    elif query.status == "labelled":
        rows = rows.where(groups.c.key.in_(labels), groups.c.key.not_in(ignored))
    elif query.status == "ignored":
        rows = rows.where(groups.c.key.in_(ignored))
    elif query.status == "disagreements":
        rows = rows.where(groups.c.key.in_(
            select(Label.text_key).where(Label.intent.is_not(None)).group_by(Label.text_key)
            .having(func.count(func.distinct(Label.intent)) > 1)))
    order = {"recent": [groups.c.last.desc()], "count": [groups.c.seen.desc(), groups.c.last.desc()]}.get(
        query.order, [groups.c.lowest.is_(None).desc(), groups.c.lowest.asc(), groups.c.seen.desc()])
    total = session.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
    page = session.execute(rows.order_by(*order).limit(PAGE_SIZE).offset(max(query.page, 0) * PAGE_SIZE)).all()
    latest = {m.id: m for m in session.execute(
        select(InboxMessage).where(InboxMessage.id.in_([row.latest_id for row in page]))).scalars()}
    keys = [row.key for row in page]
    handed_off = set(session.execute(select(InboxMessage.text_key).where(
        InboxMessage.text_key.in_(keys), InboxMessage.conversation_id.in_(select(Ticket.conversation_id)))).scalars())
    by_key: Dict[str, List[Label]] = {}
    for label in session.execute(select(Label).where(Label.text_key.in_(keys)).order_by(Label.created_at)).scalars():
        by_key.setdefault(label.text_key, []).append(label)
    return {"total": total, "page": query.page, "page_size": PAGE_SIZE,
            "rows": [_row(row, latest[row.latest_id], by_key.get(row.key, []), row.key in handed_off, user_id)
                     for row in page]}


def label_json(label: Label) -> Dict[str, Any]:
    return {"trainer": label.user.name, "trainer_id": label.user_id, "intent": label.intent,
            "entities": json.loads(label.entities or "[]"), "angry": label.angry, "spam": label.spam,
            "at": label.updated_at.isoformat() + "Z"}


def _row(group, message: InboxMessage, labels: List[Label], handed_off: bool, user_id: int) -> Dict[str, Any]:
    intents = {label.intent for label in labels if label.intent and not label.spam}
    return {
        "key": group.key, "text": mask_personal_data(message.text), "count": group.seen,
        "predicted_intent": message.predicted_intent, "confidence": group.lowest,
        "entities": [{**entity, "value": mask_personal_data(str(entity.get("value")))}
                     for entity in json.loads(message.entities or "[]")],
        "anger": {"score": message.anger_score, "level": message.anger_level,
                  "cues": json.loads(message.anger_cues or "[]")},
        "handed_off": handed_off, "last_seen": group.last.isoformat() + "Z", "source": message.source,
        "conversation_id": message.conversation_id, "labels": [label_json(label) for label in labels],
        "mine": next((label_json(label) for label in labels if label.user_id == user_id), None),
        "disagreement": len(intents) > 1,
    }

