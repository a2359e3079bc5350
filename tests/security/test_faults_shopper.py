"""What a shopper gets when part of the system fails: never silence, never a message quietly lost.

Runs its own servers on a private database, because it breaks them."""
import os
import signal
import sqlite3
import urllib.error
import urllib.request
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, select

from bot.db import create_schema, session_scope
from bot.db.models import Role, Ticket
from bot.db.seed import seed
from bot.desk.accounts import create_user
from bot.rasa_server import ACTIONS_DOWN_REPLY
from tests.conftest import always_on_duty_knowledge_base
from tests.integration.servers import running_servers
from tests.integration.test_handoff import Desk

pytestmark = pytest.mark.integration


@pytest.fixture()
def breakable(tmp_path, kb):
    path = tmp_path / "storefront.db"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    with session_scope(engine) as session:
        seed(session, kb, date.today())
    engine.dispose()
    with running_servers(f"sqlite:///{path}", tmp_path,
                         extra_env={"KNOWLEDGE_BASE_DIR": str(always_on_duty_knowledge_base(tmp_path))}) as servers:
        servers.database_path = path
        yield servers


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def texts(servers, sender, message):
    return [m.get("text", "") for m in servers.say(sender, message)]


def test_with_the_action_server_killed_the_shopper_gets_an_apology_not_silence(breakable):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    assert texts(breakable, sender, "hi")  # working
    actions = breakable.processes["actions"]
    os.kill(actions.pid, signal.SIGKILL)
    actions.wait(timeout=30)
    assert texts(breakable, sender, "hello")  # greetings need no action server
    replies = texts(breakable, sender, "where is my order?")
    assert replies.count(ACTIONS_DOWN_REPLY) == 1, replies  # once, however often Rasa retries
    replies = texts(breakable, sender, "can I return worn sneakers?")
    assert ACTIONS_DOWN_REPLY in replies


def test_a_tracker_store_that_cannot_be_written_is_surfaced_and_logged(breakable):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    assert texts(breakable, sender, "hi")
    # The conversations' table disappears under the running server, as when the database is broken.
    with sqlite3.connect(breakable.database_path) as connection:
        connection.execute("ALTER TABLE events RENAME TO events_broken")
    replies = texts(breakable, sender, "how much is express shipping to Canada?")
    assert any("could not take that message in" in reply for reply in replies), replies
    assert status(f"{breakable.rasa_url}/webhooks/rest/ready") == 503
    assert status(f"{breakable.rasa_url}/") == 200  # alive, but not ready
    log = (breakable.log_dir / "rasa.log").read_text(errors="replace")
    assert "could not be processed or saved" in log
    with sqlite3.connect(breakable.database_path) as connection:
        connection.execute("ALTER TABLE events_broken RENAME TO events")
    assert texts(breakable, sender, "hi")  # back to normal once the database is
    assert status(f"{breakable.rasa_url}/webhooks/rest/ready") == 200


def test_the_action_server_is_ready_only_while_the_order_database_answers(breakable):
    ready = f"http://127.0.0.1:{breakable.action_port}/health/ready"
    assert status(ready) == 200
    with sqlite3.connect(breakable.database_path) as connection:
        connection.execute("ALTER TABLE orders RENAME TO orders_broken")
    assert status(ready) == 503
    assert status(f"http://127.0.0.1:{breakable.action_port}/health") == 200
    with sqlite3.connect(breakable.database_path) as connection:
        connection.execute("ALTER TABLE orders_broken RENAME TO orders")
    assert status(ready) == 200


def test_a_deleted_database_is_told_to_the_shopper_and_seen_by_every_readiness_check(breakable):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    assert texts(breakable, sender, "hi")
    breakable.database_path.unlink()
    replies = texts(breakable, sender, "how much is express shipping to Canada?")
    assert any("could not take that message in" in reply for reply in replies), replies
    assert status(f"{breakable.rasa_url}/webhooks/rest/ready") == 503
    assert status(f"http://127.0.0.1:{breakable.action_port}/health/ready") == 503
    assert status(f"{breakable.desk_url}/health/ready") == 503
    desk = Desk(breakable.desk_url)
    code, answer = desk.call("POST", "/api/login", {"email": "ana@shop.example", "password": "long enough pw"})
    assert code == 503 and "error" in answer  # a clear answer, not a 500


def test_with_rasa_down_the_agent_is_told_the_reply_was_not_sent(breakable):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    assert any("queue" in reply for reply in texts(breakable, sender, "I want to talk to a person"))
    engine = create_engine(f"sqlite:///{breakable.database_path}")
    with session_scope(engine) as session:
        create_user(session, email="ana@shop.example", password="long enough pw", role=Role.agent, name="Ana")
        ticket_id = session.execute(select(Ticket.id).where(Ticket.conversation_id == sender)).scalar_one()
    engine.dispose()
    desk = Desk(breakable.desk_url)
    assert desk.call("POST", "/api/login", {"email": "ana@shop.example", "password": "long enough pw"})[0] == 200
    assert desk.call("POST", f"/api/tickets/{ticket_id}/claim")[0] == 200
    rasa = breakable.processes["rasa"]
    os.kill(rasa.pid, signal.SIGKILL)
    rasa.wait(timeout=30)
    code, answer = desk.call("POST", f"/api/tickets/{ticket_id}/messages", {"text": "Hello, I'm Ana."})
    assert code == 503 and "not sent" in answer["error"]
    code, answer = desk.call("GET", f"/api/tickets/{ticket_id}")
    # The ticket still opens with the conversation so far: the desk reads it from the tracker store's table.
    assert code == 200 and any(line["text"] == "I want to talk to a person" for line in answer["transcript"])
