from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from bot.db import Order, OrderStatus, session_scope
from bot.orders.cancellation import CancelOutcome, cancel_order


def first(engine, status):
    with session_scope(engine) as session:
        return session.execute(select(Order.number).where(Order.status == status).order_by(Order.number)).scalar()


def status_of(engine, number):
    with session_scope(engine) as session:
        return session.execute(select(Order.status).where(Order.number == number)).scalar_one()


def test_cancel_before_shipping(engine):
    for status in (OrderStatus.placed, OrderStatus.processing):
        number = first(engine, status)
        with session_scope(engine) as session:
            assert cancel_order(session, number=number) == CancelOutcome.cancelled
        assert status_of(engine, number) == OrderStatus.cancelled
        with session_scope(engine) as session:
            assert cancel_order(session, number=number) == CancelOutcome.already_cancelled


def test_shipped_orders_cannot_be_cancelled(engine):
    for status in (OrderStatus.shipped, OrderStatus.in_transit, OrderStatus.delivered, OrderStatus.delayed):
        number = first(engine, status)
        with session_scope(engine) as session:
            assert cancel_order(session, number=number) == CancelOutcome.too_late
        assert status_of(engine, number) == status


def test_unknown_order(engine):
    with session_scope(engine) as session:
        assert cancel_order(session, number="TS999999") == CancelOutcome.not_found


def test_two_cancellations_at_once_cancel_once(postgres_engine):
    number = first(postgres_engine, OrderStatus.placed)

    def attempt(_):
        with session_scope(postgres_engine) as session:
            return cancel_order(session, number=number)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    assert outcomes.count(CancelOutcome.cancelled) == 1
    assert outcomes.count(CancelOutcome.already_cancelled) == 3
