"""The order-verification conversation step: one shopper answer in, one outcome out."""
import enum
from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from bot.orders.lookup import OrderView, find_verified_order
from bot.orders.numbers import extract_verification

# After this many failed attempts in a conversation the assistant stops looking orders up.
MAX_FAILED_VERIFICATIONS = 3


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


def is_locked(failures: Optional[float]) -> bool:
    return int(failures or 0) >= MAX_FAILED_VERIFICATIONS


def verify(session: Session, *, number: str, answer: str, failures: int) -> VerificationResult:
    if is_locked(failures):
        return VerificationResult(Verification.locked, failures)
    factor = extract_verification(answer)
    if factor is None:
        return VerificationResult(Verification.not_a_factor, failures)
    order = find_verified_order(session, number=number, factor=factor)
    if order is not None:
        return VerificationResult(Verification.verified, failures, order)
    failures += 1
    outcome = Verification.locked if is_locked(failures) else Verification.mismatch
    return VerificationResult(outcome, failures)
