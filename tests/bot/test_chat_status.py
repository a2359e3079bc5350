"""The widget's status route: support hours now, and how far the agent holding the conversation has seen
the shopper's messages (recorded when that agent's console loads the ticket), on a real database."""
import asyncio
from datetime import datetime, timezone

from aiohttp.test_utils import TestClient, TestServer

from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.desk.context import CLOCK
from bot.handoff.queue import Summary, open_ticket
from tests.bot.test_desk_api import HEADERS, NOW, RecordingRasa, login
from tests.bot.test_storefront import app_for

SESSION = "web-" + "5" * 32


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


def test_out_of_hours_the_widget_learns_when_the_team_is_back(sqlite_engine, knowledge):
    saturday = datetime(2026, 11, 28, 15, 0)
    app = app_for(sqlite_engine, knowledge)
    app[CLOCK] = lambda: saturday

    async def scenario(client):
        status = await (await client.get(f"/chat/{SESSION}/status")).json()
        assert status["support"] == {"open": False, "next_opening": "on Monday at 09:00 (EST)"}
        assert status["now"] == saturday.replace(tzinfo=timezone.utc).timestamp()
        assert status["seen_until"] is None and status["handoff"] == {"status": "none"}
    run(app, scenario)


def test_seen_until_follows_the_holding_agents_console(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        for email in ("ana@shop.example", "ben@shop.example"):
            create_user(session, email=email, password="long enough pw", role=Role.agent, name=email[:3])
        ticket_id = open_ticket(session, conversation_id=SESSION, reason="requested", peak_anger=0.0,
                                peak_level="none", summary=Summary([], {}, []), now=NOW).id
    rasa = RecordingRasa()
    rasa.events = [{"event": "user", "text": "hello?", "timestamp": 1_790_000_005.0},
                   {"event": "bot", "text": "connecting you", "timestamp": 1_790_000_006.0},
                   {"event": "user", "text": "still there?", "timestamp": 1_790_000_007.5}]
    app = app_for(sqlite_engine, knowledge, rasa)

    async def seen(client):
        return (await (await client.get(f"/chat/{SESSION}/status")).json())["seen_until"]

    async def scenario(shopper):
        async with TestClient(TestServer(app)) as ana, TestClient(TestServer(app)) as ben:
            await login(ana, "ana@shop.example")
            await login(ben, "ben@shop.example")
            await ana.get(f"/api/tickets/{ticket_id}")
            assert await seen(shopper) is None  # nobody holds it yet: looking is not seeing
            assert (await ana.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
            await ana.get(f"/api/tickets/{ticket_id}?seen=0")  # the console's tab is hidden
            assert await seen(shopper) is None
            await ben.get(f"/api/tickets/{ticket_id}")  # another agent reading along
            assert await seen(shopper) is None
            await ana.get(f"/api/tickets/{ticket_id}")
            assert await seen(shopper) == 1_790_000_007.5
            rasa.events.append({"event": "user", "text": "hello??", "timestamp": 1_790_000_020.0})
            assert await seen(shopper) == 1_790_000_007.5  # written after the agent looked
            await ana.get(f"/api/tickets/{ticket_id}")
            assert await seen(shopper) == 1_790_000_020.0
    run(app, scenario)
