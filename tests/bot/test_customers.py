"""The customer panel's queries (bot/desk/customers.py) on SQLite and PostgreSQL: who the shopper is, their
orders, their tickets."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.chat.identity import sign_identity
from bot.db import session_scope
from bot.db.models import Order, Ticket, TicketStatus
from bot.desk import customers
from bot.handoff.queue import Summary, open_ticket

NOW = datetime(2026, 11, 23, 15, 0)
SECRET = "identity-secret-for-the-customer-panel-tests-0123456789"
VERIFIED = {"order_number": "TS100004", "verified_order": "TS100004", "order_verified": True}


def new_ticket(session, conversation_id, *, slots=None, customer_email=None, contact_email=None, at=NOW):
    ticket = open_ticket(session, conversation_id=conversation_id, reason="requested", peak_anger=0.0,
                         peak_level="none", summary=Summary([], slots or {}, []), now=at, customer_email=customer_email)
    ticket.contact_email = contact_email
    return ticket


def owner_of(session, number="TS100004"):
    return session.execute(select(Order).where(Order.number == number)).scalar_one().customer


def test_the_verified_orders_customer(engine):
    with session_scope(engine) as session:
        ticket = new_ticket(session, "web-1", slots=VERIFIED)
        ticket.customer_email = None  # a ticket opened before tickets kept it
        who = customers.identify(session, ticket, identity_secret=SECRET, events=[])
        owner = owner_of(session)
        assert (who.name, who.email, who.source, who.verified) == (owner.name, owner.email, "order", True)
        assert ticket.customer_email == owner.email  # learnt, for the next tickets' lists


def test_the_shops_signed_identity_kept_on_the_ticket(engine):
    with session_scope(engine) as session:
        owner = owner_of(session)
        ticket = new_ticket(session, "web-2", customer_email=owner.email)
        who = customers.identify(session, ticket, identity_secret=SECRET, events=[])
        assert (who.name, who.email, who.source) == (owner.name, owner.email, "identity")


def test_a_signed_identity_on_a_later_message_counts_as_of_when_it_was_sent(engine):
    sent = NOW.timestamp()
    token = sign_identity("Sofia.Okafor6@example.com", secret=SECRET, lifetime=3600, now=sent)
    events = [{"event": "user", "text": "hi", "timestamp": sent + 60, "metadata": {"identity": token}},
              {"event": "bot", "text": "Hello", "timestamp": sent + 61, "metadata": {"identity": "v1.forged.token"}}]
    with session_scope(engine) as session:
        ticket = new_ticket(session, "web-3")
        # Days later the token has long expired; it was valid when the shopper wrote.
        assert customers.signed_email(events, secret=SECRET) == "sofia.okafor6@example.com"
        assert customers.identify(session, ticket, identity_secret="another-secret-entirely-0123456789abcdef",
                                  events=events).source is None  # not signed by this shop
        who = customers.identify(session, ticket, identity_secret=SECRET, events=events)
        assert (who.name, who.email, who.source) == ("Sofia Okafor", "sofia.okafor6@example.com", "identity")
        assert ticket.customer_email == "sofia.okafor6@example.com"
    late = [{"event": "user", "text": "hi", "timestamp": sent + 7200, "metadata": {"identity": token}}]
    assert customers.signed_email(late, secret=SECRET) is None  # sent after it expired


def test_the_offline_email_is_a_contact_not_a_proof_and_nobody_is_nobody(engine):
    with session_scope(engine) as session:
        offline = new_ticket(session, "web-4", contact_email="someone@example.net")
        who = customers.identify(session, offline, identity_secret=SECRET, events=[])
        assert (who.name, who.email, who.source, who.verified) == (None, "someone@example.net", "contact", False)
        assert offline.customer_email is None
        anonymous = new_ticket(session, "web-5")
        assert customers.identify(session, anonymous, identity_secret=SECRET, events=[]) == customers.Identity()


def test_the_panel_lists_their_orders_and_earlier_tickets(engine):
    with session_scope(engine) as session:
        owner = owner_of(session)
        email = owner.email
        older = new_ticket(session, "web-old", customer_email=email, at=NOW - timedelta(days=9))
        older.status, older.resolution_tag = TicketStatus.resolved, "refund_arranged"
        offline = new_ticket(session, "web-offline", contact_email=email, at=NOW - timedelta(days=2))
        offline.reason = "offline_message"
        new_ticket(session, "web-stranger", customer_email="leo.smith13@example.com")
        current = new_ticket(session, "web-now", slots=VERIFIED)
        ids = {"older": older.id, "offline": offline.id, "current": current.id}
        numbers = sorted(o.number for o in owner.orders)
    with session_scope(engine) as session:
        panel = customers.customer_panel(session, ticket_id=ids["current"], identity_secret=SECRET,
                                         today=date(2026, 11, 23))
    assert (panel["name"], panel["email"], panel["source"]) == (owner.name, email, "order")
    assert sorted(o["number"] for o in panel["orders"]) == numbers
    placed = [o["placed_at"] for o in panel["orders"]]
    assert placed == sorted(placed, reverse=True)  # newest first
    order = next(o for o in panel["orders"] if o["number"] == "TS100004")
    assert order["status"] == "in_transit" and order["carrier"] and order["tracking_number"]
    assert order["estimated_delivery"] and order["latest_event"] and order["total"].startswith("$")
    assert [(t["id"], t["status"]) for t in panel["tickets"]] == [(ids["offline"], "waiting"),
                                                                   (ids["older"], "resolved")]
    assert panel["tickets"][1]["resolution_tag"] == "refund_arranged"
    assert panel["tickets"][0]["reason_text"] and panel["tickets"][0]["created_at"].endswith("Z")


def test_a_ticket_that_does_not_exist(engine):
    with session_scope(engine) as session, pytest.raises(customers.NoSuchTicket):
        customers.customer_panel(session, ticket_id=999, identity_secret=SECRET, today=date(2026, 11, 23))
    with session_scope(engine) as session:
        assert session.execute(select(Ticket)).first() is None
