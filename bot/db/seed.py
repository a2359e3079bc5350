"""A deterministic demo order database: the same customers, orders and states on every run.

Dates are laid out relative to `today`, so the "delayed" orders are past their estimate whenever the
seed runs, while the order numbers, emails, postcodes, items and states never change.
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List, Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db.models import Customer, Order, OrderLine, OrderStatus, Shipment, TrackingEvent
from bot.knowledge.loader import KnowledgeBase

FIRST_NAMES = ["Ava", "Liam", "Mia", "Noah", "Emma", "Lucas", "Sofia", "Ethan", "Chloe", "Mateo", "Zoe",
               "Oliver", "Hannah", "Leo", "Grace", "Arjun", "Yuki", "Fatima", "Jonas", "Ines"]
LAST_NAMES = ["Nguyen", "Smith", "Garcia", "Muller", "Rossi", "Kim", "Okafor", "Larsen", "Silva", "Cohen",
              "Patel", "Dubois", "Novak", "Walsh", "Tanaka", "Moreau", "Jensen", "Haddad"]
# (country, region id in shipping.yml, city, postcode)
ADDRESSES = [
    ("US", "us", "Burlington", "05401"), ("US", "us", "Denver", "80202"), ("US", "us", "Seattle", "98101"),
    ("US", "us", "Austin", "78701"), ("US", "us", "Brooklyn", "11201"), ("US", "us", "Portland", "97205"),
    ("CA", "ca", "Toronto", "M5V 2T6"), ("CA", "ca", "Vancouver", "V6B 1A1"),
    ("GB", "uk", "London", "SW1A 1AA"), ("DE", "eu", "Berlin", "10115"), ("FR", "eu", "Lyon", "69002"),
    ("AU", "au", "Melbourne", "3000"),
]
# How many orders of each state the seed makes; 330 in all.
STATE_COUNTS = {
    OrderStatus.placed: 30, OrderStatus.processing: 30, OrderStatus.shipped: 30,
    OrderStatus.in_transit: 45, OrderStatus.out_for_delivery: 25, OrderStatus.delivered: 70,
    OrderStatus.delayed: 25, OrderStatus.cancelled: 25, OrderStatus.returned: 25, OrderStatus.refunded: 25,
}
FIRST_ORDER_NUMBER = 100001
PAYMENT_METHODS = ["card", "card", "card", "paypal", "wallet", "klarna", "gift_card"]


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    orders: int
    by_status: dict


def order_number(index: int) -> str:
    return f"TS{FIRST_ORDER_NUMBER + index}"


def _tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier.startswith("UPS"):
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    return "".join(rng.choice("0123456789") for _ in range(20 if carrier == "USPS" else 12))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _events(rng: random.Random, status: OrderStatus, shipped: date, estimate: date, today: date,
            city: str) -> List[tuple]:
    """(datetime, location, description) from dispatch up to the order's current state."""
    events = [(_at(shipped, 16, rng.randint(0, 59)), "Burlington, VT", "Picked up by carrier")]
    if status == OrderStatus.shipped:
        return events
    events.append((_at(shipped + timedelta(days=1), 4, rng.randint(0, 59)), "Regional hub", "Departed sorting facility"))
    if status == OrderStatus.delayed:
        events.append((_at(min(estimate, today - timedelta(days=1)), 9, 12), "Regional hub",
                       rng.choice(["Delayed: severe weather on route", "Delayed: exceptional volume at facility",
                                   "Delayed: held at customs for inspection"])))
        return events
    events.append((_at(max(shipped + timedelta(days=1), min(estimate, today) - timedelta(days=1)), 21, 5),
                   f"{city} delivery station", "Arrived at local delivery station"))
    if status == OrderStatus.in_transit:
        return events
    out_day = min(estimate, today)
    events.append((_at(out_day, 7, 40), city, "Out for delivery"))
    if status == OrderStatus.out_for_delivery:
        return events
    events.append((_at(out_day, 14, rng.randint(0, 59)), city, "Delivered, left at front door"))
    return events


def seed(session: Session, kb: KnowledgeBase, today: date, seed_value: int = 42) -> SeedSummary:
    """Replace every customer and order with the demo set."""
    rng = random.Random(seed_value)
    for model in (TrackingEvent, Shipment, OrderLine, Order, Customer):
        session.execute(delete(model))
    regions = {r.id: r for r in kb.shipping.regions}
    products = sorted(kb.products.values(), key=lambda p: p.sku)

    customers = []
    for index in range(120):
        first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[(index * 7) % len(LAST_NAMES)]
        customer = Customer(email=f"{first}.{last}{index}@example.com".lower(), name=f"{first} {last}")
        country, region_id, city, postcode = ADDRESSES[index % len(ADDRESSES)]
        if country == "US":  # vary the last digits so that a postcode is not shared by many customers
            postcode = f"{postcode[:3]}{index % 100:02d}"
        customer.address = (country, region_id, city, postcode)
        customers.append(customer)
    session.add_all(customers)

    states: List[OrderStatus] = [s for s, count in STATE_COUNTS.items() for _ in range(count)]
    rng.shuffle(states)
    by_status = {s.value: 0 for s in OrderStatus}
    orders = []
    for index, status in enumerate(states):
        customer = customers[rng.randrange(len(customers))]
        country, region_id, city, postcode = customer.address
        region = regions[region_id]
        method = rng.choice(region.methods)
        lines = _lines(rng, products)
        total = sum(line.quantity * line.unit_price_cents for line in lines)
        if region.free_over_cents is None or total < region.free_over_cents or method.id != "standard":
            total += method.price_cents
        placed = _placed_date(rng, status, today, method.days[1])
        order = Order(
            number=order_number(index), customer=customer, status=status,
            placed_at=_at(placed, rng.randint(7, 22), rng.randint(0, 59)), updated_at=_at(today, 6),
            shipping_name=customer.name, shipping_city=city, shipping_postcode=postcode,
            shipping_country=country, shipping_method=method.id,
            payment_method=rng.choice(PAYMENT_METHODS), total_cents=total, lines=lines,
        )
        if status not in (OrderStatus.placed, OrderStatus.processing, OrderStatus.cancelled):
            order.shipments.append(_shipment(rng, status, placed, method, today, city))
        orders.append(order)
        by_status[status.value] += 1
    session.add_all(orders)
    session.flush()
    return SeedSummary(customers=len(customers), orders=len(states), by_status=by_status)


def _lines(rng: random.Random, products: Sequence) -> List[OrderLine]:
    lines = []
    for product in rng.sample(products, rng.choice([1, 1, 1, 2, 2, 3])):
        lines.append(OrderLine(sku=product.sku, name=product.name, size=rng.choice(product.sizes),
                               quantity=rng.choice([1, 1, 1, 2]), unit_price_cents=product.price_cents))
    return lines


def _placed_date(rng: random.Random, status: OrderStatus, today: date, slowest_days: int) -> date:
    if status == OrderStatus.placed:
        return today
    if status == OrderStatus.processing:
        return today - timedelta(days=1)
    if status in (OrderStatus.shipped, OrderStatus.cancelled):
        return today - timedelta(days=rng.randint(1, 3))
    if status in (OrderStatus.in_transit, OrderStatus.out_for_delivery):
        return today - timedelta(days=rng.randint(2, max(2, slowest_days)))
    if status == OrderStatus.delayed:
        return today - timedelta(days=slowest_days + rng.randint(4, 8))
    return today - timedelta(days=slowest_days + rng.randint(10, 60))


def _shipment(rng, status, placed, method, today, city) -> Shipment:
    shipped = placed + timedelta(days=1)
    estimate = shipped + timedelta(days=method.days[1] + (method.days[1] // 2))
    if status in (OrderStatus.in_transit, OrderStatus.shipped, OrderStatus.out_for_delivery):
        estimate = max(estimate, today + timedelta(days=0 if status == OrderStatus.out_for_delivery else 1))
    if status == OrderStatus.delayed:
        estimate = today - timedelta(days=rng.randint(2, 4))
    delivered = status in (OrderStatus.delivered, OrderStatus.returned, OrderStatus.refunded)
    event_status = OrderStatus.delivered if delivered else status
    events = _events(rng, event_status, shipped, estimate, today, city)
    shipment = Shipment(
        carrier=method.carrier, tracking_number=_tracking_number(rng, method.carrier),
        shipped_at=events[0][0], estimated_delivery=estimate,
        delivered_at=events[-1][0] if delivered else None,
        events=[TrackingEvent(occurred_at=at, location=where, description=what) for at, where, what in events],
    )
    if status in (OrderStatus.returned, OrderStatus.refunded):
        back = events[-1][0] + timedelta(days=rng.randint(5, 9))
        shipment.events.append(TrackingEvent(occurred_at=back, location="Burlington, VT",
                                             description="Return received at warehouse"))
    return shipment
