"""A ticket's conversation read from the tracker store's table (bot/desk/conversation.py), written by Rasa's
own SQL tracker store as the Rasa server writes it, on SQLite and PostgreSQL."""
from sqlalchemy import text

from bot.chat import events as desk_events
from bot.chat.events import transcript
from bot.db import session_scope
from bot.desk import conversation
from tests.tracker import bot_said, store_events, user_said

T0 = 1.8e9


def anger(score, level):
    return {"intent": {"name": "order_status", "confidence": 0.9}, "anger": {"score": score, "level": level, "cues": []}}


def stamped(event, at):
    return {**event, "timestamp": at}


def handed_off_conversation():
    """An earlier session, then a handoff: the shopper waits, an agent joins and answers, the bot is paused."""
    return [
        {"event": "session_started", "timestamp": T0 - 86400},
        user_said("hello from yesterday", anger(0.0, "none"), T0 - 86399),
        {"event": "session_started", "timestamp": T0},
        {"event": "action", "name": "action_listen", "timestamp": T0},
        user_said("where is my parcel??", anger(0.45, "annoyed"), T0 + 10),
        bot_said("Your order TS100004 is in transit.", T0 + 11,
                 {"buttons": [{"title": "Talk to a person", "payload": "/request_human"}]}),
        {**user_said("/request_human", anger(0.0, "none"), T0 + 20), "metadata": {"display_text": "Talk to a person"}},
        stamped(desk_events.bot_event(desk_events.handoff_message("You're number 1 in the queue.", position=1,
                                                                  open_now=True)), T0 + 21),
        {"event": "pause", "timestamp": T0 + 21},
        user_said("THIS IS RIDICULOUS", anger(0.88, "furious"), T0 + 40),
        stamped(desk_events.agent_joined(agent_id=1, agent_name="Ana"), T0 + 60),
        stamped(desk_events.agent_message("I'm on it.", agent_id=1, agent_name="Ana"), T0 + 61),
    ]


def test_the_latest_session_as_rasa_would_show_it_with_a_time_on_every_line(engine):
    stored = handed_off_conversation()
    store_events(engine, "web-conv", stored)
    with session_scope(engine) as session:
        events = conversation.stored_events(session, "web-conv")
        assert conversation.stored_events(session, "web-other") == []
    shown = conversation.view(events, attachment_ids=[], history=[])
    lines = shown["transcript"]
    assert [line["from"] for line in lines] == ["shopper", "bot", "shopper", "bot", "shopper", "system", "agent"]
    assert all(isinstance(line["at"], float) for line in lines)
    assert lines[0]["text"] == "where is my parcel??" and lines[-1]["agent_name"] == "Ana"
    assert lines[2]["text"] == "Talk to a person"  # the clicked button's title, as the shopper saw it
    assert lines == transcript({"events": stored})  # the same lines as from Rasa's HTTP API
    assert shown["paused"] is True
    assert [(p["score"], p["level"]) for p in shown["timeline"]["anger"]] == [
        (0.45, "annoyed"), (0.0, "none"), (0.88, "furious")]


def test_handed_back_is_not_paused_and_a_restart_starts_afresh(engine):
    stored = handed_off_conversation() + [stamped(event, T0 + 90) for event in desk_events.hand_back("Back to me!")]
    store_events(engine, "web-conv", stored)
    with session_scope(engine) as session:
        assert conversation.is_paused(conversation.stored_events(session, "web-conv")) is False
    store_events(engine, "web-conv", stored + [{"event": "pause", "timestamp": T0 + 95},
                                                      {"event": "restart", "timestamp": T0 + 100},
                                                      user_said("new start", anger(0.1, "none"), T0 + 101)])
    with session_scope(engine) as session:
        events = conversation.stored_events(session, "web-conv")
    assert [e["event"] for e in events] == ["user"] and conversation.is_paused(events) is False


def test_an_unreadable_row_is_left_out_and_the_rest_shown(engine):
    store_events(engine, "web-conv", handed_off_conversation())
    with session_scope(engine) as session:
        session.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                             "VALUES ('web-conv', 'user', :at, 'not json {')"), {"at": T0 + 70})
    with session_scope(engine) as session:
        events = conversation.stored_events(session, "web-conv")
    assert len(transcript({"events": events})) == 7


def test_no_tracker_store_table_means_ask_rasa(engine):
    with session_scope(engine) as session:
        assert conversation.stored_events(session, "web-conv") is None


def test_paused_follows_pause_resume_restart_and_new_sessions():
    assert conversation.is_paused([{"event": "pause"}]) is True
    for ending in ("resume", "restart", "session_started"):
        assert conversation.is_paused([{"event": "pause"}, {"event": ending}]) is False
    assert conversation.is_paused([{"event": "resume"}, {"event": "pause"}, {"event": "user"}]) is True
