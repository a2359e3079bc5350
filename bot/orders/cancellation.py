"""Cancelling an order: allowed until it ships, done in one conditional update."""
import enum
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.models import CANCELLABLE, Order, OrderStatus


class CancelOutcome(str, enum.Enum):
    cancelled = "cancelled"
    already_cancelled = "already_cancelled"
    too_late = "too_late"
    not_found = "not_found"


def can_cancel(status: OrderStatus) -> bool:
    return status in CANCELLABLE


def cancel_order(session: Session, *, number: str) -> CancelOutcome:
    """Cancel if the order has not shipped; the WHERE clause makes a race with dispatch safe."""
    result = session.execute(
        update(Order)
        .where(Order.number == number, Order.status.in_(CANCELLABLE))
        .values(status=OrderStatus.cancelled, updated_at=datetime.utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return CancelOutcome.cancelled
    status = session.execute(select(Order.status).where(Order.number == number)).scalar_one_or_none()
    if status is None:
        return CancelOutcome.not_found
    if status == OrderStatus.cancelled:
        return CancelOutcome.already_cancelled
    return CancelOutcome.too_late
