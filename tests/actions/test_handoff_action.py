import json
from datetime import datetime, timezone

from sqlalchemy import select

import actions.handoff as handoff_module
from actions.handoff import ActionHandoff
from bot.db import session_scope
from bot.db.models import Ticket, TicketStatus
from tests.actions.helpers import run, slot_events, texts, tracker

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
    assert texts(messages)[0] == "utter_handoff_queued" and messages[0]["position"] == 1
    # The widget's copy of the same state, as a payload of its own.
    state = messages[1]["custom"]["data"]
    assert state["event"] == "handoff" and state["status"] == "waiting" and state["position"] == 1
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
    assert messages[0]["position"] == 2 and messages[1]["custom"]["data"]["position"] == 2


def test_outside_hours_says_when_and_asks_for_an_email(monkeypatch, app_database):
    monkeypatch.setattr(handoff_module, "now", lambda: SATURDAY)
    messages, events = run(ActionHandoff(), conversation())
    assert texts(messages)[0] == "utter_handoff_offline"
    assert messages[0]["next_opening"] == "on Monday at 09:00 (EST)"
    assert messages[1]["custom"]["data"]["status"] == "offline"
    assert {"event": "pause", "timestamp": None} in events
