"""Desk users and their login sessions."""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db.models import DeskSession, Role, User
from bot.desk.passwords import check_strength, hash_password, verify_password

SESSION_LIFETIME = timedelta(hours=12)
# Compared against when the email is unknown, so that a login takes as long either way.
_DUMMY_HASH = hash_password("not-a-real-password-0")


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


def log_in(session: Session, *, email: str, password: str, now: datetime) -> Optional[Tuple[str, User]]:
    """(cookie token, user) for the right password, None otherwise."""
    user = session.execute(select(User).where(User.email == (email or "").strip().lower())).scalar_one_or_none()
    if user is None or not user.active:
        verify_password(password or "", _DUMMY_HASH)
        return None
    if not verify_password(password or "", user.password_hash):
        return None
    token = secrets.token_urlsafe(32)
    session.add(DeskSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                            expires_at=now + SESSION_LIFETIME))
    return token, user


def user_for_token(session: Session, token: Optional[str], now: datetime) -> Optional[User]:
    if not token:
        return None
    found = session.execute(select(DeskSession).where(DeskSession.token_hash == _token_hash(token))).scalar_one_or_none()
    if found is None or found.expires_at <= now or not found.user.active:
        return None
    return found.user


def log_out(session: Session, token: Optional[str]) -> None:
    if token:
        session.execute(delete(DeskSession).where(DeskSession.token_hash == _token_hash(token)))
