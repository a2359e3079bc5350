"""Verification limits held on the server: per order number and per client, across conversations."""
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.db import Customer, Order, OrderStatus, session_scope
from bot.orders.throttle import CLIENT_LIMIT, FIRST_LOCK, ORDER_LIMIT, locked_until
from bot.orders.verification import Verification, verify

NOW = datetime(2026, 11, 23, 12, 0)


def orders(engine, count):
    with session_scope(engine) as session:
        return session.execute(select(Order.number, Customer.email).join(Customer)
                               .where(Order.status == OrderStatus.in_transit).order_by(Order.number).limit(count)).all()


def attempt(engine, number, answer, client, now=NOW):
    with session_scope(engine) as session:
        return verify(session, number=number, answer=answer, client=client, now=now)


def test_a_new_conversation_does_not_reset_the_order_lock(engine):
    (number, email), = orders(engine, 1)
    # Each attempt from a different client: as if a script took a new address and conversation every time.
    outcomes = [attempt(engine, number, "nobody@example.com", f"198.51.100.{i}").outcome for i in range(ORDER_LIMIT)]
    assert outcomes == [Verification.mismatch] * (ORDER_LIMIT - 1) + [Verification.locked]
    assert attempt(engine, number, email, "203.0.113.1").outcome == Verification.locked


def test_the_lock_ends_and_the_next_lasts_twice_as_long(engine):
    (number, email), = orders(engine, 1)
    for i in range(ORDER_LIMIT):
        attempt(engine, number, "nobody@example.com", f"198.51.100.{i}")
    with session_scope(engine) as session:
        first_end = locked_until(session, order_number=number, client="x", now=NOW)
    assert first_end == NOW + FIRST_LOCK
    later = first_end + timedelta(seconds=1)
    for i in range(ORDER_LIMIT):
        attempt(engine, number, "nobody@example.com", f"198.51.101.{i}", now=later)
    with session_scope(engine) as session:
        assert locked_until(session, order_number=number, client="x", now=later) == later + 2 * FIRST_LOCK
    after = later + 2 * FIRST_LOCK + timedelta(seconds=1)
    assert attempt(engine, number, email, "203.0.113.1", now=after).outcome == Verification.verified


def test_one_client_guessing_across_many_orders_is_locked(engine):
    numbers = [number for number, _ in orders(engine, CLIENT_LIMIT + 2)]
    client = "198.51.100.77"
    outcomes = [attempt(engine, number, "nobody@example.com", client).outcome for number in numbers[:CLIENT_LIMIT]]
    assert Verification.verified not in outcomes and outcomes[-1] == Verification.locked
    # The next order, never tried before, is refused for this client without being looked at...
    (number, email), = [row for row in orders(engine, CLIENT_LIMIT + 2)][CLIENT_LIMIT:CLIENT_LIMIT + 1]
    assert attempt(engine, number, email, client).outcome == Verification.locked
    # ...while another client is not held up.
    assert attempt(engine, number, email, "203.0.113.5").outcome == Verification.verified


def test_unknown_order_numbers_lock_like_real_ones(engine):
    outcomes = [attempt(engine, "TS999999", "nobody@example.com", f"198.51.100.{i}").outcome
                for i in range(ORDER_LIMIT)]
    assert outcomes == [Verification.mismatch] * (ORDER_LIMIT - 1) + [Verification.locked]


def test_success_restarts_the_order_count(engine):
    (number, email), = orders(engine, 1)
    for i in range(ORDER_LIMIT - 1):
        attempt(engine, number, "nobody@example.com", f"198.51.100.{i}")
    assert attempt(engine, number, email, "198.51.100.200").outcome == Verification.verified
    assert attempt(engine, number, "nobody@example.com", "198.51.100.201").outcome == Verification.mismatch


def test_parallel_guesses_cannot_slip_under_the_limit(engine):
    (number, email), = orders(engine, 1)
    outcomes = []
    barrier = threading.Barrier(12)

    def guess(i):
        barrier.wait()
        outcomes.append(attempt(engine, number, f"guess{i}@example.com", f"198.51.100.{i}").outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 12  # every guess answered
    assert outcomes.count(Verification.mismatch) <= ORDER_LIMIT - 1
    assert attempt(engine, number, email, "203.0.113.1").outcome == Verification.locked
