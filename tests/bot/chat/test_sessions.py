from datetime import datetime, timedelta

import pytest

from bot.chat.limits import is_widget_session
from bot.chat.sessions import handoff_status
from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.handoff.queue import Summary, claim, open_ticket, resolve

NOW = datetime(2026, 11, 23, 15, 0)
SESSION = "web-" + "a" * 32


@pytest.mark.parametrize("value,ok", [(SESSION, True), ("web-" + "A" * 32, False), ("web-123", False),
                                      ("me", False), ("", False), (SESSION + "\n", False), ("../" + SESSION, False)])
def test_only_widget_session_ids_can_be_read_back(value, ok):
    assert is_widget_session(value) is ok


def test_handoff_status_follows_the_ticket(engine):
    with session_scope(engine) as session:
        agent = create_user(session, email="al@shop.example", password="long enough pw", role=Role.agent, name="Al")
        agent_id = agent.id
        assert handoff_status(session, SESSION) == {"status": "none"}
        open_ticket(session, conversation_id="web-" + "b" * 32, reason="anger", peak_anger=0.9, peak_level="furious",
                    summary=Summary([], {}, []), now=NOW)
        ticket = open_ticket(session, conversation_id=SESSION, reason="requested", peak_anger=0, peak_level="none",
                             summary=Summary([], {}, []), now=NOW + timedelta(minutes=1))
        ticket_id = ticket.id
    with session_scope(engine) as session:
        assert handoff_status(session, SESSION) == {"status": "waiting", "position": 2}
        claim(session, ticket_id=ticket_id, agent_id=agent_id, now=NOW + timedelta(minutes=2))
    with session_scope(engine) as session:
        assert handoff_status(session, SESSION) == {"status": "with_agent", "agent_name": "Al"}
        resolve(session, ticket_id=ticket_id, agent_id=agent_id, now=NOW + timedelta(minutes=3))
    with session_scope(engine) as session:
        assert handoff_status(session, SESSION) == {"status": "none"}
