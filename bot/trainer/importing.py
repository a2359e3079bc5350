"""Historic chat messages (a helpdesk export) into the inbox: CSV with a `text` column, or JSON Lines
with a "text" field; optional timestamp and conversation id. Bad rows are reported by line number and
the rest are imported."""
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.db.models import InboxMessage
from bot.trainer.inbox import MAX_TEXT, Prediction, apply_prediction, is_inboxable, text_key, unstorable

TEXT_FIELDS = ("text", "message", "body")
TIME_FIELDS = ("timestamp", "sent_at", "date", "created_at")
CONVERSATION_FIELDS = ("conversation_id", "conversation", "ticket_id", "session_id")
MAX_ROWS = 50_000


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_there: int = 0
    not_predicted: int = 0
    errors: List[Dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "already_there": self.already_there,
                "not_predicted": self.not_predicted, "errors": self.errors[:200],
                "more_errors": max(len(self.errors) - 200, 0)}


class ImportError_(ValueError):
    """The whole file is unusable (not a CSV with a text column, not JSON Lines, ...)."""


def _first(record: Dict[str, Any], names) -> Any:
    for name in names:
        if name in record and record[name] not in (None, ""):
            return record[name]
    return None


def parse_time(value: Any) -> Optional[datetime]:
    """ISO 8601 text or unix seconds; naive UTC. Raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.utcfromtimestamp(float(value))
    raw = str(value).strip()
    try:
        return datetime.utcfromtimestamp(float(raw))
    except ValueError:
        pass
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _records(content: str, filename: str) -> List[Tuple[int, Any]]:
    """(line number, record) pairs; a record that is not an object is passed on for the row check."""
    name = filename.lower()
    looks_json = name.endswith((".jsonl", ".ndjson", ".json")) or content.lstrip().startswith("{")
    if looks_json:
        records = []
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except ValueError as error:
                records.append((number, ValueError(f"not valid JSON ({error.msg})")))
        return records
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or not any(f in reader.fieldnames for f in TEXT_FIELDS):
        raise ImportError_(f"a CSV file needs a header with a text column ({', '.join(TEXT_FIELDS)})")
    records, line = [], 1
    for record in reader:
        records.append((line + 1, record))
        line = reader.line_num
    return records


def import_messages(session, content: bytes, filename: str, *, predict: Callable[[str], Optional[Dict[str, Any]]],
                    now: datetime) -> ImportReport:
    """Adds the good rows to the inbox; `predict` returns a parse result, or None when the assistant is down."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("the file is not UTF-8 text") from None
    records = _records(decoded, filename)
    if len(records) > MAX_ROWS:
        raise ImportError_(f"at most {MAX_ROWS} rows per file; split it")
    report = ImportReport(rows=len(records))
    source = filename[-200:] or "import"
    for line, record in records:
        problem, message = _message(record, source, now)
        if problem:
            report.errors.append({"line": line, "error": problem})
            continue
        if session.query(InboxMessage.id).filter(InboxMessage.origin == message.origin).first():
            report.already_there += 1
            continue
        parse = predict(message.text)
        if parse is None:
            report.not_predicted += 1
        else:
            apply_prediction(message, Prediction.from_parse(parse))
        session.add(message)
        session.flush()
        report.imported += 1
    return report


def _message(record: Any, source: str, now: datetime) -> Tuple[Optional[str], Optional[InboxMessage]]:
    if isinstance(record, Exception):
        return str(record), None
    if not isinstance(record, dict):
        return "a row must be an object with a text field", None
    words = _first(record, TEXT_FIELDS)
    if words is None or not str(words).strip():
        return "no text", None
    words = str(words).strip()
    if len(words) > MAX_TEXT:
        return f"text longer than {MAX_TEXT} characters", None
    if not is_inboxable(words):
        return "a button payload, not a shopper's words", None
    problem = unstorable(words, "the text")
    if problem:
        return problem, None
    try:
        sent_at = parse_time(_first(record, TIME_FIELDS)) or now
    except (ValueError, OverflowError, OSError):
        return f"unreadable timestamp {str(_first(record, TIME_FIELDS))[:40]!r}", None
    conversation = _first(record, CONVERSATION_FIELDS)
    conversation = str(conversation)[:255] if conversation is not None else None
    problem = unstorable(conversation or "", "the conversation id")
    if problem:
        return problem, None
    digest = hashlib.sha1(json.dumps([words, sent_at.isoformat(), conversation]).encode()).hexdigest()
    return None, InboxMessage(origin=f"import:{digest}", text=words, text_key=text_key(words), source=source,
                              conversation_id=conversation, sent_at=sent_at, entities="[]", anger_cues="[]")
