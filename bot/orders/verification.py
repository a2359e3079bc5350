"""The order-verification conversation step: one shopper answer in, one outcome out."""
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.orders.lookup import OrderView, find_verified_order
from bot.orders.numbers import extract_verification
from bot.orders.throttle import ORDER_LIMIT, claim_attempt, record_failure, record_success

# The conversation's own counter only ends the order form; the limits that hold are counted on the
# server across conversations (bot/orders/throttle.py). A locked conversation's slot holds this value.
MAX_FAILED_VERIFICATIONS = ORDER_LIMIT


class Verification(str, enum.Enum):
    verified = "verified"
    not_a_factor = "not_a_factor"  # the answer holds no email or postcode: ask again, costs no attempt
    mismatch = "mismatch"  # unknown order or wrong factor: the shopper is never told which
    locked = "locked"


@dataclass(frozen=True)
class VerificationResult:
    outcome: Verification
    failures: int
    order: Optional[OrderView] = None
    locked_until: Optional[datetime] = None


def is_locked(failures: Optional[float]) -> bool:
    return int(failures or 0) >= MAX_FAILED_VERIFICATIONS


def verify(session: Session, *, number: str, answer: str, client: str, now: datetime) -> VerificationResult:
    """Check the shopper's email or postcode for the order; `client` is who is asking (their network
    address as the channel saw it), counted with the order number across conversations."""
    factor = extract_verification(answer)
    if factor is None:
        return VerificationResult(Verification.not_a_factor, 0)
    claim = claim_attempt(session, order_number=number, client=client, now=now)
    if not claim.allowed:
        return VerificationResult(Verification.locked, MAX_FAILED_VERIFICATIONS, locked_until=claim.locked_until)
    order = find_verified_order(session, number=number, factor=factor)
    if order is not None:
        record_success(session, claim, now=now)
        return VerificationResult(Verification.verified, 0, order)
    until = record_failure(session, claim, now=now)
    if until is not None:
        return VerificationResult(Verification.locked, MAX_FAILED_VERIFICATIONS, locked_until=until)
    return VerificationResult(Verification.mismatch, claim.attempt)
