from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.db import Customer, Order, OrderStatus, session_scope
from bot.orders.lookup import find_verified_order
from bot.orders.status_reply import describe
from bot.orders.verification import MAX_FAILED_VERIFICATIONS, Verification, verify
from tests.conftest import TODAY

NOW = datetime(2026, 11, 23, 12, 0)


def an_order(engine, status: OrderStatus):
    with session_scope(engine) as session:
        order, email = session.execute(
            select(Order, Customer.email).join(Customer).where(Order.status == status).order_by(Order.number)
        ).first()
        return order.number, email, order.shipping_postcode


def test_email_or_postcode_verifies(engine):
    number, email, postcode = an_order(engine, OrderStatus.in_transit)
    with session_scope(engine) as session:
        by_email = find_verified_order(session, number=number, factor=email.upper())
        by_postcode = find_verified_order(session, number=number, factor=postcode.lower().replace(" ", ""))
    assert by_email.number == by_postcode.number == number
    assert by_email.carrier and by_email.tracking_number and by_email.latest_event


def test_unknown_order_and_wrong_factor_look_the_same(engine):
    number, email, _ = an_order(engine, OrderStatus.delivered)
    with session_scope(engine) as session:
        wrong_factor = find_verified_order(session, number=number, factor="someone@else.com")
        unknown = find_verified_order(session, number="TS999999", factor=email)
        sql_text = find_verified_order(session, number="TS100001' OR '1'='1", factor="x' OR '1'='1")
    assert wrong_factor is None and unknown is None and sql_text is None


def test_three_failures_lock_verification(engine):
    number, email, _ = an_order(engine, OrderStatus.placed)
    with session_scope(engine) as session:
        for _ in range(MAX_FAILED_VERIFICATIONS - 1):
            result = verify(session, number=number, answer="wrong@example.com", client="198.51.100.7", now=NOW)
            assert result.outcome == Verification.mismatch
        result = verify(session, number=number, answer="wrong@example.com", client="198.51.100.7", now=NOW)
        assert result.outcome == Verification.locked
        # locked even with the right email now, and from another client too
        assert verify(session, number=number, answer=email, client="203.0.113.9", now=NOW).outcome == \
            Verification.locked


def test_an_answer_without_email_or_postcode_costs_no_attempt(engine):
    number, email, _ = an_order(engine, OrderStatus.placed)
    with session_scope(engine) as session:
        for _ in range(MAX_FAILED_VERIFICATIONS + 2):
            result = verify(session, number=number, answer="I don't know", client="198.51.100.7", now=NOW)
            assert result.outcome == Verification.not_a_factor
        assert verify(session, number=number, answer=email, client="198.51.100.7", now=NOW).outcome == \
            Verification.verified


def test_late_order_reply_apologises_first(sqlite_engine):
    number, email, _ = an_order(sqlite_engine, OrderStatus.delayed)
    with session_scope(sqlite_engine) as session:
        order = find_verified_order(session, number=number, factor=email)
    text = describe(order, TODAY)
    assert text.startswith(f"I'm sorry: order {number} is running late")
    assert order.carrier in text and order.tracking_number in text and order.latest_event.description in text
    assert email not in text and "***@" in text


def test_in_transit_reply_gives_estimate_and_latest_event(sqlite_engine):
    number, email, _ = an_order(sqlite_engine, OrderStatus.in_transit)
    with session_scope(sqlite_engine) as session:
        order = find_verified_order(session, number=number, factor=email)
    text = describe(order, TODAY)
    assert f"Order {number} is on its way." in text
    assert "Estimated delivery:" in text and "Latest update:" in text
    assert not order.is_late(TODAY)
    assert order.is_late(date(2030, 1, 1))  # the same order, once past its estimate


@pytest.mark.parametrize("status, phrase", [
    (OrderStatus.placed, "can still cancel"), (OrderStatus.cancelled, "was cancelled"),
    (OrderStatus.refunded, "returned and refunded"), (OrderStatus.delivered, "was delivered on"),
])
def test_reply_per_status(sqlite_engine, status, phrase):
    number, email, _ = an_order(sqlite_engine, status)
    with session_scope(sqlite_engine) as session:
        order = find_verified_order(session, number=number, factor=email)
    assert phrase in describe(order, TODAY)
