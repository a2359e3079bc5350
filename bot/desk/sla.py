"""SLA clocks on tickets (policies: support/sla.yml, read by bot/desk/sla_policies.py).

Three clocks start when a ticket is opened, in the support team's business hours:
- first_reply runs until a person first answers (ticket.first_reply_at);
- escalation runs until the ticket is resolved; when it runs out the supervisors are told, once, and
  the countdown moves on (it is the moment to escalate, not a promise to the shopper);
- resolution runs until the ticket is resolved.
A missed first reply or resolution stays on the ticket, red, until it is kept. Resolved and abandoned
tickets have no clock. The ticket keeps the clock that runs out next (or ran out and is still unkept) in
ticket.sla_clock / sla_due_at, so that lists sort and filter by it.

The sweep (`sweep`, or `run_sweep` with the follow-up mails; every few seconds in each desk process and
`python -m bot sla-sweep`) records each clock that ran out once (SlaBreach, unique per ticket and clock),
flags the ticket, writes its history and alerts the supervisors; it also starts the clocks of tickets
opened elsewhere and carries out the follow-ups that are due (bot/desk/follow_ups.py). Several processes
may sweep at once: the unique constraints and conditional updates decide who does each thing."""
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, List, Optional, Set, Tuple

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, load_only

from bot.db import session_scope
from bot.db.inserts import insert_once
from bot.db.models import OPEN_TICKET_STATUSES, DeskAlert, SlaBreach, Ticket
from bot.desk import follow_ups
from bot.desk.sla_policies import ESCALATION, FIRST_REPLY, RESOLUTION, SlaRules, active_rules
from bot.handoff.history import record

__all__ = ["refresh_clock", "clock_json", "running_clocks", "sweep", "run_sweep", "schedule_follow_up",
           "SweepReport"]
logger = logging.getLogger(__name__)
# Clocks that mark a moment (tell the supervisors) rather than a promise: once run out, the ticket's
# countdown moves on to the next clock.
FIRES_ONCE = (ESCALATION,)
schedule_follow_up = follow_ups.schedule_follow_up
# What the sweep reads of the tickets it looks at every few seconds (not their summaries and previews).
CLOCK_COLUMNS = (Ticket.id, Ticket.status, Ticket.created_at, Ticket.first_reply_at, Ticket.sla_clock,
                 Ticket.sla_due_at, Ticket.flagged)


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def running_clocks(ticket: Ticket, rules: SlaRules) -> List[Tuple[str, datetime]]:
    """(clock, due) of the ticket's clocks that are not kept yet, soonest first."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return []
    names = ([FIRST_REPLY] if ticket.first_reply_at is None else []) + [ESCALATION, RESOLUTION]
    return sorted(((name, rules.due(name, ticket.created_at)) for name in names), key=lambda clock: clock[1])


def _shown_clock(running: List[Tuple[str, datetime]], breached: Set[str]) -> Optional[Tuple[str, datetime]]:
    for name, due in running:
        if not (name in FIRES_ONCE and name in breached):
            return name, due
    return None


def _set_clock(ticket: Ticket, shown: Optional[Tuple[str, datetime]]) -> None:
    name, due = shown if shown is not None else (None, None)
    if ticket.sla_clock != name:
        ticket.sla_clock = name
    if ticket.sla_due_at != due:
        ticket.sla_due_at = due


def refresh_clock(session: Session, ticket: Ticket, now: datetime, *, rules: Optional[SlaRules] = None) -> None:
    """Set ticket.sla_clock / ticket.sla_due_at to the clock that runs out next, or that ran out and is not
    kept yet (None when no clock runs: resolved or abandoned). Call it after any change to the ticket's
    status or first reply."""
    rules = rules or active_rules()
    running = running_clocks(ticket, rules)
    fired = [name for name, due in running if name in FIRES_ONCE and due <= now]
    breached: Set[str] = set()
    if fired and ticket.id is not None:
        breached = set(session.execute(select(SlaBreach.clock).where(
            SlaBreach.ticket_id == ticket.id, SlaBreach.clock.in_(fired))).scalars())
    _set_clock(ticket, _shown_clock(running, breached))


def clock_json(ticket: Ticket, now: datetime, *, rules: Optional[SlaRules] = None) -> Optional[dict]:
    """The ticket's clock for the console, or None:
    {"clock", "label", "due_at", "warn_at", "seconds_left", "business_seconds_left", "hours", "state"}.
    seconds_left is wall-clock seconds until due_at (what a countdown ticks; negative once overdue);
    business_seconds_left is the team's working time left (the clock's own measure: business hours,
    unless the policy counts calendar hours). state: ok, due_soon (from warn_at) or breached."""
    if ticket.sla_clock is None or ticket.sla_due_at is None:
        return None
    rules = rules or active_rules()
    try:
        clock = rules.clock(ticket.sla_clock)
    except KeyError:
        return None
    due = ticket.sla_due_at
    warn_at = min(rules.warn_at(clock.name, ticket.created_at), due)
    state = "breached" if now >= due else "due_soon" if now >= warn_at else "ok"
    return {"clock": clock.name, "label": clock.label, "due_at": _iso(due), "warn_at": _iso(warn_at),
            "seconds_left": int((due - now).total_seconds()),
            "business_seconds_left": rules.seconds_between(clock.name, now, due),
            "hours": "business" if clock.business_hours else "calendar", "state": state}


@dataclass
class SweepReport:
    breaches: List[dict] = field(default_factory=list)  # {"ticket_id", "clock", "due_at"}
    clocks_started: int = 0
    follow_up_tasks: int = 0
    follow_up_mails: List[follow_ups.PendingMail] = field(default_factory=list)  # claimed, to send
    emailed: int = 0
    mail_failed: int = 0

    def as_dict(self) -> dict:
        return {"breaches": len(self.breaches), "clocks_started": self.clocks_started,
                "follow_up_tasks": self.follow_up_tasks, "follow_up_emails": self.emailed,
                "follow_up_mail_failed": self.mail_failed}


def _record_breach(session: Session, *, ticket: Ticket, clock: str, due: datetime, now: datetime,
                   rules: SlaRules) -> bool:
    """Once per ticket and clock, whichever process gets there first: the breach, the flag, the history
    and the supervisors' alert."""
    if not insert_once(session, SlaBreach.__table__,
                       {"ticket_id": ticket.id, "clock": clock, "due_at": due, "breached_at": now}):
        return False
    if not ticket.flagged:
        ticket.flagged = True
    record(session, ticket_id=ticket.id, kind="sla_breach", at=now,
           detail={"clock": clock, "label": rules.clock(clock).label, "due_at": _iso(due)})
    session.add(DeskAlert(kind="sla_breach", ticket_id=ticket.id,
                          text=f"Ticket #{ticket.id}: {rules.breach_text(clock)}"[:500], created_at=now))
    return True


def _due_tickets(session: Session, now: datetime) -> List[Ticket]:
    """Open tickets whose clock ran out, and those whose clocks were never started (opened elsewhere)."""
    return list(session.execute(select(Ticket).options(load_only(*CLOCK_COLUMNS)).where(
        Ticket.status.in_(OPEN_TICKET_STATUSES),
        or_(Ticket.sla_due_at.is_(None), Ticket.sla_due_at <= now)).order_by(Ticket.id)).scalars())


def _breaches_of(session: Session, ticket_ids: Iterable[int]) -> Set[Tuple[int, str]]:
    ids = list(ticket_ids)
    if not ids:
        return set()
    return set(session.execute(select(SlaBreach.ticket_id, SlaBreach.clock)
                               .where(SlaBreach.ticket_id.in_(ids))).tuples())


def sweep(session: Session, now: datetime, *, rules: Optional[SlaRules] = None) -> SweepReport:
    """Record the clocks that ran out by `now`, move the tickets' clocks on, and take up the follow-ups
    that are due: tasks are given out here; the mails are claimed and returned in the report for
    `follow_ups.deliver` to send outside this transaction (run_sweep does both)."""
    rules = rules or active_rules()
    report = SweepReport()
    tickets = _due_tickets(session, now)
    breached = _breaches_of(session, (ticket.id for ticket in tickets))
    for ticket in tickets:
        if ticket.sla_due_at is None:
            report.clocks_started += 1
        running = running_clocks(ticket, rules)
        for name, due in running:
            if due <= now and (ticket.id, name) not in breached:
                if _record_breach(session, ticket=ticket, clock=name, due=due, now=now, rules=rules):
                    report.breaches.append({"ticket_id": ticket.id, "clock": name, "due_at": _iso(due)})
                breached.add((ticket.id, name))  # recorded here or by another process just now
        _set_clock(ticket, _shown_clock(running, {name for (tid, name) in breached if tid == ticket.id}))
    report.follow_up_tasks, report.follow_up_mails = follow_ups.take_up_due(session, now=now, rules=rules)
    return report


def run_sweep(engine: Engine, now: datetime, *, rules: Optional[SlaRules] = None, mailer=None,
              sender: Optional[str] = None) -> SweepReport:
    """One whole sweep: `sweep` in its own transaction, then the follow-up mails it claimed, each sent with
    no transaction open (a slow mail server never holds the database) and recorded in its own.
    `mailer` (bot/mail.py) defaults to the configured one; without any, the follow-ups become tasks."""
    rules = rules or active_rules()
    with session_scope(engine) as session:
        report = sweep(session, now, rules=rules)
    if report.follow_up_mails:
        report.emailed, report.mail_failed = follow_ups.deliver(engine, report.follow_up_mails, now=now,
                                                                mailer=mailer, sender=sender)
    return report
