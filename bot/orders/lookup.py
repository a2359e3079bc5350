"""Order lookup that discloses nothing unless the shopper proves they placed the order."""
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db.models import Customer, Order, OrderStatus, Shipment
from bot.orders.numbers import extract_email, normalize_postcode


@dataclass(frozen=True)
class LineView:
    name: str
    size: str
    quantity: int


@dataclass(frozen=True)
class TrackingView:
    occurred_at: datetime
    location: str
    description: str


@dataclass(frozen=True)
class OrderView:
    """What a verified shopper may see of an order; no ORM object leaves this module."""

    number: str
    status: OrderStatus
    placed_at: datetime
    email: str
    lines: Tuple[LineView, ...]
    carrier: Optional[str]
    tracking_number: Optional[str]
    estimated_delivery: Optional[date]
    delivered_at: Optional[datetime]
    latest_event: Optional[TrackingView]
    shipping_method: str
    total_cents: int

    def is_late(self, today: date) -> bool:
        if self.status == OrderStatus.delayed:
            return True
        in_flight = self.status in (OrderStatus.shipped, OrderStatus.in_transit, OrderStatus.out_for_delivery)
        return in_flight and self.estimated_delivery is not None and self.estimated_delivery < today


def _factor_matches(order: Order, factor: str) -> bool:
    email = extract_email(factor)
    if email:
        return hmac.compare_digest(email.encode(), order.customer.email.lower().encode())
    postcode = normalize_postcode(factor)
    if postcode:
        return hmac.compare_digest(postcode.encode(), normalize_postcode(order.shipping_postcode).encode())
    return False


def _load(session: Session, number: str) -> Optional[Order]:
    # One query with joins: an order has a handful of lines and events, and a round trip per
    # relationship cost more than twice as much (bench/components.py, order lookup).
    return session.execute(
        select(Order).where(Order.number == number).options(
            joinedload(Order.customer), joinedload(Order.lines),
            joinedload(Order.shipments).joinedload(Shipment.events),
        )
    ).unique().scalar_one_or_none()


def find_verified_order(session: Session, *, number: str, factor: str) -> Optional[OrderView]:
    """The order, if `factor` (its email or shipping postcode) matches; None for unknown or mismatched alike."""
    order = _load(session, number)
    if order is None or not _factor_matches(order, factor):
        return None
    return to_view(order)


def to_view(order: Order) -> OrderView:
    shipment = order.shipments[-1] if order.shipments else None
    latest = shipment.events[-1] if shipment and shipment.events else None
    return OrderView(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        email=order.customer.email,
        lines=tuple(LineView(line.name, line.size, line.quantity) for line in order.lines),
        carrier=shipment.carrier if shipment else None,
        tracking_number=shipment.tracking_number if shipment else None,
        estimated_delivery=shipment.estimated_delivery if shipment else None,
        delivered_at=shipment.delivered_at if shipment else None,
        latest_event=TrackingView(latest.occurred_at, latest.location, latest.description) if latest else None,
        shipping_method=order.shipping_method,
        total_cents=order.total_cents,
    )


def find_order_view(session: Session, *, number: str) -> Optional[OrderView]:
    """For a conversation that already verified `number`; never call it before verification."""
    order = _load(session, number)
    return to_view(order) if order is not None else None


def owned_by(session: Session, *, number: str, email: str) -> bool:
    """Whether the order exists and belongs to the customer with `email` (a signed-in shopper)."""
    owner = session.execute(select(Customer.email).join(Order.customer).where(Order.number == number)).scalar()
    return owner is not None and hmac.compare_digest(owner.lower().encode(), email.lower().encode())


def customer_orders(session: Session, *, email: str, limit: int = 5) -> Tuple[OrderView, ...]:
    """A signed-in customer's most recent orders, newest first."""
    orders = session.execute(
        select(Order).join(Order.customer).where(Customer.email == email.lower())
        .order_by(Order.placed_at.desc()).limit(limit).options(
            selectinload(Order.customer), selectinload(Order.lines),
            selectinload(Order.shipments).selectinload(Shipment.events),
        )
    ).scalars()
    return tuple(to_view(order) for order in orders)
