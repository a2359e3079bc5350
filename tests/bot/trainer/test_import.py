"""Historic chat logs into the inbox: good rows in, bad rows reported by line number."""
import json
from datetime import datetime

import pytest

from bot.db import session_scope
from bot.db.models import InboxMessage
from bot.trainer.importing import ImportError_, import_messages
from bot.trainer.inbox import predict_pending

NOW = datetime(2027, 1, 5, 12, 0)


def parse(text):
    return {"intent": {"name": "ask_shipping" if "ship" in text else "greet", "confidence": 0.8},
            "entities": [], "anger": {"score": 0.0, "level": "none", "cues": []}}


def run(engine, content, name, predict=parse):
    with session_scope(engine) as session:
        return import_messages(session, content.encode(), name, predict=predict, now=NOW).as_dict()


def test_csv_good_rows_in_bad_rows_reported_with_their_line(sqlite_engine):
    content = ("conversation_id,timestamp,text\n"
               "c1,2026-10-01T10:00:00Z,do you ship to canada?\n"
               "c1,2026-10-01T10:01:00Z,\n"                                  # line 3: no text
               'c2,2026-10-02 09:00,"hello,\nanyone there?"\n'               # lines 4-5: quoted newline
               "c3,yesterday-ish,where is my order\n"                       # line 6: bad timestamp
               "c4,1790000000,/order_status\n"                              # line 7: a button payload
               f"c5,,{'x' * 2001}\n")                                       # line 8: too long
    report = run(sqlite_engine, content, "helpdesk.csv")
    assert report["imported"] == 2 and report["rows"] == 6
    assert [(e["line"], e["error"].split(" ")[0]) for e in report["errors"]] == [
        (3, "no"), (6, "unreadable"), (7, "a"), (8, "text")]
    with session_scope(sqlite_engine) as session:
        messages = session.query(InboxMessage).order_by(InboxMessage.id).all()
        assert [m.text for m in messages] == ["do you ship to canada?", "hello,\nanyone there?"]
        assert messages[0].predicted_intent == "ask_shipping" and messages[0].conversation_id == "c1"
        assert messages[0].sent_at == datetime(2026, 10, 1, 10, 0) and messages[0].source == "helpdesk.csv"


def test_jsonl_rows_and_a_second_import_adds_nothing(sqlite_engine):
    lines = [json.dumps({"text": "can I ship to a PO box", "timestamp": 1790000000}), "{broken json",
             json.dumps(["not", "an", "object"]), "", json.dumps({"message": "hi there"}),
             json.dumps({"text": "   "})]
    content = "\n".join(lines)
    report = run(sqlite_engine, content, "chats.jsonl")
    assert report["imported"] == 2
    assert [e["line"] for e in report["errors"]] == [2, 3, 6]
    again = run(sqlite_engine, content, "chats.jsonl")
    assert again["imported"] == 0 and again["already_there"] == 2


def test_while_the_assistant_is_down_rows_wait_for_a_prediction(sqlite_engine):
    report = run(sqlite_engine, "text\nhow long does shipping take\n", "log.csv", predict=lambda text: None)
    assert report["imported"] == 1 and report["not_predicted"] == 1
    with session_scope(sqlite_engine) as session:
        assert predict_pending(session, parse) == 1
    with session_scope(sqlite_engine) as session:
        assert session.query(InboxMessage).one().predicted_intent == "ask_shipping"


@pytest.mark.parametrize("content, name", [("id,body_text\n1,hi\n", "x.csv"), ("", "empty.csv")])
def test_a_file_without_a_text_column_is_refused_whole(sqlite_engine, content, name):
    with pytest.raises(ImportError_):
        run(sqlite_engine, content, name)


def test_a_file_that_is_not_utf8_is_refused(sqlite_engine):
    with session_scope(sqlite_engine) as session, pytest.raises(ImportError_):
        import_messages(session, b"text\n\xff\xfe bad", "x.csv", predict=parse, now=NOW)


def test_text_the_database_would_refuse_is_a_bad_row_not_a_failed_import(engine):
    lines = [json.dumps({"text": "\ud800 hi"}), json.dumps({"text": "nul \x00 here"}),
             json.dumps({"text": "fine", "conversation_id": "c\ud800"}), json.dumps({"text": "do you ship to peru"})]
    report = run(engine, "\n".join(lines), "log.jsonl")
    assert report["imported"] == 1
    assert [e["error"] for e in report["errors"]] == [
        "the text is not valid Unicode", "the text contains a NUL character", "the conversation id is not valid Unicode"]
