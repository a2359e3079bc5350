from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.db import session_scope
from bot.db.models import Role, Ticket, TicketStatus, User
from bot.handoff.queue import (Summary, abandon_stale, claim, open_ticket, position_in_queue, resolve,
                               waiting_tickets)

T0 = datetime(2026, 11, 23, 10, 0)
SUMMARY = Summary(asked=["where is my refund"], slots={"order_number": "TS100004"},
                  last_messages=[{"from": "shopper", "text": "where is my refund"}])


def agents(engine, n=2):
    with session_scope(engine) as session:
        users = [User(email=f"agent{i}@shop.example", name=f"Agent {i}", password_hash="x", role=Role.agent)
                 for i in range(n)]
        session.add_all(users)
        session.flush()
        return [u.id for u in users]


def ticket(engine, conversation, reason="repeated", level="none", minutes=0):
    with session_scope(engine) as session:
        return open_ticket(session, conversation_id=conversation, reason=reason, peak_anger=0.5,
                           peak_level=level, summary=SUMMARY, now=T0 + timedelta(minutes=minutes)).id


def test_anger_first_then_waiting_time(engine):
    calm_early = ticket(engine, "a", minutes=0)
    calm_late = ticket(engine, "b", minutes=5)
    furious = ticket(engine, "c", reason="anger", level="furious", minutes=9)
    with session_scope(engine) as session:
        assert [t.id for t in waiting_tickets(session)] == [furious, calm_early, calm_late]
        late = session.get(Ticket, calm_late)
        assert position_in_queue(session, late) == 3


def test_a_conversation_is_queued_once(engine):
    assert ticket(engine, "same") == ticket(engine, "same", minutes=3)


def test_claim_and_resolve_record_handle_time(engine):
    first, second = agents(engine)
    ticket_id = ticket(engine, "x")
    with session_scope(engine) as session:
        assert claim(session, ticket_id=ticket_id, agent_id=first, now=T0 + timedelta(minutes=2))
        assert not claim(session, ticket_id=ticket_id, agent_id=second, now=T0 + timedelta(minutes=3))
        assert not resolve(session, ticket_id=ticket_id, agent_id=second, now=T0 + timedelta(minutes=4))
        assert resolve(session, ticket_id=ticket_id, agent_id=first, now=T0 + timedelta(minutes=9))
    with session_scope(engine) as session:
        done = session.get(Ticket, ticket_id)
        assert done.status == TicketStatus.resolved and done.handle_seconds == 7 * 60
        assert done.assigned_agent_id == first


def test_exactly_one_of_concurrent_claims_wins(postgres_engine):
    ids = agents(postgres_engine, 6)
    ticket_id = ticket(postgres_engine, "contested")

    def attempt(agent_id):
        with session_scope(postgres_engine) as session:
            return claim(session, ticket_id=ticket_id, agent_id=agent_id, now=T0)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, ids))
    assert results.count(True) == 1


def test_stale_waiting_tickets_are_abandoned(engine):
    old = ticket(engine, "old", minutes=0)
    fresh = ticket(engine, "fresh", minutes=120)
    with session_scope(engine) as session:
        assert abandon_stale(session, older_than=T0 + timedelta(minutes=60)) == 1
    with session_scope(engine) as session:
        assert session.get(Ticket, old).status == TicketStatus.abandoned
        assert session.get(Ticket, fresh).status == TicketStatus.waiting
