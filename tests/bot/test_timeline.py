"""The conversation's timeline (bot/desk/timeline.py): anger per shopper turn and the ticket's markers."""
import calendar
from datetime import datetime, timedelta

from bot.db import session_scope
from bot.db.models import Role
from bot.desk import tickets, timeline
from bot.desk.accounts import create_user
from bot.handoff.history import record
from bot.handoff.queue import Summary, claim, open_ticket, resolve, transfer

NOW = datetime(2026, 11, 23, 15, 0)
T0 = calendar.timegm(NOW.timetuple())


def said(text, at, score=None, level=None):
    anger = {} if score is None else {"score": score, "level": level, "cues": []}
    return {"event": "user", "text": text, "timestamp": at, "parse_data": {"text": text, "anger": anger}}


def test_one_point_per_shopper_message_with_its_score_and_level():
    events = [said("hi", T0, 0.0, "none"), {"event": "bot", "text": "Hello!", "timestamp": T0 + 1},
              said("where is it??", T0 + 60, 0.42, "annoyed"), {"event": "action", "name": "action_listen"},
              said("THIS IS A JOKE", T0 + 120, 0.91, "furious"), said("/order_status", T0 + 130)]
    assert timeline.anger_points(events) == [
        {"at": T0, "score": 0.0, "level": "none"}, {"at": T0 + 60, "score": 0.42, "level": "annoyed"},
        {"at": T0 + 120, "score": 0.91, "level": "furious"}, {"at": T0 + 130, "score": 0.0, "level": "none"}]


def test_odd_anger_data_reads_as_calm_and_stays_in_range():
    events = [said("a", T0, 7, "livid"), said("b", T0 + 1, "nan", "angry"), said("c", T0 + 2, -1, "annoyed"),
              {"event": "user", "text": "no time"}, {"event": "user", "timestamp": T0 + 3, "parse_data": None}]
    assert timeline.anger_points(events) == [
        {"at": T0, "score": 1.0, "level": "none"}, {"at": T0 + 1, "score": 0.0, "level": "angry"},
        {"at": T0 + 2, "score": 0.0, "level": "annoyed"}, {"at": T0 + 3, "score": 0.0, "level": "none"}]


def test_markers_from_the_history_on_the_trackers_time_axis():
    history = [{"kind": "resolved", "at": "2026-11-23T15:30:00Z"}, {"kind": "created", "at": "2026-11-23T15:00:00Z"},
               {"kind": "claimed", "at": "2026-11-23T15:02:00Z"}, {"kind": "replied", "at": "2026-11-23T15:03:00Z"},
               {"kind": "transferred", "at": "2026-11-23T15:10:00Z"}, {"kind": "sla_breach", "at": "2026-11-23T15:20:00Z"},
               {"kind": "assigned", "at": "not a time"}]
    assert timeline.markers(history) == [
        {"kind": "handoff", "at": T0}, {"kind": "agent_joined", "at": T0 + 120}, {"kind": "transfer", "at": T0 + 600},
        {"kind": "sla_breach", "at": T0 + 1200}, {"kind": "resolved", "at": T0 + 1800}]


def test_a_real_tickets_history_becomes_its_markers(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        ana = create_user(session, email="ana@shop.example", password="long enough pw", role=Role.agent, name="Ana")
        ben = create_user(session, email="ben@shop.example", password="long enough pw", role=Role.agent, name="Ben")
        ticket = open_ticket(session, conversation_id="web-t", reason="anger", peak_anger=0.9, peak_level="furious",
                             summary=Summary([], {}, []), now=NOW)
        claim(session, ticket_id=ticket.id, agent_id=ana.id, now=NOW + timedelta(minutes=2))
        transfer(session, ticket_id=ticket.id, from_id=ana.id, to_id=ben.id, now=NOW + timedelta(minutes=5),
                 actor_id=ana.id, note="he knows the carrier")
        record(session, ticket_id=ticket.id, kind="sla_breach", at=NOW + timedelta(minutes=6),
               detail={"clock": "first_reply"})
        resolve(session, ticket_id=ticket.id, agent_id=ben.id, now=NOW + timedelta(minutes=9), tag="answered")
        history = tickets.history_json(session, ticket.id)
    assert [(h["kind"], h["actor"]) for h in history] == [
        ("created", None), ("claimed", "Ana"), ("transferred", "Ana"), ("sla_breach", None), ("resolved", "Ben")]
    assert history[2]["detail"]["note"] == "he knows the carrier" and history[0]["at"] == "2026-11-23T15:00:00Z"
    assert [(m["kind"], m["at"] - T0) for m in timeline.timeline([], history)["markers"]] == [
        ("handoff", 0), ("agent_joined", 120), ("transfer", 300), ("sla_breach", 360), ("resolved", 540)]
