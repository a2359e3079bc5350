from datetime import datetime, timedelta

from bot.chat.sessions import handoff_status
from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.handoff.queue import Summary, claim, open_ticket, resolve

NOW = datetime(2026, 11, 23, 15, 0)
SESSION = "web-" + "a" * 32


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
