"""The inbox: real messages from Rasa's tracker store, duplicates collapsed, filters, masking."""
from datetime import datetime

from bot.db import session_scope
from bot.db.models import InboxMessage, Role
from bot.desk.accounts import create_user
from bot.handoff.queue import Summary, open_ticket
from bot.trainer.inbox import InboxQuery, SyncResult, list_inbox, sync_from_tracker_store
from bot.trainer.labels import set_labels
from tests.bot.trainer.helpers import store_conversation

NOW = datetime(2027, 1, 5, 12, 0)


def seeded(engine):
    store_conversation(engine, "web-aaa", [
        ("Where is my parcel??", "order_status", 0.41, "annoyed"),
        ("/order_status", "order_status", 1.0, "none"),   # a clicked button: not the shopper's words
        ("my email is jane.doe@example.com and order TS104233", "inform", 0.93, "none"),
    ])
    store_conversation(engine, "web-bbb", [
        ("where is  my parcel??", "order_status", 0.55, "none"),
        ("asdfgh qwerty", "nlu_fallback", 0.12, "none"),
        ("THIS IS A JOKE", "complain", 0.77, "angry"),
    ], start=1.9e9)
    with session_scope(engine) as session:
        added = sync_from_tracker_store(session).added
        trainer = create_user(session, email="tia@shop.example", password="long enough pw", role=Role.trainer,
                              name="Tia")
        open_ticket(session, conversation_id="web-bbb", reason="anger", peak_anger=0.6, peak_level="angry",
                    summary=Summary([], {}, []), now=NOW)
        return added, trainer.id


def rows(engine, user_id, **query):
    with session_scope(engine) as session:
        return list_inbox(session, InboxQuery(**query), user_id=user_id)["rows"]


def key_of(engine, text_key):
    """The inbox's row key (a message number) for a text."""
    with session_scope(engine) as session:
        return str(min(m.id for m in session.query(InboxMessage).filter_by(text_key=text_key)))


def texts(listed):
    return {" ".join(r["text"].lower().split()) for r in listed}


def test_sync_copies_typed_messages_once(engine):
    added, _ = seeded(engine)
    assert added == 5
    with session_scope(engine) as session:
        assert sync_from_tracker_store(session) == SyncResult(added=0, skipped=0)
        assert session.query(InboxMessage).count() == 5
    store_conversation(engine, "web-ccc", [("do you ship to canada", "ask_shipping", 0.9, "none")], start=2e9)
    with session_scope(engine) as session:
        assert sync_from_tracker_store(session) == SyncResult(added=1, skipped=0)


def test_duplicates_collapse_and_lowest_confidence_comes_first(engine):
    _, trainer = seeded(engine)
    listed = rows(engine, trainer)
    assert [r["text"] for r in listed][0] == "asdfgh qwerty"
    parcel = next(r for r in listed if r["key"] == key_of(engine, "where is my parcel??"))
    assert parcel["count"] == 2 and parcel["confidence"] == 0.41
    assert [r["confidence"] for r in listed] == sorted(r["confidence"] for r in listed)
    assert rows(engine, trainer, order="count")[0]["key"] == key_of(engine, "where is my parcel??")


def test_filters(engine):
    _, trainer = seeded(engine)
    assert [r["text"] for r in rows(engine, trainer, not_understood=True)] == ["asdfgh qwerty"]
    handed = rows(engine, trainer, handed_off=True)
    assert texts(handed) == {"where is my parcel??", "asdfgh qwerty", "this is a joke"}
    assert all(r["handed_off"] for r in handed)
    assert texts(rows(engine, trainer, intent="complain")) == {"this is a joke"}
    assert texts(rows(engine, trainer, search="JOKE")) == {"this is a joke"}
    assert rows(engine, trainer, search="100%_") == []
    since = datetime.utcfromtimestamp(1.85e9)
    assert texts(rows(engine, trainer, since=since)) == {"where is my parcel??", "asdfgh qwerty", "this is a joke"}
    angry = next(r for r in rows(engine, trainer) if r["text"] == "THIS IS A JOKE")
    assert angry["anger"] == {"score": 0.6, "level": "angry", "cues": ["shouting"]}


def test_trainers_see_emails_and_order_numbers_masked(engine):
    _, trainer = seeded(engine)
    text = next(r["text"] for r in rows(engine, trainer) if "email" in r["text"])
    assert "jane.doe@example.com" not in text and "TS104233" not in text
    assert "j***@e***.com" in text and "TS******" in text


def test_labelled_texts_leave_my_todo_list_and_disagreements_show(engine):
    _, tia = seeded(engine)
    joke, junk = key_of(engine, "this is a joke"), key_of(engine, "asdfgh qwerty")
    with session_scope(engine) as session:
        ben = create_user(session, email="ben@shop.example", password="long enough pw", role=Role.trainer,
                          name="Ben").id
        set_labels(session, keys=[joke], user_id=tia, now=NOW, known_intents=["complain"],
                   intent="complain", angry=True)
        set_labels(session, keys=[junk], user_id=tia, now=NOW, known_intents=[], spam=True)
    assert {r["key"] for r in rows(engine, tia)} == {
        key_of(engine, "where is my parcel??"), key_of(engine, "my email is jane.doe@example.com and order ts104233")}
    labelled = next(r for r in rows(engine, ben) if r["key"] == joke)
    assert labelled["labels"][0]["trainer"] == "Tia" and labelled["labels"][0]["angry"] is True
    assert labelled["mine"] is None
    assert [r["key"] for r in rows(engine, ben, status="ignored")] == [junk]
    with session_scope(engine) as session:
        set_labels(session, keys=[joke], user_id=ben, now=NOW, known_intents=["out_of_scope"],
                   intent="out_of_scope")
    disputed = rows(engine, ben, status="disagreements")
    assert [r["key"] for r in disputed] == [joke] and disputed[0]["disagreement"]


def test_a_row_the_database_refuses_is_skipped_and_its_chunk_stored(engine):
    """What the checks before storing cannot foresee (here a database rule) costs one row, not the sync."""
    from sqlalchemy import text

    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON inbox_messages "
                                    "WHEN NEW.text = 'refused by the database' BEGIN SELECT RAISE(ABORT, 'no'); END"))
        else:
            connection.execute(text("ALTER TABLE inbox_messages ADD CONSTRAINT refuse "
                                    "CHECK (text <> 'refused by the database')"))
    store_conversation(engine, "web-ddd", [("first", "greet", 0.9, "none"),
                                           ("refused by the database", "greet", 0.9, "none"),
                                           ("third", "greet", 0.9, "none")])
    with session_scope(engine) as session:
        assert sync_from_tracker_store(session, chunk=2) == SyncResult(added=2, skipped=1)
    with session_scope(engine) as session:
        assert sorted(m.text for m in session.query(InboxMessage)) == ["first", "third"]
        assert sync_from_tracker_store(session) == SyncResult(added=0, skipped=0)  # the mark moved past it
