"""The conversation pane's API over real HTTP on a real database: the ticket detail read from the tracker
store's table (written by Rasa's own store), the customer panel, canned replies and the knowledge search.
Rasa's HTTP API is a stand-in that records calls: the detail must not need it."""
import asyncio
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import Order, Role, Ticket, TicketStatus
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.handoff.queue import Summary, open_ticket
from tests.tracker import store_events, user_said

NOW = datetime(2026, 11, 23, 15, 0)
T0 = 1795446000.0  # NOW on the tracker's clock
HEADERS = {"X-Requested-With": "desk"}
PASSWORD = "long enough pw"


class RecordingRasa:
    """Rasa's HTTP API, recording what the desk asks of it."""

    def __init__(self):
        self.calls = []

    def tracker(self, conversation_id):
        self.calls.append(("tracker", conversation_id))
        return {"sender_id": conversation_id, "paused": False, "events": []}

    def announce_agent(self, conversation_id, *, agent_id, agent_name):
        self.calls.append(("announce_agent", conversation_id))

    def say_as_agent(self, conversation_id, text, *, agent_id, agent_name):
        self.calls.append(("say_as_agent", conversation_id))

    def hand_back(self, conversation_id, text):
        self.calls.append(("hand_back", conversation_id))


def anger(score, level):
    return {"intent": {"name": "order_status", "confidence": 0.9}, "anger": {"score": score, "level": level, "cues": []}}


@pytest.fixture()
def desk(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("sam@shop.example", Role.supervisor),
                            ("tia@shop.example", Role.trainer)):
            create_user(session, email=email, password=PASSWORD, role=role, name=email.split("@")[0].capitalize())
        owner = session.execute(select(Order).where(Order.number == "TS100004")).scalar_one().customer
        earlier = open_ticket(session, conversation_id="web-earlier", reason="repeated", peak_anger=0.0,
                              peak_level="none", summary=Summary([], {}, []), now=NOW - timedelta(days=3),
                              customer_email=owner.email)
        earlier.status, earlier.resolution_tag = TicketStatus.resolved, "answered"
        ticket = open_ticket(session, conversation_id="web-conv", reason="anger", peak_anger=0.88,
                             peak_level="furious", now=NOW,
                             summary=Summary(["where is it"], {"order_number": "TS100004",
                                                               "verified_order": "TS100004", "order_verified": True}, []))
        ids = {"ticket": ticket.id, "earlier": earlier.id}
        customer = {"name": owner.name, "email": owner.email}
    store_events(sqlite_engine, "web-conv", [
        {"event": "session_started", "timestamp": T0 - 60},
        user_said("where is my parcel??", anger(0.45, "annoyed"), T0 - 50),
        {"event": "bot", "text": "Your order is in transit.", "timestamp": T0 - 49, "data": {}},
        user_said("THIS IS RIDICULOUS", anger(0.88, "furious"), T0 - 10),
        {"event": "pause", "timestamp": T0},
    ])
    rasa = RecordingRasa()
    clock = {"now": NOW}
    app = create_app(engine=sqlite_engine, rasa=rasa, knowledge=knowledge, now=lambda: clock["now"])
    return app, rasa, ids, customer, clock


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def login(client, email):
    response = await client.post("/api/login", json={"email": email, "password": PASSWORD}, headers=HEADERS)
    assert response.status == 200


def test_the_detail_reads_the_conversation_from_the_tracker_store(desk, sqlite_engine):
    app, rasa, ids, customer, clock = desk
    ticket_id = ids["ticket"]

    async def scenario(client):
        await login(client, "ana@shop.example")
        clock["now"] = NOW + timedelta(minutes=2)
        assert (await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
        clock["now"] = NOW + timedelta(minutes=3)
        await client.post(f"/api/tickets/{ticket_id}/notes", json={"text": "trace opened"}, headers=HEADERS)
        detail = await (await client.get(f"/api/tickets/{ticket_id}")).json()
        assert ("tracker", "web-conv") not in rasa.calls  # read from the table, not over Rasa's HTTP API
        lines = detail["transcript"]
        assert [(line["from"], line["at"]) for line in lines] == [
            ("shopper", T0 - 50), ("bot", T0 - 49), ("shopper", T0 - 10)]
        assert detail["paused"] is True and "rasa_unavailable" not in detail
        assert detail["timeline"]["anger"] == [{"at": T0 - 50, "score": 0.45, "level": "annoyed"},
                                               {"at": T0 - 10, "score": 0.88, "level": "furious"}]
        assert detail["timeline"]["markers"] == [{"kind": "handoff", "at": T0}, {"kind": "agent_joined", "at": T0 + 120}]
        assert [(e["kind"], e["actor"]) for e in detail["events"]] == [("created", None), ("claimed", "Ana"),
                                                                       ("noted", "Ana")]
        assert detail["notes"] == [{"author": "Ana", "text": "trace opened", "at": "2026-11-23T15:03:00Z"}]
        assert detail["reason_text"] and detail["reason_text"] != "anger"
        variables = detail["variables"]
        assert variables["first_name"] == customer["name"].split()[0] and variables["agent_name"] == "Ana"
        assert variables["order_number"] == "TS100004" and variables["carrier"] == detail["order"]["carrier"]
        assert variables["tracking_number"] == detail["order"]["tracking_number"] and variables["eta"]
        assert variables["store_credit"] == "$10.00"
        assert detail["customer_email"] == customer["email"]
    run(app, scenario)
    with session_scope(sqlite_engine) as session:
        assert session.get(Ticket, ticket_id).seen_until == T0 - 10  # the holder saw the shopper's lines


def test_the_customer_panel_for_staff_only(desk):
    app, _, ids, customer, _ = desk

    async def scenario(client):
        assert (await client.get(f"/api/tickets/{ids['ticket']}/customer")).status == 401
        await login(client, "tia@shop.example")
        refused = await client.get(f"/api/tickets/{ids['ticket']}/customer")
        assert refused.status == 403 and customer["email"] not in await refused.text()
        await client.post("/api/logout", headers=HEADERS)
        await login(client, "ana@shop.example")
        panel = await (await client.get(f"/api/tickets/{ids['ticket']}/customer")).json()
        assert (panel["name"], panel["email"], panel["source"]) == (customer["name"], customer["email"], "order")
        assert "TS100004" in [o["number"] for o in panel["orders"]]
        assert [(t["id"], t["resolution_tag"]) for t in panel["tickets"]] == [(ids["earlier"], "answered")]
        assert (await client.get("/api/tickets/99999/customer")).status == 404
        assert (await client.get("/api/tickets/abc/customer")).status == 400
    run(app, scenario)


def test_canned_replies_read_by_staff_and_managed_by_supervisors(desk):
    app, _, _, _, _ = desk
    reply = {"shortcode": "thanks", "title": "Thanks", "topic": "closing", "text": "Thanks, {first_name}!"}

    async def scenario(client):
        await login(client, "ana@shop.example")
        listed = await (await client.get("/api/canned-replies")).json()
        codes = [r["shortcode"] for r in listed["replies"]]
        assert {"delay", "delay2", "delay3", "annoyed", "angry", "furious"} <= set(codes)  # seeded at start
        assert {"first_name", "order_number", "carrier", "eta", "store_credit"} <= set(listed["variables"])
        assert (await client.post("/api/canned-replies", json=reply, headers=HEADERS)).status == 403
        first = listed["replies"][0]
        assert (await client.delete(f"/api/canned-replies/{first['id']}", headers=HEADERS)).status == 403
        await client.post("/api/logout", headers=HEADERS)

        await login(client, "sam@shop.example")
        made = await client.post("/api/canned-replies", json=reply, headers=HEADERS)
        assert made.status == 201
        made = (await made.json())["reply"]
        again = await client.post("/api/canned-replies", json=reply, headers=HEADERS)
        assert again.status == 409 and "/thanks is already used" in (await again.json())["error"]
        bad = await client.post("/api/canned-replies", json={**reply, "shortcode": "Thanks!"}, headers=HEADERS)
        assert bad.status == 400 and "shortcode" in (await bad.json())["error"]
        typo = await client.post("/api/canned-replies", json={**reply, "shortcode": "ty", "text": "Hi {nmae}"},
                                 headers=HEADERS)
        assert typo.status == 400 and "{nmae}" in (await typo.json())["error"]
        changed = await client.put(f"/api/canned-replies/{made['id']}", json={**reply, "text": "Many thanks!"},
                                   headers=HEADERS)
        assert changed.status == 200 and (await changed.json())["reply"]["text"] == "Many thanks!"
        assert (await client.put("/api/canned-replies/99999", json=reply, headers=HEADERS)).status == 404
        assert (await client.delete(f"/api/canned-replies/{made['id']}", headers=HEADERS)).status == 200
        assert (await client.delete(f"/api/canned-replies/{made['id']}", headers=HEADERS)).status == 404
        after = await (await client.get("/api/canned-replies")).json()
        assert "thanks" not in [r["shortcode"] for r in after["replies"]]
        assert len(after["replies"]) == len(codes)
    run(app, scenario)


def test_knowledge_search_ranks_by_the_words_typed(desk):
    app, _, _, _, _ = desk

    async def scenario(client):
        await login(client, "ana@shop.example")
        answers = (await (await client.get("/api/knowledge?q=express shipping canada")).json())["answers"]
        assert answers[0]["question"] == "Express shipping to Canada" and answers[0]["score"] == 1.0
        assert answers[0]["answer"].startswith("Express shipping to Canada costs")
        assert len(answers) > 2 and all(set(a) >= {"question", "answer", "score"} for a in answers)
        assert (await (await client.get("/api/knowledge?q=zzzqqq")).json()) == {"answers": []}
    run(app, scenario)


def test_without_the_tracker_table_the_detail_asks_rasa(sqlite_engine, knowledge):
    """A database Rasa never wrote to (no events table): the conversation comes over Rasa's HTTP API."""
    with session_scope(sqlite_engine) as session:
        create_user(session, email="ana@shop.example", password=PASSWORD, role=Role.agent, name="Ana")
        ticket_id = open_ticket(session, conversation_id="web-x", reason="requested", peak_anger=0.0,
                                peak_level="none", summary=Summary([], {}, []), now=NOW).id
    rasa = RecordingRasa()
    app = create_app(engine=sqlite_engine, rasa=rasa, knowledge=knowledge, now=lambda: NOW)

    async def scenario(client):
        await login(client, "ana@shop.example")
        detail = await (await client.get(f"/api/tickets/{ticket_id}")).json()
        assert rasa.calls == [("tracker", "web-x")]
        assert detail["transcript"] == [] and detail["paused"] is False
        assert detail["timeline"] == {"anger": [], "markers": [{"kind": "handoff", "at": T0}]}
        assert "first_name" not in detail["variables"] and detail["variables"]["agent_name"] == "Ana"
    run(app, scenario)

