"""One-time codes mailed to an order's email: knowing the email or postcode is enough to see an order's
status, but cancelling it takes proof that the person in the chat reads the order's mailbox.

A code is six digits and belongs to one order, one conversation and one purpose; it lives CODE_LIFETIME
and allows MAX_TRIES, and only its keyed hash is stored. An order gets CODES_PER_ORDER codes per
CODE_WINDOW, so the chat cannot be used to flood a customer's inbox. A confirmed code authorises the
action for CONFIRMATION_LIFETIME."""
import enum
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db.models import OneTimeCode

CODE_LIFETIME = timedelta(minutes=10)
MAX_TRIES = 3
CODES_PER_ORDER = 3
CODE_WINDOW = timedelta(hours=1)
CONFIRMATION_LIFETIME = timedelta(minutes=15)
_CODE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")


class CodeCheck(str, enum.Enum):
    confirmed = "confirmed"
    wrong = "wrong"  # tries left
    used_up = "used_up"  # no live code: expired, or the last try was wrong
    not_a_code = "not_a_code"  # the answer holds no six digits: costs no try


def _hash(code: str, *, order_number: str, conversation_id: str, purpose: str) -> str:
    # Keyed: a million codes are tried in a second, so a plain hash would give the code to anyone who
    # reads the table. The key is derived from RASA_TOKEN, which only the servers hold.
    from bot.settings import get_settings

    key = hmac.new(get_settings().rasa_token.encode(), b"storefront one-time codes", hashlib.sha256).digest()
    return hmac.new(key, f"{purpose}:{order_number}:{conversation_id}:{code}".encode(), hashlib.sha256).hexdigest()


def extract_code(text: str) -> Optional[str]:
    match = _CODE.search(text or "")
    return match.group(1) + match.group(2) if match else None


def _live(session: Session, *, order_number: str, conversation_id: str, purpose: str, now: datetime):
    return session.execute(select(OneTimeCode).where(
        OneTimeCode.order_number == order_number, OneTimeCode.conversation_id == conversation_id,
        OneTimeCode.purpose == purpose, OneTimeCode.spent.is_(False), OneTimeCode.expires_at > now)
        .order_by(OneTimeCode.id.desc())).scalars().first()


def issue_code(session: Session, *, order_number: str, conversation_id: str, purpose: str,
               now: datetime) -> Optional[str]:
    """A new code (earlier ones of this conversation are void), or None when the order had its share."""
    recent = session.execute(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.order_number == order_number, OneTimeCode.purpose == purpose,
        OneTimeCode.created_at > now - CODE_WINDOW)).scalar_one()
    if recent >= CODES_PER_ORDER:
        return None
    session.execute(update(OneTimeCode).where(
        OneTimeCode.order_number == order_number, OneTimeCode.conversation_id == conversation_id,
        OneTimeCode.purpose == purpose, OneTimeCode.spent.is_(False)).values(spent=True))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    session.add(OneTimeCode(purpose=purpose, order_number=order_number, conversation_id=conversation_id,
                            code_hash=_hash(code, order_number=order_number, conversation_id=conversation_id,
                                            purpose=purpose),
                            created_at=now, expires_at=now + CODE_LIFETIME, attempts=0, spent=False))
    session.flush()
    return code


def check_code(session: Session, *, order_number: str, conversation_id: str, purpose: str, answer: str,
               now: datetime) -> CodeCheck:
    code = extract_code(answer)
    if code is None:
        return CodeCheck.not_a_code
    live = _live(session, order_number=order_number, conversation_id=conversation_id, purpose=purpose, now=now)
    if live is None:
        return CodeCheck.used_up
    # Counted before comparing, atomically, so parallel guesses share the same three tries.
    taken = session.execute(update(OneTimeCode).where(
        OneTimeCode.id == live.id, OneTimeCode.spent.is_(False), OneTimeCode.attempts < MAX_TRIES)
        .values(attempts=OneTimeCode.attempts + 1)).rowcount
    if taken != 1:
        return CodeCheck.used_up
    session.refresh(live)
    expected = _hash(code, order_number=order_number, conversation_id=conversation_id, purpose=purpose)
    if hmac.compare_digest(expected, live.code_hash):
        live.spent, live.confirmed_at = True, now
        return CodeCheck.confirmed
    if live.attempts >= MAX_TRIES:
        live.spent = True
        return CodeCheck.used_up
    return CodeCheck.wrong


def is_confirmed(session: Session, *, order_number: str, conversation_id: str, purpose: str, now: datetime) -> bool:
    """A code for this order, conversation and purpose was confirmed within the last fifteen minutes."""
    return session.execute(select(OneTimeCode.id).where(
        OneTimeCode.order_number == order_number, OneTimeCode.conversation_id == conversation_id,
        OneTimeCode.purpose == purpose, OneTimeCode.confirmed_at.isnot(None),
        OneTimeCode.confirmed_at > now - CONFIRMATION_LIFETIME)).first() is not None
