"""The desk's JSON API over real HTTP (aiohttp test server) on a real database; Rasa is replaced by a
recording fake here; tests/integration covers the desk against the real Rasa server."""
import asyncio
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.chat import events
from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.handoff.queue import Summary, open_ticket

NOW = datetime(2026, 11, 23, 15, 0)
HEADERS = {"X-Requested-With": "desk"}


class RecordingRasa:
    """Stands in for Rasa's HTTP API; keeps the events the desk appends, as Rasa's tracker would."""

    def __init__(self):
        self.sent, self.handed_back, self.announced = [], [], []
        self.events = [{"event": "user", "text": "<script>alert(1)</script> where is it??",
                        "parse_data": {"anger": {"level": "angry", "cues": ["intensifier:?!"]}}}]

    def tracker(self, conversation_id):
        return {"sender_id": conversation_id, "paused": True, "events": self.events}

    def say_as_agent(self, conversation_id, text, *, agent_id, agent_name):
        self.sent.append((conversation_id, text, agent_name))
        self.events.append(events.agent_message(text, agent_id=agent_id, agent_name=agent_name))

    def announce_agent(self, conversation_id, *, agent_id, agent_name):
        self.announced.append((conversation_id, agent_name))
        self.events.append(events.agent_joined(agent_id=agent_id, agent_name=agent_name))

    def hand_back(self, conversation_id, text):
        self.handed_back.append(conversation_id)
        self.events.extend(events.hand_back(text))


@pytest.fixture()
def desk(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("ben@shop.example", Role.agent),
                            ("tia@shop.example", Role.trainer)):
            create_user(session, email=email, password="long enough pw", role=role, name=email.split("@")[0])
        ticket = open_ticket(session, conversation_id="shopper-9", reason="anger", peak_anger=0.8,
                             peak_level="furious", summary=Summary(["where is it"], {"order_number": "TS100004", "verified_order": "TS100004",
                                                               "order_verified": True}, []),
                             now=NOW)
        ticket_id = ticket.id
    rasa = RecordingRasa()
    app = create_app(engine=sqlite_engine, rasa=rasa, knowledge=knowledge, now=lambda: NOW)
    return app, rasa, ticket_id


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as anonymous:
            await scenario(anonymous)
    asyncio.run(main())


async def login(client, email):
    response = await client.post("/api/login", json={"email": email, "password": "long enough pw"}, headers=HEADERS)
    assert response.status == 200
    return response


def test_every_route_requires_login(desk):
    app, _, ticket_id = desk

    async def scenario(client):
        for path in ("/api/tickets", f"/api/tickets/{ticket_id}", "/api/me", "/api/canned-replies",
                     "/api/knowledge?q=refund"):
            assert (await client.get(path)).status == 401
        for path in (f"/api/tickets/{ticket_id}/claim", f"/api/tickets/{ticket_id}/resolve"):
            assert (await client.post(path, headers=HEADERS)).status == 401
        page = await client.get("/console", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/login"
        bad = await client.post("/api/login", json={"email": "ana@shop.example", "password": "nope"}, headers=HEADERS)
        assert bad.status == 401
    run(app, scenario)


def test_claim_reply_note_resolve(desk):
    app, rasa, ticket_id = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        queue = await (await client.get("/api/tickets")).json()
        assert [t["id"] for t in queue["tickets"]] == [ticket_id]
        assert (await client.post(f"/api/tickets/{ticket_id}/messages", json={"text": "hi"},
                                  headers=HEADERS)).status == 409  # claim first
        assert (await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
        assert rasa.announced == [("shopper-9", "ana")]  # the shopper hears who took over
        assert (await client.post(f"/api/tickets/{ticket_id}/messages", json={"text": "Hi, I'm on it."},
                                  headers=HEADERS)).status == 200
        assert rasa.sent == [("shopper-9", "Hi, I'm on it.", "ana")]
        await client.post(f"/api/tickets/{ticket_id}/notes", json={"text": "carrier trace opened"}, headers=HEADERS)
        detail = await (await client.get(f"/api/tickets/{ticket_id}")).json()
        assert [line["from"] for line in detail["transcript"]] == ["shopper", "system", "agent"]
        assert detail["transcript"][1]["text"] == "ana from our team has joined the chat."
        assert detail["transcript"][2] == {**detail["transcript"][2], "text": "Hi, I'm on it.", "agent_name": "ana"}
        assert detail["transcript"][0]["anger"] == "angry"
        assert detail["notes"][0]["text"] == "carrier trace opened"
        assert detail["summary"]["slots"]["order_number"] == "TS100004"
        assert detail["order"]["number"] == "TS100004" and detail["order"]["status"] == "in_transit"
        assert "***@" in detail["order"]["email"]
        assert (await client.post(f"/api/tickets/{ticket_id}/resolve", headers=HEADERS)).status == 200
        assert rasa.handed_back == ["shopper-9"]
        resolved = await (await client.get("/api/tickets?status=resolved")).json()
        assert resolved["tickets"][0]["status"] == "resolved"
    run(app, scenario)


def test_second_claim_loses_and_other_agents_cannot_speak(desk):
    app, rasa, ticket_id = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        assert (await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
        async with TestClient(TestServer(app)) as other:
            await login(other, "ben@shop.example")
            assert (await other.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 409
            assert rasa.announced == [("shopper-9", "ana")]  # the loser announces nobody
            assert (await other.post(f"/api/tickets/{ticket_id}/messages", json={"text": "me too"},
                                     headers=HEADERS)).status == 409
        assert rasa.sent == []
    run(app, scenario)


def test_trainers_cannot_act_on_tickets_and_writes_need_the_header(desk):
    app, _, ticket_id = desk

    async def scenario(client):
        await login(client, "tia@shop.example")
        assert (await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 403
        assert (await client.post(f"/api/tickets/{ticket_id}/claim")).status == 403  # no header: cross-site
    run(app, scenario)


def test_shopper_text_comes_back_as_data_and_pages_forbid_inline_script(desk):
    app, _, ticket_id = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        detail = await client.get(f"/api/tickets/{ticket_id}")
        assert detail.content_type == "application/json"
        body = await detail.json()
        assert body["transcript"][0]["text"].startswith("<script>")  # JSON, rendered with textContent
        page = await client.get("/console")
        assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self': no inline
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        html = await page.text()
        assert "innerHTML" not in html
    run(app, scenario)


def test_bad_input_gets_clear_errors(desk):
    app, _, ticket_id = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)
        for body in ({"text": ""}, {"text": "x" * 5000}):
            response = await client.post(f"/api/tickets/{ticket_id}/messages", json=body, headers=HEADERS)
            assert response.status == 400 and "error" in await response.json()
        broken = await client.post(f"/api/tickets/{ticket_id}/messages", data="not json",
                                   headers={**HEADERS, "Content-Type": "application/json"})
        assert broken.status == 400
        assert (await client.get("/api/tickets/abc")).status == 400  # not an id at all
        assert (await client.get("/api/tickets/99999")).status == 404  # an id, but no such ticket
    run(app, scenario)


def test_knowledge_search_for_agents(desk):
    app, _, _ = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        assert (await (await client.get("/api/knowledge?q=")).json()) == {"answers": []}
        body = await (await client.get("/api/knowledge?q=express shipping to canada")).json()
        assert any("Express shipping to Canada costs" in a["answer"] for a in body["answers"])
        canned = await (await client.get("/api/canned-replies")).json()
        assert {"late parcel", "damaged item"} <= {r["topic"] for r in canned["replies"]}
    run(app, scenario)
