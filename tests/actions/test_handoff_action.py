import json
from datetime import datetime, timezone

from sqlalchemy import select

import actions.handoff as handoff_module
from actions.handoff import ActionHandoff
from bot.chat.identity import sign_identity
from bot.db import session_scope
from bot.db.models import Order, Ticket, TicketStatus
from bot.settings import get_settings
from tests.actions.helpers import run, slot_events, tracker

MONDAY_MORNING = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)   # 10:00 in New York
SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)


def conversation(sender="shopper-1"):
    t = tracker("this is the third time, jane@example.com", "ask_return_policy",
                slots={"handoff_reason": "repeated", "order_number": "TS100004"})
    t.sender_id = sender
    t.events = [
        {"event": "user", "text": "where is my refund", "parse_data": {"anger": {"score": 0.1, "level": "none"}}},
        {"event": "bot", "text": "Refunds take 5-10 days."},
        {"event": "user", "text": "this is the third time, jane@example.com",
         "parse_data": {"anger": {"score": 0.5, "level": "angry"}}},
    ]
    return t


def test_handoff_opens_a_ticket_tells_the_place_and_pauses(monkeypatch, app_database):
    monkeypatch.setattr(handoff_module, "now", lambda: MONDAY_MORNING)
    messages, events = run(ActionHandoff(), conversation())
    # One message: text for any client (rasa-webchat shows text-only messages), the state beside it.
    [message] = messages
    shown = message["custom"]["data"]
    assert set(shown) == {"text", "metadata"} and message["text"] is None
    assert shown["text"].startswith("I'm connecting you with a person") and "number 1 in the queue" in shown["text"]
    assert shown["metadata"]["storefront"] == {"event": "handoff", "status": "waiting", "position": 1}
    assert {"event": "pause", "timestamp": None} in events
    assert slot_events(events)["handoff_reason"] is None
    with session_scope(app_database) as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.status == TicketStatus.waiting and ticket.reason == "repeated" and ticket.peak_anger == 50
    summary = json.loads(ticket.summary)
    assert summary["slots"]["order_number"] == "TS100004" and summary["slots"]["order_verified"] is False
    assert summary["asked"][0] == "where is my refund"
    assert "jane@example.com" not in ticket.summary  # masked


def test_second_shopper_is_second_in_the_queue(monkeypatch, app_database):
    monkeypatch.setattr(handoff_module, "now", lambda: MONDAY_MORNING)
    run(ActionHandoff(), conversation("first"))
    messages, _ = run(ActionHandoff(), conversation("second"))
    shown = messages[0]["custom"]["data"]
    assert shown["metadata"]["storefront"]["position"] == 2 and "number 2 in the queue" in shown["text"]


def test_outside_hours_says_when_and_asks_for_an_email(monkeypatch, app_database):
    monkeypatch.setattr(handoff_module, "now", lambda: SATURDAY)
    messages, events = run(ActionHandoff(), conversation())
    [message] = messages
    shown = message["custom"]["data"]
    assert shown["text"].startswith("Our team is offline right now; someone will answer here on Monday at 09:00 (EST).")
    assert "leave your email address" in shown["text"]
    assert shown["metadata"]["storefront"] == {"event": "handoff", "status": "offline", "position": 1}
    assert {"event": "pause", "timestamp": None} in events


def test_the_ticket_knows_the_signed_in_customer_or_the_verified_orders(monkeypatch, app_database):
    monkeypatch.setattr(handoff_module, "now", lambda: MONDAY_MORNING)
    signed = conversation("signed-in")
    signed.events[-1]["metadata"] = {"identity": sign_identity("Ava.Nguyen0@example.com",
                                                               secret=get_settings().identity_secret)}
    run(ActionHandoff(), signed)
    verified = tracker("where is it", "order_status", slots={"handoff_reason": "requested", "verification": "verified",
                                                             "verified_order": "TS100004"})
    verified.sender_id = "verified"
    run(ActionHandoff(), verified)
    run(ActionHandoff(), conversation("anonymous"))
    with session_scope(app_database) as session:
        emails = dict(session.execute(select(Ticket.conversation_id, Ticket.customer_email)).all())
        owner = session.execute(select(Order).where(Order.number == "TS100004")).scalar_one().customer.email
    assert emails == {"signed-in": "ava.nguyen0@example.com", "verified": owner, "anonymous": None}
