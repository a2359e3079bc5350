"""Desk users and their login sessions.

A login over HTTP runs in three steps so that only the database work and the hashing leave the event
loop, each in its own pool: `begin_login` (throttle and account lookup), `password_matches` (scrypt),
`finish_login` (the session). `log_in` does all three in one go for scripts and tests."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db.models import DeskSession, Role, User
from bot.desk import login_throttle
from bot.desk.passwords import check_strength, hash_password, verify_password

SESSION_LIFETIME = timedelta(hours=12)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Compared against when the email is unknown, so that a login takes as long either way."""
    return hash_password("not-a-real-password-0")


class UserExists(ValueError):
    pass


def create_user(session: Session, *, email: str, password: str, role: Role, name: Optional[str] = None) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    check_strength(password)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise UserExists(f"a user {email} already exists")
    user = User(email=email, name=name or email.split("@")[0], password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class LoginStart:
    attempt: login_throttle.Attempt
    user_id: Optional[int]  # None: no active user has that email (the caller cannot tell from outside)
    password_hash: str


def begin_login(session: Session, *, email: str, address: str, now: datetime) -> LoginStart:
    email = normalise_email(email)
    attempt = login_throttle.begin_attempt(session, email=email, address=address, now=now)
    user = None if attempt.refused else session.execute(
        select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.active:
        return LoginStart(attempt, None, _dummy_hash())
    return LoginStart(attempt, user.id, user.password_hash)


def password_matches(start: LoginStart, password: str) -> bool:
    """CPU-heavy (scrypt): run it off the event loop. Always hashes, even for unknown emails."""
    matches = verify_password(password or "", start.password_hash)
    return matches and start.user_id is not None


def finish_login(session: Session, *, start: LoginStart, now: datetime) -> Tuple[str, dict]:
    """A new session for a login whose password matched: (cookie token, the user as a dict)."""
    login_throttle.succeeded(session, attempt_id=start.attempt.id)
    token = secrets.token_urlsafe(32)
    session.add(DeskSession(token_hash=_token_hash(token), user_id=start.user_id, created_at=now,
                            expires_at=now + SESSION_LIFETIME))
    return token, _as_dict(session.get(User, start.user_id))


def log_in(session: Session, *, email: str, password: str, now: datetime,
           address: str = "local") -> Optional[Tuple[str, User]]:
    """(cookie token, user) for the right password, None otherwise (wrong, unknown or throttled)."""
    start = begin_login(session, email=email, address=address, now=now)
    if start.attempt.refused or not password_matches(start, password):
        return None
    token, _ = finish_login(session, start=start, now=now)
    return token, session.get(User, start.user_id)


def _as_dict(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role,
            "availability": user.availability}


def user_for_token(session: Session, token: Optional[str], now: datetime) -> Optional[User]:
    if not token:
        return None
    found = session.execute(select(DeskSession).where(DeskSession.token_hash == _token_hash(token))).scalar_one_or_none()
    if found is None or found.expires_at <= now or not found.user.active:
        return None
    return found.user


def desk_user_for_token(session: Session, token: Optional[str], now: datetime) -> Optional[dict]:
    """The logged-in user as a plain dict (id, name, email, role), usable after the session closes."""
    user = user_for_token(session, token, now)
    return _as_dict(user) if user is not None else None


def log_out(session: Session, token: Optional[str]) -> None:
    if token:
        session.execute(delete(DeskSession).where(DeskSession.token_hash == _token_hash(token)))
