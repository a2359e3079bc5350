"""The inbox of real shopper messages: synced from Rasa's tracker store, imported from chat logs, and
listed for trainers with duplicates collapsed."""
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.db import session_scope
from bot.db.models import InboxMessage, Label, SyncMark, Ticket
from bot.orders.masking import mask_entity, mask_personal_data
from bot.trainer.references import ConversationReferences, default_references
from bot.trainer.tracker_events import EventRow, has_events_table, read_events, user_event_ids

logger = logging.getLogger(__name__)
MAX_TEXT = 2000
# A tracker event larger than this is not a shopper's message but an attempt to stall the sync.
MAX_EVENT_CHARS = 1_000_000
SYNC_MARK = "inbox_events"
SKIPPED_MARK = "inbox_events_skipped"
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


class BadEvent(ValueError):
    """A tracker event that cannot become an inbox message; the reason names no content."""


@dataclass(frozen=True)
class SyncResult:
    added: int
    skipped: int


def unstorable(value: str, what: str, limit: Optional[int] = None) -> Optional[str]:
    """Why the database would refuse `value`, or None. Lone surrogates ("\\ud800", valid in JSON, not in
    UTF-8) and NUL (refused by PostgreSQL) never reach it, nor values longer than their column."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{what} is not valid Unicode"
    if "\x00" in value:
        return f"{what} contains a NUL character"
    if limit is not None and len(value) > limit:
        return f"{what} is longer than {limit} characters"
    return None


def _storable(value: str, what: str, limit: Optional[int] = None) -> str:
    problem = unstorable(value, what, limit)
    if problem:
        raise BadEvent(problem)
    return value


def message_from_event(row: EventRow) -> Optional[InboxMessage]:
    """The inbox message for one tracker event; None when it is not the shopper's typed words."""
    if row.error:
        raise BadEvent(row.error)
    if not isinstance(row.data, str):
        raise BadEvent("the event has no data")
    if len(row.data) > MAX_EVENT_CHARS:
        raise BadEvent(f"the event is larger than {MAX_EVENT_CHARS} characters")
    try:
        event = json.loads(row.data)
    except (ValueError, RecursionError):
        raise BadEvent("the event data is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("the event data is not an object")
    words = event.get("text")
    if words is None:
        return None
    if not isinstance(words, str):
        raise BadEvent("the text is not a string")
    if not is_inboxable(words):
        return None
    words = _storable(words[:MAX_TEXT], "the text")
    if not isinstance(row.sender_id, str) or not row.sender_id:
        raise BadEvent("the event has no conversation")
    sender = _storable(row.sender_id, "the conversation id", InboxMessage.conversation_id.type.length)
    try:
        seconds = float(row.timestamp)
        sent_at = datetime.utcfromtimestamp(seconds) if math.isfinite(seconds) else None
    except (TypeError, ValueError, OverflowError, OSError):
        sent_at = None
    if sent_at is None:
        raise BadEvent("the event has no usable timestamp")
    parse = event.get("parse_data") or {}
    try:
        prediction = Prediction.from_parse(parse)
        message = InboxMessage(origin=f"event:{row.id}", text=words, text_key=text_key(words), source="chat",
                               conversation_id=sender, sent_at=sent_at)
        apply_prediction(message, prediction)
    except (AttributeError, TypeError, ValueError):
        raise BadEvent("the prediction in the event is malformed") from None
    if message.predicted_intent is not None:
        _storable(str(message.predicted_intent), "the intent", InboxMessage.predicted_intent.type.length)
        message.predicted_intent = str(message.predicted_intent)
    _storable(message.anger_level, "the anger level", InboxMessage.anger_level.type.length)
    if not math.isfinite(message.anger_score) or (message.confidence is not None
                                                  and not math.isfinite(message.confidence)):
        raise BadEvent("a score in the event is not a number")
    return message


def _mark(session: Session, name: str) -> SyncMark:
    mark = session.get(SyncMark, name) or SyncMark(name=name, value=0)
    session.add(mark)
    return mark


def skipped_events(session: Session) -> int:
    """How many tracker events the sync has skipped as unreadable, ever."""
    mark = session.get(SyncMark, SKIPPED_MARK)
    return mark.value if mark else 0


def sync_from_tracker_store(session: Session, *, batch: int = 5000, chunk: int = 200) -> SyncResult:
    """Copy shopper messages that Rasa stored since the last sync. Each event is read and checked on its own,
    and stored with the others of its chunk (a chunk the database refuses is stored again a row at a time):
    an event that cannot be read or stored is logged, counted and passed over, and the mark moves past it."""
    if not has_events_table(session):
        return SyncResult(0, 0)  # no conversation yet
    mark = _mark(session, SYNC_MARK)
    ids = user_event_ids(session, after=mark.value or 0, limit=batch)
    if not ids:
        return SyncResult(0, 0)
    mark.value = ids[-1]
    session.flush()  # the mark is written first: the savepoints below then nest in this transaction
    origins = [f"event:{event_id}" for event_id in ids]
    there = set(session.execute(select(InboxMessage.origin).where(InboxMessage.origin.in_(origins))).scalars())
    added, bad = 0, []
    pending: List[Tuple[EventRow, InboxMessage]] = []
    for row in read_events(session, ids):
        if f"event:{row.id}" in there:
            continue
        try:
            message = message_from_event(row)
            if message is not None:
                pending.append((row, message))
        except BadEvent as error:
            bad.append((row.id, error))
        if len(pending) >= chunk:
            added += _store(session, pending, bad)
            pending = []
    added += _store(session, pending, bad)
    for event_id, error in bad:
        logger.warning("inbox sync skipped tracker event %s: %s", event_id, error)
    if bad:
        counter = _mark(session, SKIPPED_MARK)
        counter.value = (counter.value or 0) + len(bad)
    return SyncResult(added, len(bad))


def _store(session: Session, pending: List[Tuple[EventRow, InboxMessage]], bad: list) -> int:
    """Stores the messages of checked events; returns how many were added, appends refused ones to `bad`."""
    if not pending:
        return 0
    try:
        with session.begin_nested():  # a refused chunk rolls back alone
            session.add_all([message for _, message in pending])
        return len(pending)
    except SQLAlchemyError:
        pass
    added = 0
    for row, _ in pending:  # fresh objects: those of the refused chunk went with its savepoint
        try:
            added += _insert(session, message_from_event(row))
        except BadEvent as error:
            bad.append((row.id, error))
    return added


def _insert(session: Session, message: InboxMessage) -> bool:
    """True when added; False when a parallel sync stored the same event first."""
    try:
        with session.begin_nested():  # a refused row rolls back alone
            session.add(message)
        return True
    except IntegrityError:
        if session.execute(select(InboxMessage.id).where(InboxMessage.origin == message.origin)).first():
            return False
        raise BadEvent("the database refused the row") from None
    except SQLAlchemyError:
        raise BadEvent("the database refused the row") from None


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


def _found_only_in_personal_data(session: Session, condition, term: str) -> List[str]:
    """Texts a search matches only through what trainers see masked (searching for an email would
    otherwise tell whether that shopper wrote): the search runs on the masked text."""
    keys = session.execute(select(InboxMessage.text_key).where(condition).distinct()).scalars()
    return [key for key in keys if term not in mask_personal_data(key).lower()]


def _message_filters(query: InboxQuery, session: Session) -> list:
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
        term = query.search.lower()
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = InboxMessage.text_key.like(pattern, escape="\\")
        conditions.append(found)
        hidden = _found_only_in_personal_data(session, found, term)
        if hidden:
            conditions.append(InboxMessage.text_key.not_in(hidden))
    return conditions


def list_inbox(session: Session, query: InboxQuery, *, user_id: int,
               references: Optional[ConversationReferences] = None) -> Dict[str, Any]:
    """One row per distinct text (with how often it was seen), filtered and ordered for labelling.
    What trainers see of shoppers is masked: the text, the predicted entities, and the conversation, which
    is named by an opaque reference; a row's key is the number of its first message, not its text."""
    references = references or default_references()
    groups = (select(InboxMessage.text_key.label("key"), func.count().label("seen"),
                     func.min(InboxMessage.confidence).label("lowest"), func.max(InboxMessage.sent_at).label("last"),
                     func.max(InboxMessage.id).label("latest_id"), func.min(InboxMessage.id).label("first_id"))
              .where(and_(True, *_message_filters(query, session))).group_by(InboxMessage.text_key).subquery())
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
            "rows": [_row(row, latest[row.latest_id], by_key.get(row.key, []), row.key in handed_off, user_id,
                          references) for row in page]}


def label_json(label: Label) -> Dict[str, Any]:
    return {"trainer": label.user.name, "trainer_id": label.user_id, "intent": label.intent,
            "entities": json.loads(label.entities or "[]"), "angry": label.angry, "spam": label.spam,
            "at": label.updated_at.isoformat() + "Z"}


def _row(group, message: InboxMessage, labels: List[Label], handed_off: bool, user_id: int,
         references: ConversationReferences) -> Dict[str, Any]:
    intents = {label.intent for label in labels if label.intent and not label.spam}
    chat = message.source == "chat" and message.conversation_id
    return {
        "key": str(group.first_id), "text": mask_personal_data(message.text), "count": group.seen,
        "predicted_intent": message.predicted_intent, "confidence": group.lowest,
        "entities": [{"entity": entity.get("entity"), "value": mask_entity(entity.get("entity"), entity.get("value"))}
                     for entity in json.loads(message.entities or "[]") if isinstance(entity, dict)],
        "anger": {"score": message.anger_score, "level": message.anger_level,
                  "cues": json.loads(message.anger_cues or "[]")},
        "handed_off": handed_off, "last_seen": group.last.isoformat() + "Z", "source": message.source,
        "conversation": references.make(message.id, message.conversation_id) if chat else None,
        "labels": [label_json(label) for label in labels],
        "mine": next((label_json(label) for label in labels if label.user_id == user_id), None),
        "disagreement": len(intents) > 1,
    }



def inbox_page(engine, query: InboxQuery, *, user_id: int, predict: Callable[[str], Dict[str, Any]],
               references: Optional[ConversationReferences] = None) -> Dict[str, Any]:
    """What GET /api/inbox answers (blocking: run it off the event loop): new chat messages from the
    tracker store, predictions for imports that lack one, then the page; `skipped` counts the tracker
    events that could not be read, ever."""
    try:
        with session_scope(engine) as session:
            sync_from_tracker_store(session)
    except IntegrityError:
        pass  # another request synced the same events at the same moment
    with session_scope(engine) as session:
        try:
            predict_pending(session, predict, limit=50)
        except Exception:
            logger.info("imported messages wait for a prediction: the assistant is not answering")
    with session_scope(engine) as session:
        page = list_inbox(session, query, user_id=user_id, references=references)
        page["skipped"] = skipped_events(session)
    return page
