"""The agent console's inbox: views with their counts, filters, full-text search over the transcripts,
the priority order and pages. A page costs a few queries whatever its size (bot/desk/tickets.py turns
the tickets into JSON).

Views: `waiting` (open, and the shopper's latest message has no answer from a person yet), `mine` (open,
held by the viewer), `unassigned` (open, held by nobody), `open` (waiting or assigned), `resolved`
(resolved or abandoned, newest first). The older list names (`status=waiting|mine|assigned|resolved|
abandoned`) are scopes too. Open views are ordered by priority (anger), then the SLA clock due soonest,
then the longest wait.

Search reads Rasa's tracker store (its `events` table in the same database), whose JSON is written with
ASCII escapes: the words are looked for in their JSON spelling, then each hit is checked against the
line's text as the console shows it, so that intent names and other fields never match."""
import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

from sqlalchemy import Integer, and_, bindparam, case, exists, false, func, or_, select
from sqlalchemy.orm import Session, joinedload

from bot.chat.events import transcript
from bot.db.models import OPEN_TICKET_STATUSES, Ticket, TicketNote, TicketStatus
from bot.desk import sla
from bot.handoff.decision import Thresholds
from bot.trainer.tracker_events import EVENTS, has_events_table

VIEWS = ("waiting", "mine", "unassigned", "open", "resolved")
# The list names the console used before the views (GET /api/tickets?status=...), as scopes.
LEGACY = {"waiting": "unassigned", "mine": "mine", "assigned": "assigned", "resolved": "resolved_only",
          "abandoned": "abandoned"}
ANGER_LEVELS = ("none", "annoyed", "angry", "furious")
SLA_STATES = ("ok", "due_soon", "breached")
CLOSED_STATUSES = (TicketStatus.resolved, TicketStatus.abandoned)
REASON_TEXT = {
    "requested": "Asked for a person",
    "anger": "Anger detected",  # not "Angry": the card's anger badge beside it says the level
    "repeated": f"Asked {Thresholds().repeats} times",
    "verification": "Could not verify the order",
    "late_order": "Late order",
    "offline_message": "Out of hours message",
}
REASON_ALIASES = {"offline": "offline_message"}
PER_PAGE, MAX_PER_PAGE = 25, 100
MAX_QUERY = 200
# A search reads at most this many of the latest matching transcript lines: a one-letter query over every
# resolved conversation must not load the whole tracker store into the desk.
TRANSCRIPT_LINES_READ = 5000
MAX_WAITING_MINUTES = 60 * 24 * 366
LIKE_ESCAPE = "\\"


class BadQuery(ValueError):
    """A query parameter the inbox cannot use; the message says which and why."""


@dataclass(frozen=True)
class Filters:
    reason: Optional[str] = None
    anger: Optional[str] = None
    waiting_over: Optional[int] = None  # minutes since the ticket was opened, still without a reply
    verified: bool = False
    sla: Optional[str] = None
    q: str = ""


@dataclass(frozen=True)
class Query:
    scope: str  # one of VIEWS or LEGACY's values
    filters: Filters
    page: int = 1
    per_page: int = PER_PAGE


def reason_text(reason: str) -> str:
    return REASON_TEXT.get(reason, reason.replace("_", " ").capitalize())


def anger_level(ticket: Ticket) -> str:
    """The peak anger level, as bot/handoff/queue.priority_for folded it into the priority."""
    rank = (ticket.priority or 0) - (1 if ticket.reason == "anger" else 0)
    return ANGER_LEVELS[max(0, min(rank, len(ANGER_LEVELS) - 1))]


def _anger_rank():
    return Ticket.priority - case((Ticket.reason == "anger", 1), else_=0)


def awaiting_reply(ticket: Ticket) -> bool:
    """An open ticket whose shopper wrote after the last answer from a person (or never had one)."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return False
    if ticket.last_agent_at is None:
        return True
    return ticket.last_shopper_at is not None and ticket.last_shopper_at > ticket.last_agent_at


def _awaiting():
    return and_(Ticket.status.in_(OPEN_TICKET_STATUSES),
                or_(Ticket.last_agent_at.is_(None), Ticket.last_shopper_at > Ticket.last_agent_at))


def seen_until_time(seen_until: Optional[float]) -> Optional[datetime]:
    """Ticket.seen_until (Rasa's clock, epoch seconds) as the naive UTC time the ticket columns use."""
    if seen_until is None:
        return None
    return datetime.fromtimestamp(seen_until, timezone.utc).replace(tzinfo=None)


def has_unread(ticket: Ticket, viewer_id: Optional[int]) -> bool:
    """Unassigned tickets are unread for everyone; the viewer's own ones while the shopper wrote after
    what the viewer had on screen."""
    if ticket.status == TicketStatus.waiting:
        return True
    if ticket.status != TicketStatus.assigned or ticket.assigned_agent_id != viewer_id:
        return False
    return _newer_than_seen(ticket.last_shopper_at, ticket.seen_until)


def _newer_than_seen(last_shopper_at: Optional[datetime], seen_until: Optional[float]) -> bool:
    if last_shopper_at is None:
        return False
    seen = seen_until_time(seen_until)
    # Rasa's clock and the desk's differ by up to a second on one machine (the ticket is opened inside
    # the shopper's turn, whose event Rasa stamps first).
    return seen is None or last_shopper_at > seen + timedelta(seconds=1)


# -- reading the query --------------------------------------------------------------------------------

def _choice(query: Mapping[str, str], name: str, allowed: Iterable[str],
            aliases: Optional[Mapping[str, str]] = None) -> Optional[str]:
    value = (query.get(name) or "").strip()
    if not value:
        return None
    value = (aliases or {}).get(value, value)
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadQuery(f"{name} must be one of: {', '.join(allowed)}")
    return value


def _whole(query: Mapping[str, str], name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise BadQuery(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def read_query(query: Mapping[str, str]) -> Query:
    """The inbox query of GET /api/tickets; BadQuery names the parameter at fault."""
    if query.get("view"):
        scope = _choice(query, "view", VIEWS)
    elif query.get("status"):
        scope = LEGACY[_choice(query, "status", LEGACY)]
    else:
        scope = "waiting"
    q = " ".join((query.get("q") or "").split())
    if len(q) > MAX_QUERY:
        raise BadQuery(f"q is longer than {MAX_QUERY} characters")
    verified = (query.get("verified") or "").strip().lower()
    if verified not in ("", "0", "1", "true", "false"):
        raise BadQuery("verified must be 1 or 0")
    filters = Filters(reason=_choice(query, "reason", REASON_TEXT, REASON_ALIASES),
                      anger=_choice(query, "anger", ANGER_LEVELS),
                      waiting_over=_whole(query, "waiting_over", None, 0, MAX_WAITING_MINUTES),
                      verified=verified in ("1", "true"), sla=_choice(query, "sla", SLA_STATES), q=q)
    return Query(scope, filters, page=_whole(query, "page", 1, 1, 100000),
                 per_page=_whole(query, "per_page", PER_PAGE, 1, MAX_PER_PAGE))


# -- the queries --------------------------------------------------------------------------------------

_SCOPES = {
    "waiting": lambda viewer_id: _awaiting(),
    "mine": lambda viewer_id: and_(Ticket.status == TicketStatus.assigned, Ticket.assigned_agent_id == viewer_id),
    "unassigned": lambda viewer_id: Ticket.status == TicketStatus.waiting,
    "open": lambda viewer_id: Ticket.status.in_(OPEN_TICKET_STATUSES),
    "resolved": lambda viewer_id: Ticket.status.in_(CLOSED_STATUSES),
    "assigned": lambda viewer_id: Ticket.status == TicketStatus.assigned,
    "resolved_only": lambda viewer_id: Ticket.status == TicketStatus.resolved,
    "abandoned": lambda viewer_id: Ticket.status == TicketStatus.abandoned,
}


def _scope_condition(scope: str, viewer_id: int):
    # Only the scope asked for is built: building SQL expressions is most of a list request's Python time.
    return _SCOPES[scope](viewer_id)


def _order(scope: str):
    if scope in ("resolved", "resolved_only", "abandoned"):
        return (func.coalesce(Ticket.resolved_at, Ticket.created_at).desc(), Ticket.id.desc())
    return (Ticket.priority.desc(), Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.created_at, Ticket.id)


def like_pattern(text: str) -> str:
    """`%text%` for LIKE, the wildcards in the text matching only themselves."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def _ilike(column, text: str):
    return column.ilike(like_pattern(text), escape=LIKE_ESCAPE)


def _transcript_matches(session: Session, q: str, within) -> Set[str]:
    """Conversations (of tickets meeting `within`) with a shopper, bot or agent line containing q."""
    if not has_events_table(session):
        return set()
    spelled = json.dumps(q)[1:-1]  # as Rasa stores text: JSON with ASCII escapes
    rows = session.execute(
        select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(EVENTS.c.type_name.in_(("user", "bot")), _ilike(EVENTS.c.data, spelled),
               EVENTS.c.sender_id.in_(select(Ticket.conversation_id).where(*within)))
        .order_by(EVENTS.c.id.desc()).limit(TRANSCRIPT_LINES_READ)).all()
    needle, found = q.casefold(), set()
    for sender_id, data in rows:
        if sender_id in found:
            continue
        try:
            event = json.loads(data or "{}")
        except ValueError:
            continue
        if isinstance(event, dict) and any(needle in str(line.get("text") or "").casefold()
                                           for line in transcript({"events": [event]})):
            found.add(sender_id)
    return found


def _search_condition(session: Session, q: str, within):
    # Not the summary: it is JSON, whose keys ("asked", "slots") would match every ticket; what it quotes
    # is in the transcript and the preview.
    matches = [_ilike(Ticket.preview, q), _ilike(Ticket.conversation_id, q),
               _ilike(Ticket.verified_order, q), _ilike(Ticket.contact_email, q), _ilike(Ticket.customer_email, q),
               exists().where(TicketNote.ticket_id == Ticket.id, _ilike(TicketNote.text, q))]
    number = q.lstrip("#")
    if number.isascii() and number.isdigit() and len(number) < 10:
        matches.append(Ticket.id == int(number))
    senders = _transcript_matches(session, q, within)
    if senders:
        matches.append(Ticket.conversation_id.in_(sorted(senders)))
    return or_(*matches)


def _sla_condition(session: Session, state: str, within, now: datetime):
    """Tickets whose running clock is in `state` (bot/desk/sla.py decides; only tickets with a clock)."""
    candidates = session.execute(select(Ticket).where(*within, Ticket.sla_due_at.is_not(None))).scalars()
    ids = [ticket.id for ticket in candidates if (sla.clock_json(ticket, now) or {}).get("state") == state]
    return Ticket.id.in_(ids) if ids else false()


def conditions(session: Session, query: Query, *, viewer_id: int, now: datetime) -> list:
    filters = query.filters
    where = [_scope_condition(query.scope, viewer_id)]
    if filters.reason:
        where.append(Ticket.reason == filters.reason)
    if filters.anger:
        where.append(_anger_rank() == ANGER_LEVELS.index(filters.anger))
    if filters.waiting_over is not None:
        where.extend([Ticket.first_reply_at.is_(None),
                      Ticket.created_at <= now - timedelta(minutes=filters.waiting_over)])
    if filters.verified:
        where.append(Ticket.verified_order.is_not(None))
    if filters.q:
        where.append(_search_condition(session, filters.q, list(where)))
    if filters.sla:
        where.append(_sla_condition(session, filters.sla, list(where), now))
    return where


def find(session: Session, query: Query, *, viewer_id: int, now: datetime) -> Tuple[List[Ticket], int]:
    """One page of the query's tickets (their agents loaded with them) and how many there are in all."""
    where = conditions(session, query, viewer_id=viewer_id, now=now)
    total = session.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one()
    page = session.execute(
        select(Ticket).options(joinedload(Ticket.assigned_agent)).where(*where).order_by(*_order(query.scope))
        .limit(query.per_page).offset((query.page - 1) * query.per_page)).scalars().all()
    return list(page), total


@lru_cache(maxsize=1)
def _counts_statement():
    """Every view's size in one query, built once (the viewer is a parameter): every console asks for it
    with every list."""
    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
    viewer = bindparam("viewer_id", type_=Integer)
    return select(*(total(_scope_condition(view, viewer)) for view in VIEWS))


@lru_cache(maxsize=1)
def _mine_seen_statement():
    return select(Ticket.last_shopper_at, Ticket.seen_until).where(
        _scope_condition("mine", bindparam("viewer_id", type_=Integer)))


def counts(session: Session, *, viewer_id: int) -> Tuple[Dict[str, int], int]:
    """({view: tickets in it}, unread): the views' sizes without filters, in one query, and the title
    badge's count (unassigned tickets and the viewer's own with shopper messages they have not seen)."""
    row = session.execute(_counts_statement(), {"viewer_id": viewer_id}).one()
    found = dict(zip(VIEWS, (int(value) for value in row)))
    mine = session.execute(_mine_seen_statement(), {"viewer_id": viewer_id}).all()
    unread = found["unassigned"] + sum(1 for last, seen in mine if _newer_than_seen(last, seen))
    return found, unread
