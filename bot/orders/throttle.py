"""Verification attempts counted on the server, per order number and per client.

A conversation's own counter is no defence: a script starts a new conversation (or types /restart) every
few tries. Here every attempt is claimed in the database before the order is looked at, across
conversations and channels: an order number that collects `ORDER_LIMIT` failures, or a client (its
network address as the Rasa channel saw it) that collects `CLIENT_LIMIT`, is locked, first for
`FIRST_LOCK` and then twice as long each time, up to `LONGEST_LOCK`. Order numbers are counted whether
or not the order exists, so a lock reveals nothing about existence.

Claiming before checking keeps parallel attempts honest: each one takes its own slot with an atomic
`UPDATE ... SET failures = failures + 1`, so twenty simultaneous guesses cannot all slip under the limit.
"""
import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.models import VerificationThrottle

ORDER_LIMIT = 3
CLIENT_LIMIT = 5
# Failures older than this are forgotten unless they led to a lock.
WINDOW = timedelta(hours=24)
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)


class Scope(str, enum.Enum):
    order = "order"
    client = "client"


LIMITS = {Scope.order: ORDER_LIMIT, Scope.client: CLIENT_LIMIT}


@dataclass(frozen=True)
class Claim:
    """An attempt that may go ahead (locked_until None), or the lock that refuses it."""

    order_key: str
    client_key: str
    attempt: int  # this attempt's number on the order, 1 for the first
    client_attempt: int
    locked_until: Optional[datetime] = None

    @property
    def allowed(self) -> bool:
        return self.locked_until is None


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def lock_length(locks_before: int) -> timedelta:
    return min(FIRST_LOCK * (2 ** min(locks_before, 16)), LONGEST_LOCK)


def _row(session: Session, scope: Scope, key: str, now: datetime) -> VerificationThrottle:
    row = session.execute(select(VerificationThrottle).where(
        VerificationThrottle.scope == scope.value, VerificationThrottle.key == key)).scalar_one_or_none()
    if row is not None:
        return row
    # INSERT ... ON CONFLICT DO NOTHING: a parallel attempt may create the same row at the same moment.
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert(VerificationThrottle).values(scope=scope.value, key=key, failures=0,
                                                        window_started_at=now, locks=0)
                    .on_conflict_do_nothing(index_elements=["scope", "key"]))
    return session.execute(select(VerificationThrottle).where(
        VerificationThrottle.scope == scope.value, VerificationThrottle.key == key)).scalar_one()


def _take_slot(session: Session, scope: Scope, key: str, now: datetime) -> tuple:
    """(attempt number, locked_until) after atomically counting one more attempt, unless locked."""
    row = _row(session, scope, key, now)
    if row.locked_until is not None and row.locked_until > now:
        return row.failures, row.locked_until
    condition = (VerificationThrottle.id == row.id)
    # A lapsed window or an expired lock starts the count again (the lock history stays).
    session.execute(update(VerificationThrottle).where(
        condition, (VerificationThrottle.window_started_at < now - WINDOW)
        | ((VerificationThrottle.locked_until.isnot(None)) & (VerificationThrottle.locked_until <= now)))
        .values(failures=0, window_started_at=now, locked_until=None))
    session.execute(update(VerificationThrottle).where(condition)
                    .values(failures=VerificationThrottle.failures + 1))
    session.refresh(row)
    if row.failures > LIMITS[scope]:
        # Parallel attempts beyond the limit: refused, and the lock starts now.
        return row.failures, _lock(session, row, now)
    return row.failures, None


def _lock(session: Session, row: VerificationThrottle, now: datetime) -> datetime:
    until = now + lock_length(row.locks)
    session.execute(update(VerificationThrottle).where(VerificationThrottle.id == row.id)
                    .values(locked_until=until, locks=VerificationThrottle.locks + 1))
    return until


def claim_attempt(session: Session, *, order_number: str, client: str, now: datetime) -> Claim:
    """Count one verification attempt against the order number and the client, before looking."""
    order_key, client_key = _key(order_number), _key(client)
    client_attempt, client_lock = _take_slot(session, Scope.client, client_key, now)
    if client_lock is not None:
        return Claim(order_key, client_key, 0, client_attempt, client_lock)
    attempt, order_lock = _take_slot(session, Scope.order, order_key, now)
    return Claim(order_key, client_key, attempt, client_attempt, order_lock)


def record_failure(session: Session, claim: Claim, *, now: datetime) -> Optional[datetime]:
    """The claimed attempt failed (it is already counted): lock whatever reached its limit."""
    locked_until = None
    for scope, key, attempt in ((Scope.order, claim.order_key, claim.attempt),
                                (Scope.client, claim.client_key, claim.client_attempt)):
        if attempt >= LIMITS[scope]:
            row = _row(session, scope, key, now)
            until = row.locked_until if row.locked_until and row.locked_until > now else _lock(session, row, now)
            locked_until = max(locked_until or until, until)
    return locked_until


def record_success(session: Session, claim: Claim, *, now: datetime) -> None:
    """The shopper proved the order is theirs: the order's count starts again, and this attempt does
    not count against the client."""
    session.execute(update(VerificationThrottle).where(
        VerificationThrottle.scope == Scope.order.value, VerificationThrottle.key == claim.order_key)
        .values(failures=0))
    session.execute(update(VerificationThrottle).where(
        VerificationThrottle.scope == Scope.client.value, VerificationThrottle.key == claim.client_key,
        VerificationThrottle.failures > 0).values(failures=VerificationThrottle.failures - 1))


def locked_until(session: Session, *, order_number: Optional[str], client: str, now: datetime) -> Optional[datetime]:
    """When the current lock on the client (or the order number, if given) ends; None if neither is locked."""
    keys = [(Scope.client, _key(client))] + ([(Scope.order, _key(order_number))] if order_number else [])
    ends = []
    for scope, key in keys:
        until = session.execute(select(VerificationThrottle.locked_until).where(
            VerificationThrottle.scope == scope.value, VerificationThrottle.key == key)).scalar_one_or_none()
        if until is not None and until > now:
            ends.append(until)
    return max(ends) if ends else None
