"""Satisfaction follow-ups (support/sla.yml follow_up, 72 business hours after the resolve by default).

When an agent resolves a ticket, `schedule_follow_up` books one (FollowUp, unique per ticket; never for
spam). When it is due, the SLA sweep carries it out: an email to the shopper when the ticket has a
contact address (a ShopperMail row "follow_up"; state "emailed"), otherwise a task for the agent who
resolved the ticket (state "task"), done from the console. A mail the server refuses becomes a task too.

States: scheduled -> task -> done, or scheduled -> sending -> emailed (or -> task when the mail fails).
Each step is a conditional update, so that two desk processes never both mail a shopper."""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from bot.db import session_scope
from bot.db.inserts import insert_once
from bot.db.models import FollowUp, ShopperMail, Ticket, TicketStatus, User
from bot.desk.sla_policies import FOLLOW_UP, SlaRules, active_rules
from bot.email_masking import mask_email
from bot.handoff.history import record

logger = logging.getLogger(__name__)
STATES = ("scheduled", "task", "sending", "emailed", "done")
# A follow-up still "sending" this long after a sweep claimed it was never finished (the process
# stopped mid-send): it becomes a task, so that somebody still follows up.
STUCK_SENDING = timedelta(minutes=10)
NO_FOLLOW_UP_TAGS = ("spam",)
# One follow-up mail per recipient in this window, however many tickets carry the address.
FOLLOW_UP_MAIL_WINDOW = timedelta(days=7)


class NoSuchFollowUp(LookupError):
    pass


class NotYours(PermissionError):
    """Only the agent the task was given to, or a supervisor, marks it done."""


class NotATask(RuntimeError):
    """The follow-up is not waiting for a person (scheduled, emailed, or done already)."""

    def __init__(self, state: str):
        self.state = state
        super().__init__(state)


@dataclass(frozen=True)
class PendingMail:
    follow_up_id: int
    ticket_id: int
    conversation_id: str
    to: str
    subject: str
    body: str


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat() + "Z" if moment is not None else None


def schedule_follow_up(session: Session, ticket: Ticket, now: datetime, *,
                       rules: Optional[SlaRules] = None) -> Optional[int]:
    """Book the follow-up of a ticket that was just resolved (call it in the resolve's transaction);
    its id, or None when nothing was booked (not resolved, spam, or booked already)."""
    row = session.execute(select(Ticket.status, Ticket.resolution_tag, Ticket.assigned_agent_id,
                                 Ticket.resolved_at).where(Ticket.id == ticket.id)).one_or_none()
    if row is None or row.status != TicketStatus.resolved or row.resolution_tag in NO_FOLLOW_UP_TAGS:
        return None
    rules = rules or active_rules()
    due = rules.due(FOLLOW_UP, row.resolved_at or now)
    if not insert_once(session, FollowUp.__table__, {"ticket_id": ticket.id, "due_at": due, "state": "scheduled",
                                                     "assigned_agent_id": row.assigned_agent_id}):
        return None
    record(session, ticket_id=ticket.id, kind="follow_up", at=now, actor_id=row.assigned_agent_id,
           detail={"state": "scheduled", "due_at": _iso(due)})
    return session.execute(select(FollowUp.id).where(FollowUp.ticket_id == ticket.id)).scalar_one()


def _mailed_lately(session: Session, key: str, now: datetime) -> bool:
    """A follow-up went to (or is being sent to) this recipient within FOLLOW_UP_MAIL_WINDOW."""
    sent = session.execute(select(ShopperMail.id).where(
        ShopperMail.kind == "follow_up", ShopperMail.recipient_key == key,
        ShopperMail.sent_at >= now - FOLLOW_UP_MAIL_WINDOW).limit(1)).first()
    return sent is not None


def _move(session: Session, follow_up_id: int, *, from_state: str, **values) -> bool:
    """The follow-up goes to the new values only if it is still in `from_state` (True), whoever else tries."""
    result = session.execute(update(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.state == from_state)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def take_up_due(session: Session, *, now: datetime, rules: SlaRules) -> Tuple[int, List[PendingMail]]:
    """The follow-ups due by `now`: tasks given out (their number), mails claimed (state "sending") and
    returned for `deliver` to send after this transaction."""
    from bot.desk.offline_messages import recipient_key

    tasks, mails = 0, []
    mailed: set = set()  # the recipients this pass already mails
    due = session.execute(select(FollowUp, Ticket).join(Ticket, Ticket.id == FollowUp.ticket_id).where(
        FollowUp.state == "scheduled", FollowUp.due_at <= now).order_by(FollowUp.due_at, FollowUp.id)).all()
    for follow_up, ticket in due:
        key = recipient_key(ticket.contact_email) if ticket.contact_email else None
        if key is not None and (key in mailed or _mailed_lately(session, key, now)):
            # The address is anyone's a shopper typed: it gets one follow-up per window, however many
            # tickets name it; the rest are followed up by their agents.
            if _move(session, follow_up.id, from_state="scheduled", state="task"):
                record(session, ticket_id=ticket.id, kind="follow_up", at=now,
                       detail={"state": "task", "agent_id": follow_up.assigned_agent_id, "mail_limited": True})
                tasks += 1
            continue
        if ticket.contact_email:
            mailed.add(key)
            # done_at holds when the sending began, until the mail is recorded (then: when it went).
            if _move(session, follow_up.id, from_state="scheduled", state="sending", done_at=now):
                subject, body = rules.follow_up_email(ticket_id=ticket.id)
                mails.append(PendingMail(follow_up.id, ticket.id, ticket.conversation_id, ticket.contact_email,
                                         subject, body))
        elif _move(session, follow_up.id, from_state="scheduled", state="task"):
            record(session, ticket_id=ticket.id, kind="follow_up", at=now,
                   detail={"state": "task", "agent_id": follow_up.assigned_agent_id})
            tasks += 1
    stuck = session.execute(select(FollowUp.id, FollowUp.ticket_id).where(
        FollowUp.state == "sending", FollowUp.done_at < now - STUCK_SENDING)).all()
    for follow_up_id, ticket_id in stuck:
        if _move(session, follow_up_id, from_state="sending", state="task", done_at=None):
            record(session, ticket_id=ticket_id, kind="follow_up", at=now,
                   detail={"state": "task", "mail_unconfirmed": True})
            tasks += 1
    return tasks, mails


def deliver(engine: Engine, mails: List[PendingMail], *, now: datetime, mailer=None,
            sender: Optional[str] = None) -> Tuple[int, int]:
    """Send the claimed mails, each outside any transaction, and record each result in its own; (emailed,
    failed). A mail that cannot be handed over turns into a task for the agent."""
    from bot.mail import MailUnavailable, compose, mailer_for
    from bot.settings import get_settings

    if mailer is None:
        mailer = mailer_for(get_settings())
    sender = sender or get_settings().mail_from
    emailed = failed = 0
    for mail in mails:
        problem = None
        try:
            if mailer is None:
                raise MailUnavailable("SMTP_URL is not set")
            mailer.send(compose(sender=sender, to=mail.to, subject=mail.subject, body=mail.body))
        except (MailUnavailable, ValueError) as error:  # ValueError: an address no header may carry
            problem = str(error)
            logger.warning("follow-up of ticket %s not mailed: %s", mail.ticket_id, problem)
        with session_scope(engine) as session:
            if _finish(session, mail, now=now, sent=problem is None):
                emailed, failed = emailed + (problem is None), failed + (problem is not None)
    return emailed, failed


def _finish(session: Session, mail: PendingMail, *, now: datetime, sent: bool) -> bool:
    from bot.desk.offline_messages import recipient_key

    if sent:
        if not _move(session, mail.follow_up_id, from_state="sending", state="emailed", done_at=now):
            return False
        session.add(ShopperMail(kind="follow_up", ticket_id=mail.ticket_id, conversation_id=mail.conversation_id,
                                recipient_key=recipient_key(mail.to), sent_at=now))
        record(session, ticket_id=mail.ticket_id, kind="follow_up", at=now,
               detail={"state": "emailed", "to": mask_email(mail.to)})
        return True
    if not _move(session, mail.follow_up_id, from_state="sending", state="task", done_at=None):
        return False
    record(session, ticket_id=mail.ticket_id, kind="follow_up", at=now, detail={"state": "task", "mail_failed": True})
    return True


def follow_up_json(follow_up: FollowUp, ticket: Ticket, agent: Optional[User], done_by: Optional[User], *,
                   now: datetime, rules: SlaRules) -> dict:
    start = ticket.resolved_at or follow_up.due_at
    return {
        "id": follow_up.id, "ticket_id": ticket.id, "conversation_id": ticket.conversation_id,
        "due_at": _iso(follow_up.due_at), "state": follow_up.state,
        "due_soon": follow_up.state == "scheduled" and now >= rules.warn_at(FOLLOW_UP, start),
        "text": rules.clock(FOLLOW_UP).words, "agent_id": follow_up.assigned_agent_id,
        "agent": agent.name if agent else None, "contact_email": ticket.contact_email,
        "resolution_tag": ticket.resolution_tag, "resolved_at": _iso(ticket.resolved_at),
        "done_at": _iso(follow_up.done_at) if follow_up.state in ("emailed", "done") else None,
        "done_by": done_by.name if done_by else None,
    }


def list_follow_ups(session: Session, *, user_id: int, everyone: bool, state: str, now: datetime,
                    rules: Optional[SlaRules] = None, limit: int = 200) -> List[dict]:
    """The follow-ups given to `user_id` (everyone's for a supervisor) in `state` (one of STATES, or
    "all"); open tasks oldest first, the rest newest first."""
    if state != "all" and state not in STATES:
        raise ValueError(state)
    rules = rules or active_rules()
    agent, done_by = aliased(User), aliased(User)
    query = (select(FollowUp, Ticket, agent, done_by).join(Ticket, Ticket.id == FollowUp.ticket_id)
             .outerjoin(agent, agent.id == FollowUp.assigned_agent_id)
             .outerjoin(done_by, done_by.id == FollowUp.done_by_id))
    if not everyone:
        query = query.where(FollowUp.assigned_agent_id == user_id)
    if state != "all":
        query = query.where(FollowUp.state == state)
    order = (FollowUp.due_at, FollowUp.id) if state in ("task", "scheduled") else (FollowUp.due_at.desc(),
                                                                                 FollowUp.id.desc())
    rows = session.execute(query.order_by(*order).limit(limit)).all()
    return [follow_up_json(f, t, a, d, now=now, rules=rules) for f, t, a, d in rows]


def mark_done(session: Session, *, follow_up_id: int, user_id: int, supervisor: bool, now: datetime) -> None:
    """The agent it was given to (or a supervisor) followed up: the task is done."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NoSuchFollowUp(follow_up_id)
    if not supervisor and follow_up.assigned_agent_id != user_id:
        raise NotYours(follow_up_id)
    if not _move(session, follow_up_id, from_state="task", state="done", done_at=now, done_by_id=user_id):
        session.refresh(follow_up)
        raise NotATask(follow_up.state)
    record(session, ticket_id=follow_up.ticket_id, kind="follow_up", at=now, actor_id=user_id,
           detail={"state": "done"})
