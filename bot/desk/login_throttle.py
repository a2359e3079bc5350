"""Desk login throttling, counted in the database (table login_attempts) so that it holds across desk
processes and restarts.

An email with EMAIL_LIMIT failed attempts in the last WINDOW, or a client address with ADDRESS_LIMIT, is
locked until enough of those failures have aged out of the window; attempts during the lock are refused
before the password is looked at, so the right password does not get in either, and they do not extend
the lock. Emails are counted as typed: one that belongs to nobody is throttled exactly like a real one,
so the answers never tell which accounts exist. A successful login clears its email's failures."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.db.models import LoginAttempt

EMAIL_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)
FAILED, REFUSED, OK, CLEARED = "failed", "refused", "ok", "cleared"


@dataclass(frozen=True)
class Attempt:
    id: int
    retry_after: Optional[int]  # seconds until attempts are accepted again; None: go ahead

    @property
    def refused(self) -> bool:
        return self.retry_after is not None


def _recent_failures(session: Session, column, value: str, since: datetime, other_than: int) -> List[datetime]:
    return list(session.execute(
        select(LoginAttempt.at).where(column == value, LoginAttempt.outcome == FAILED, LoginAttempt.at > since,
                                      LoginAttempt.id != other_than)
        .order_by(LoginAttempt.at.desc())).scalars())


def _wait(failures: List[datetime], limit: int, now: datetime) -> int:
    """Seconds until fewer than `limit` failures remain in the window (0: not locked)."""
    if len(failures) < limit:
        return 0
    return max(1, math.ceil((failures[limit - 1] + WINDOW - now).total_seconds()))


def begin_attempt(session: Session, *, email: str, address: str, now: datetime) -> Attempt:
    """Record the attempt (as failed until proven otherwise) and say whether it may go ahead.

    The row is committed before counting, so of several attempts racing on one email each sees those
    committed before it: no more than the limit get through to the password check."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    attempt = LoginAttempt(email=email[:254], address=address[:64], outcome=FAILED, at=now)
    session.add(attempt)
    session.commit()
    since = now - WINDOW
    wait = max(_wait(_recent_failures(session, LoginAttempt.email, attempt.email, since, attempt.id), EMAIL_LIMIT, now),
               _wait(_recent_failures(session, LoginAttempt.address, attempt.address, since, attempt.id),
                     ADDRESS_LIMIT, now))
    if wait:
        attempt.outcome = REFUSED
        return Attempt(attempt.id, wait)
    return Attempt(attempt.id, None)


def succeeded(session: Session, *, attempt_id: int) -> None:
    attempt = session.get(LoginAttempt, attempt_id)
    if attempt is None:
        return
    attempt.outcome = OK
    session.execute(update(LoginAttempt).where(LoginAttempt.email == attempt.email, LoginAttempt.outcome == FAILED)
                    .values(outcome=CLEARED))
