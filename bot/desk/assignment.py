"""Who works on which ticket: assign, transfer and unassign (with who may do what), agents' availability,
and the optional automatic assignment of waiting tickets to available agents (round robin).

Rules: any staff member may give a waiting ticket to any staff member (themselves included); the agent
holding a ticket may transfer or unassign it, and a supervisor (or admin) may do so with any ticket.
Every change is a conditional UPDATE (bot/handoff/queue.py), so two people acting at once cannot both win.
Each function takes a session and returns plain values."""
from dataclasses import dataclass
from datetime import datetime
from typing import List, NamedTuple, Optional

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.db.models import Role, Ticket, TicketNote, TicketStatus, User
from bot.desk import sla
from bot.handoff import queue

AVAILABILITY = ("available", "away")
STAFF_ROLES = (Role.agent, Role.supervisor, Role.admin)
SUPERVISOR_ROLES = (Role.supervisor, Role.admin)
MAX_NOTE = 2000
# One automatic pass assigns at most this many tickets (the next pass, a moment later, goes on).
AUTO_BATCH = 50
OPEN = (TicketStatus.waiting, TicketStatus.assigned)
# `assign(holder_seen=...)` left out: the caller did not say whom it saw holding the ticket.
NOT_CHECKED = object()


@dataclass(frozen=True)
class AutoAssign:
    """AUTO_ASSIGN and AGENT_OPEN_LIMIT (bot/settings.py)."""

    enabled: bool = False
    open_limit: int = 5


class Refused(Exception):
    """The change is not allowed or no longer possible: `status` (403, 404, 409) and words for the agent."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Assigned(NamedTuple):
    """A ticket that changed hands: what the Rasa side is told (the new agent joined the conversation)."""

    ticket_id: int
    conversation_id: str
    agent_id: int
    agent_name: str
    kind: str  # "assigned" or "transferred"


def is_supervisor(role) -> bool:
    return Role(role) in SUPERVISOR_ROLES


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise Refused(404, "no such ticket")
    return ticket


def _staff(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in STAFF_ROLES:
        raise Refused(404, "no such agent")
    return user


def _refresh(session: Session, ticket: Ticket, now: datetime) -> None:
    session.refresh(ticket)  # the conditional UPDATE went around the ORM
    sla.refresh_clock(session, ticket, now)


def assign(session: Session, *, ticket_id: int, agent_id: int, actor_id: int, actor_role, now: datetime,
           note: Optional[str] = None, holder_seen=NOT_CHECKED) -> Assigned:
    """Assign a waiting ticket, or transfer an assigned one (its holder or a supervisor). The note, if
    any, is kept on the history event and as an internal note. `holder_seen` (an agent id, or None for
    nobody) is who the caller saw holding it: a different holder now is a 409, not a silent takeover."""
    ticket = _ticket(session, ticket_id)
    agent = _staff(session, agent_id)
    note = (note or "").strip() or None
    current = ticket.assigned_agent_id if ticket.status == TicketStatus.assigned else None
    if holder_seen is not NOT_CHECKED and ticket.status in OPEN and holder_seen != current:
        raise Refused(409, "the conversation changed hands meanwhile; reload and try again")
    if ticket.status == TicketStatus.waiting:
        if not queue.assign_waiting(session, ticket_id=ticket_id, agent_id=agent.id, now=now, actor_id=actor_id,
                                    note=note):
            raise Refused(409, "someone else has already taken this conversation")
        kind = "assigned"
    elif ticket.status == TicketStatus.assigned:
        holder = ticket.assigned_agent_id
        if holder != actor_id and not is_supervisor(actor_role):
            raise Refused(403, "only the agent holding this conversation or a supervisor may transfer it")
        if holder == agent.id:
            raise Refused(409, f"{agent.name} already holds this conversation")
        if not queue.transfer(session, ticket_id=ticket_id, from_id=holder, to_id=agent.id, now=now,
                              actor_id=actor_id, note=note):
            raise Refused(409, "the conversation changed hands meanwhile; reload and try again")
        kind = "transferred"
    else:
        raise Refused(409, "this conversation is closed")
    if note:
        session.add(TicketNote(ticket_id=ticket_id, author_id=actor_id, text=note, created_at=now))
    _refresh(session, ticket, now)
    return Assigned(ticket.id, ticket.conversation_id, agent.id, agent.name, kind)


def unassign(session: Session, *, ticket_id: int, actor_id: int, actor_role, now: datetime) -> None:
    """Back to the queue, unassigned: by the agent holding it or a supervisor."""
    ticket = _ticket(session, ticket_id)
    if ticket.status != TicketStatus.assigned:
        raise Refused(409, "nobody holds this conversation")
    holder = ticket.assigned_agent_id
    if holder != actor_id and not is_supervisor(actor_role):
        raise Refused(403, "only the agent holding this conversation or a supervisor may unassign it")
    if not queue.unassign(session, ticket_id=ticket_id, from_id=holder, now=now, actor_id=actor_id):
        raise Refused(409, "the conversation changed hands meanwhile; reload and try again")
    _refresh(session, ticket, now)


def set_availability(session: Session, *, user_id: int, availability: str) -> str:
    if availability not in AVAILABILITY:
        raise ValueError(availability)
    session.execute(update(User).where(User.id == user_id).values(availability=availability)
                    .execution_options(synchronize_session=False))
    return availability


def availability_of(session: Session, *, user_id: int) -> str:
    return session.execute(select(User.availability).where(User.id == user_id)).scalar_one_or_none() or "away"


def _open_counts():
    """(agent id, open tickets) for every agent holding any: a subquery."""
    return (select(Ticket.assigned_agent_id.label("agent_id"), func.count().label("open_count"))
            .where(Ticket.status == TicketStatus.assigned).group_by(Ticket.assigned_agent_id).subquery())


def agents(session: Session) -> List[dict]:
    """Active staff with their availability and how many conversations each holds (one query)."""
    counts = _open_counts()
    rows = session.execute(
        select(User.id, User.name, User.role, User.availability, func.coalesce(counts.c.open_count, 0))
        .outerjoin(counts, counts.c.agent_id == User.id)
        .where(User.active == 1, User.role.in_(STAFF_ROLES))
        .order_by(case((User.availability == "available", 0), else_=1), User.name, User.id)).all()
    return [{"id": row[0], "name": row[1], "role": Role(row[2]).value, "availability": row[3], "open_count": row[4]}
            for row in rows]


def _next_agent(session: Session, *, limit: int, skip: set) -> Optional[User]:
    """The available agent idle longest (never assigned first) holding fewer than `limit` conversations."""
    counts = _open_counts()
    query = (select(User).outerjoin(counts, counts.c.agent_id == User.id)
             .where(User.active == 1, User.role.in_(STAFF_ROLES), User.availability == "available",
                    func.coalesce(counts.c.open_count, 0) < limit)
             .order_by(User.last_assigned_at.is_not(None), User.last_assigned_at, User.id))
    if skip:
        query = query.where(User.id.not_in(skip))
    return session.execute(query.limit(1)).scalars().first()


def _open_count(session: Session, agent_id: int) -> int:
    return session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.assigned_agent_id == agent_id, Ticket.status == TicketStatus.assigned)).scalar_one()


def _next_waiting(session: Session, skip: set) -> Optional[Ticket]:
    query = (select(Ticket).where(Ticket.status == TicketStatus.waiting)
             .order_by(Ticket.priority.desc(), Ticket.created_at, Ticket.id))
    if skip:
        query = query.where(Ticket.id.not_in(skip))
    return session.execute(query.limit(1)).scalars().first()


def auto_assign(session: Session, *, limit: int, now: datetime) -> List[Assigned]:
    """Give waiting tickets (highest priority, then oldest, first) to available agents under `limit` open
    conversations, the agent idle longest first. Safe to run in several desk processes at once: an
    agent's turn is taken by updating their row first (which locks it, or on SQLite the database), their
    open count is read again after that, and the ticket itself only moves if still waiting."""
    done: List[Assigned] = []
    full: set = set()
    taken: set = set()
    for _ in range(AUTO_BATCH * 2):
        if len(done) >= AUTO_BATCH:
            break
        ticket = _next_waiting(session, taken)
        if ticket is None:
            break
        agent = _next_agent(session, limit=limit, skip=full)
        if agent is None:
            break
        seen, agent_id, agent_name = agent.last_assigned_at, agent.id, agent.name
        turn = session.execute(
            update(User).where(User.id == agent_id, User.availability == "available",
                               User.last_assigned_at.is_not_distinct_from(seen))
            .values(last_assigned_at=now).execution_options(synchronize_session=False))
        session.expire(agent)
        if turn.rowcount != 1:
            continue  # another process just gave this agent a ticket: pick again with fresh rows
        if _open_count(session, agent_id) >= limit:
            _give_back_turn(session, agent_id, seen)
            full.add(agent_id)
            continue
        taken.add(ticket.id)
        if not queue.assign_waiting(session, ticket_id=ticket.id, agent_id=agent_id, now=now, actor_id=None,
                                    auto=True):
            _give_back_turn(session, agent_id, seen)  # another agent took the ticket meanwhile
            continue
        _refresh(session, ticket, now)
        done.append(Assigned(ticket.id, ticket.conversation_id, agent_id, agent_name, "assigned"))
    return done


def _give_back_turn(session: Session, agent_id: int, seen: Optional[datetime]) -> None:
    session.execute(update(User).where(User.id == agent_id).values(last_assigned_at=seen)
                    .execution_options(synchronize_session=False))
