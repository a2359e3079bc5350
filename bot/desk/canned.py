"""Canned replies: what an agent inserts by shortcode (/delay), with {variables} the console fills in from
the ticket (its verified order, the shopper's name, the agent) and from the knowledge base (the store's
compensation amounts and policies, word for word), so that a reply never states an amount or a rule
the knowledge base does not.

The replies live in the database (bot/db/models.py CannedReply), managed by supervisors; the table is
seeded from support/canned_replies.yml when it is empty. Each function takes a session and returns
plain dicts."""
import re
from datetime import date, datetime
from pathlib import Path
from typing import Dict, List, Optional

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import CannedReply
from bot.knowledge.answers import money, returns
from bot.knowledge.loader import KnowledgeBase
from bot.settings import PROJECT_ROOT

SEED_FILE = PROJECT_ROOT / "support" / "canned_replies.yml"
SHORTCODE = re.compile(r"[a-z0-9_-]{2,30}")
TITLE_LIMIT, TOPIC_LIMIT, TEXT_LIMIT = 120, 40, 2000  # a reply longer than a chat message could not be sent
DEFAULT_TOPIC = "general"
VARIABLE = re.compile(r"\{([a-z_]+)\}")

# Filled from the ticket (bot/desk/tickets.py ticket_detail): present only when known.
TICKET_VARIABLES = ("first_name", "order_number", "carrier", "eta", "tracking_number", "agent_name")
# Filled from the knowledge base: the same for every ticket.
STORE_VARIABLES = ("store_name", "support_email", "support_phone", "support_hours", "upgrade_method", "store_credit",
                   "credit_months", "refund_percent", "return_window_days", "late_parcel_policy",
                   "lost_parcel_policy", "damaged_policy", "wrong_item_policy", "refund_timing", "how_to_return",
                   "exchanges_policy", "address_change_policy")
VARIABLES = TICKET_VARIABLES + STORE_VARIABLES


class InvalidReply(ValueError):
    """A reply's fields break a rule; the message says which, in words for the supervisor."""


class DuplicateShortcode(InvalidReply):
    pass


class NoSuchReply(LookupError):
    pass


def store_variables(kb: KnowledgeBase) -> Dict[str, str]:
    """The knowledge base's values for STORE_VARIABLES."""
    offer, support = kb.store.compensation, kb.store.support
    upgrade = next(m.name for m in kb.shipping.regions[0].methods if m.id == offer.free_upgrade)
    return {
        "store_name": kb.store.name, "support_email": support.email, "support_phone": support.phone,
        "support_hours": support.hours, "upgrade_method": upgrade, "store_credit": money(offer.store_credit_cents),
        "credit_months": str(offer.store_credit_months), "refund_percent": f"{offer.refund_percent}%",
        "return_window_days": str(kb.returns.standard_window_days),
        "late_parcel_policy": kb.shipping.late_parcel, "lost_parcel_policy": kb.shipping.lost_parcel,
        "damaged_policy": f"{kb.returns.damaged} {kb.returns.return_shipping.faulty}",
        "wrong_item_policy": kb.returns.wrong_item, "refund_timing": returns.refund_timing(kb),
        "how_to_return": kb.returns.how_to_start, "exchanges_policy": kb.returns.exchanges,
        "address_change_policy": kb.shipping.address_change,
    }


def describe_day(day: date) -> str:
    """An estimate as the shopper reads it: "Tuesday, November 24"."""
    return f"{day:%A}, {day:%B} {day.day}"


def ticket_variables(kb: KnowledgeBase, *, name: Optional[str], order: Optional[dict],
                     agent_name: Optional[str]) -> Dict[str, str]:
    """The values a ticket gives its canned replies: the store's, then what is known of the shopper (`order`
    is the verified order as tickets.verified_order_details gives it). Unknown ones are left out, so that
    the console shows them as {name} for the agent to fill in."""
    values = store_variables(kb)
    known = {"first_name": name.split()[0] if name and name.split() else None, "agent_name": agent_name}
    if order:
        estimate = order.get("estimated_delivery")
        known.update(order_number=order.get("number"), carrier=order.get("carrier"),
                     tracking_number=order.get("tracking_number"),
                     eta=describe_day(date.fromisoformat(estimate)) if estimate else None)
    values.update({key: value for key, value in known.items() if value})
    return values


def expand(text: str, values: Dict[str, str]) -> str:
    """`text` with each {variable} replaced by its value; unknown ones stay as written. (The console does
    the same in the browser; this is for the server's own checks.)"""
    return VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _text(fields: dict, name: str, limit: int, *, required: bool = True, default: str = "") -> str:
    value = fields.get(name, default)
    if value is None and not required:
        value = default
    if not isinstance(value, str):
        raise InvalidReply(f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise InvalidReply(f"{name} is required")
    if len(value) > limit:
        raise InvalidReply(f"{name} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidReply(f"{name} contains a NUL character")
    return value


def validated(fields: dict) -> dict:
    """The reply's fields, cleaned, or InvalidReply saying what is wrong."""
    if not isinstance(fields, dict):
        raise InvalidReply("a reply is an object with shortcode, title, topic and text")
    shortcode = fields.get("shortcode")
    if not isinstance(shortcode, str) or not SHORTCODE.fullmatch(shortcode.strip().lstrip("/")):
        raise InvalidReply("shortcode must be 2 to 30 characters of a-z, 0-9, _ and -")
    text = _text(fields, "text", TEXT_LIMIT)
    unknown = sorted({name for name in VARIABLE.findall(text) if name not in VARIABLES})
    if unknown:
        raise InvalidReply("unknown variable " + ", ".join(f"{{{name}}}" for name in unknown)
                           + "; the variables are " + ", ".join(f"{{{name}}}" for name in VARIABLES))
    return {"shortcode": shortcode.strip().lstrip("/"), "title": _text(fields, "title", TITLE_LIMIT),
            "topic": _text(fields, "topic", TOPIC_LIMIT, required=False, default=DEFAULT_TOPIC) or DEFAULT_TOPIC,
            "text": text}


def load_seed(path: Path = SEED_FILE) -> List[dict]:
    """The replies of the seed file, each checked as the API checks one; InvalidReply names the entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidReply(f"{path}: cannot be read ({error})") from None
    entries = raw.get("replies") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InvalidReply(f"{path}: expected a list under `replies`")
    replies, seen = [], set()
    for index, entry in enumerate(entries):
        try:
            reply = validated(entry)
        except InvalidReply as problem:
            raise InvalidReply(f"{path}: replies[{index}]: {problem}") from None
        if reply["shortcode"] in seen:
            raise InvalidReply(f"{path}: replies[{index}]: shortcode /{reply['shortcode']} is used twice")
        seen.add(reply["shortcode"])
        replies.append(reply)
    return replies


def seed_if_empty(session: Session, *, replies: List[dict], now: datetime) -> int:
    """Adds `replies` when the table has none (supervisors' edits are never overwritten); how many were
    added. Two desks starting at once: the one that loses the race adds nothing."""
    if session.execute(select(func.count()).select_from(CannedReply)).scalar_one():
        return 0
    try:
        with session.begin_nested():
            session.add_all(CannedReply(position=index, created_at=now, updated_at=now, **reply)
                            for index, reply in enumerate(replies))
    except IntegrityError:
        return 0
    return len(replies)


def reply_json(reply: CannedReply) -> dict:
    return {"id": reply.id, "shortcode": reply.shortcode, "title": reply.title, "topic": reply.topic,
            "text": reply.text, "updated_at": reply.updated_at.isoformat() + "Z"}


def list_replies(session: Session) -> List[dict]:
    return [reply_json(reply) for reply in session.execute(
        select(CannedReply).order_by(CannedReply.position, CannedReply.id)).scalars()]


def _check_unique(session: Session, shortcode: str, reply_id: Optional[int] = None) -> None:
    taken = session.execute(select(CannedReply.id).where(CannedReply.shortcode == shortcode)).scalar()
    if taken is not None and taken != reply_id:
        raise DuplicateShortcode(f"/{shortcode} is already used by another reply")


def create_reply(session: Session, *, fields: dict, user_id: int, now: datetime) -> dict:
    reply_fields = validated(fields)
    _check_unique(session, reply_fields["shortcode"])
    last = session.execute(select(func.max(CannedReply.position))).scalar()
    reply = CannedReply(position=(last if last is not None else -1) + 1, created_at=now, updated_at=now,
                        updated_by_id=user_id, **reply_fields)
    session.add(reply)
    _flush_unique(session, reply_fields["shortcode"])
    return reply_json(reply)


def update_reply(session: Session, *, reply_id: int, fields: dict, user_id: int, now: datetime) -> dict:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NoSuchReply(reply_id)
    reply_fields = validated(fields)
    _check_unique(session, reply_fields["shortcode"], reply_id)
    for name, value in reply_fields.items():
        setattr(reply, name, value)
    reply.updated_at, reply.updated_by_id = now, user_id
    _flush_unique(session, reply_fields["shortcode"])
    return reply_json(reply)


def _flush_unique(session: Session, shortcode: str) -> None:
    """Flushes; a shortcode another supervisor took a moment ago is a DuplicateShortcode, not a 500 (the
    caller's session scope rolls back on it)."""
    try:
        session.flush()
    except IntegrityError:
        raise DuplicateShortcode(f"/{shortcode} is already used by another reply") from None


def delete_reply(session: Session, *, reply_id: int) -> None:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NoSuchReply(reply_id)
    session.delete(reply)
