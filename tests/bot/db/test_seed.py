from datetime import timedelta

from sqlalchemy import func, select

from bot.db import Customer, Order, OrderStatus, Shipment, session_scope
from bot.db.seed import seed
from tests.conftest import TODAY


def test_seed_covers_every_state(engine):
    with session_scope(engine) as session:
        counts = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    assert set(counts) == set(OrderStatus)
    assert sum(counts.values()) >= 300


def test_delayed_orders_are_past_their_estimate_and_in_flight_ones_are_not(engine):
    with session_scope(engine) as session:
        rows = session.execute(
            select(Order.status, Shipment.estimated_delivery, Shipment.delivered_at).join(Shipment)).all()
    for status, estimate, delivered_at in rows:
        if status == OrderStatus.delayed:
            assert estimate < TODAY and delivered_at is None
        if status in (OrderStatus.in_transit, OrderStatus.shipped, OrderStatus.out_for_delivery):
            assert estimate >= TODAY
        if status == OrderStatus.delivered:
            assert delivered_at is not None


def test_orders_that_have_not_shipped_have_no_shipment(engine):
    with session_scope(engine) as session:
        shipped = session.execute(
            select(func.count()).select_from(Order).join(Shipment)
            .where(Order.status.in_([OrderStatus.placed, OrderStatus.processing, OrderStatus.cancelled]))
        ).scalar_one()
    assert shipped == 0


def test_seed_is_deterministic(sqlite_engine, kb):
    def snapshot():
        with session_scope(sqlite_engine) as session:
            return session.execute(
                select(Order.number, Order.status, Customer.email, Order.shipping_postcode, Order.total_cents)
                .join(Customer).order_by(Order.number)).all()

    first = snapshot()
    with session_scope(sqlite_engine) as session:
        seed(session, kb, TODAY)
    assert snapshot() == first


def test_totals_are_integer_cents_from_the_catalog(sqlite_engine, kb):
    with session_scope(sqlite_engine) as session:
        order = session.execute(select(Order).where(Order.number == "TS100001")).scalar_one()
        line_total = sum(l.quantity * l.unit_price_cents for l in order.lines)
        assert isinstance(order.total_cents, int) and order.total_cents >= line_total
        for line in order.lines:
            assert kb.products[line.sku].price_cents == line.unit_price_cents


def test_seed_dates_follow_today(sqlite_engine, kb):
    later = TODAY + timedelta(days=10)
    with session_scope(sqlite_engine) as session:
        seed(session, kb, later)
        estimates = session.execute(
            select(Shipment.estimated_delivery).join(Order).where(Order.status == OrderStatus.delayed)).scalars().all()
    assert estimates and all(e < later for e in estimates)
