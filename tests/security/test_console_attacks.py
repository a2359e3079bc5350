"""The red team's attacks on the agent console of issue 13 (inbox, live feed, customer panel, canned
replies, follow-up mails), over real HTTP on a real database: a shopper with a script, a curious agent,
a fired one. Each test failed before its fix (see the red-team report of round 13)."""
import asyncio
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import FollowUp, Order, Role, Ticket, TicketStatus, User
from bot.desk import live, sla
from bot.desk.follow_ups import schedule_follow_up
from bot.handoff.queue import Summary, open_ticket
from tests.bot.test_live import run as serve_live
from tests.security.desk_helpers import HEADERS, NOW, PASSWORD, add_user, desk_app

AGENT, SUPERVISOR = "ana@shop.example", "sam@shop.example"
WAIT = 10


async def logged_in(server, email):
    session = aiohttp.ClientSession(base_url=str(server.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))
    answer = await session.post("/api/login", json={"email": email, "password": PASSWORD}, headers=HEADERS)
    assert answer.status == 200
    return session


def waiting_ticket(engine, conversation_id="web-" + "c" * 32, **columns) -> int:
    with session_scope(engine) as session:
        ticket = open_ticket(session, conversation_id=conversation_id, reason="requested", peak_anger=0.0,
                             peak_level="none", summary=Summary(["help"], {}, []), now=NOW)
        for name, value in columns.items():
            setattr(ticket, name, value)
        return ticket.id


def owner_of(engine, number="TS100004"):
    with session_scope(engine) as session:
        customer = session.execute(select(Order).where(Order.number == number)).scalar_one().customer
        return customer.email, sorted(order.number for order in customer.orders)


# -- the customer panel ------------------------------------------------------------------------------
def test_an_email_the_shopper_only_typed_does_not_open_that_customers_orders(sqlite_engine, knowledge, tmp_path):
    """A shopper types (or leaves in the offline form) someone else's address: the ticket's contact
    becomes it, but nothing proved it is theirs. The panel must not list that customer's orders
    (numbers, items, carrier, tracking, estimate, totals) for the agent to read back as if verified."""
    add_user(sqlite_engine, AGENT, Role.agent)
    victim, numbers = owner_of(sqlite_engine)
    assert numbers
    # The victim's own earlier conversation (signed in on the shop), and the attacker's ticket.
    waiting_ticket(sqlite_engine, "web-" + "e" * 32, customer_email=victim, status=TicketStatus.resolved)
    ticket_id = waiting_ticket(sqlite_engine, contact_email=victim)

    async def scenario(server):
        ana = await logged_in(server, AGENT)
        try:
            panel = await (await ana.get(f"/api/tickets/{ticket_id}/customer")).json()
        finally:
            await ana.close()
        assert panel["source"] == "contact" and panel["verified"] is False
        leaked = [order["number"] for order in panel["orders"]]
        assert leaked == [], f"an unproven address shows that customer's orders: {leaked}"
        assert panel["name"] is None
        assert panel["tickets"] == [], "an unproven address lists that customer's conversations"
    serve_live(desk_app(sqlite_engine, knowledge, tmp_path), scenario)


# -- the live feed -------------------------------------------------------------------------------------
async def read_until_closed(response, seconds):
    """True when the server ends the stream within `seconds`."""
    async def drain():
        while await response.content.readline():
            pass
    try:
        await asyncio.wait_for(drain(), seconds)
        return True
    except asyncio.TimeoutError:
        return False


def test_a_stream_ends_when_its_login_does(sqlite_engine, knowledge, tmp_path, monkeypatch):
    """Logged out, or the account switched off (an agent who left): the open stream must not go on
    telling them every ticket and shopper message for the rest of the process's life."""
    monkeypatch.setattr(live, "PING_SECONDS", 0.5)
    monkeypatch.setattr(live, "SESSION_CHECK_SECONDS", 0.5, raising=False)
    add_user(sqlite_engine, AGENT, Role.agent)
    add_user(sqlite_engine, "leo@shop.example", Role.agent)

    async def scenario(server):
        ana = await logged_in(server, AGENT)
        leo = await logged_in(server, "leo@shop.example")
        try:
            ana_stream = await ana.get("/api/live")
            leo_stream = await leo.get("/api/live")
            assert ana_stream.status == leo_stream.status == 200
            assert (await ana.post("/api/logout", headers=HEADERS)).status == 200
            with session_scope(sqlite_engine) as session:
                session.execute(select(User).where(User.email == "leo@shop.example")).scalar_one().active = False
            await asyncio.to_thread(waiting_ticket, sqlite_engine)
            assert await read_until_closed(ana_stream, WAIT), "the stream outlived the logout"
            assert await read_until_closed(leo_stream, WAIT), "the stream outlived the account"
        finally:
            await ana.close()
            await leo.close()
    serve_live(desk_app(sqlite_engine, knowledge, tmp_path), scenario)


def test_one_login_cannot_open_streams_without_end(sqlite_engine, knowledge, tmp_path):
    """A script with one stolen (or one curious agent's) cookie opens stream after stream and never reads:
    each is a socket, a task and a queue of 256 frames on every desk process. A console needs one per
    tab; past a few, the desk refuses."""
    add_user(sqlite_engine, AGENT, Role.agent)

    async def scenario(server):
        ana = await logged_in(server, AGENT)
        try:
            answers = []
            for _ in range(60):
                answers.append(await ana.get("/api/live"))
            statuses = [answer.status for answer in answers]
            assert 429 in statuses, f"{len(statuses)} streams for one user, all accepted"
            assert statuses.count(200) <= 10
            # Closing tabs frees their places.
            for answer in answers:
                answer.close()
            # The desk notices the closed connections on its own time: ask until it does, for 5 s at most.
            deadline = asyncio.get_running_loop().time() + 5
            while True:
                again = await ana.get("/api/live")
                if again.status == 200 or asyncio.get_running_loop().time() > deadline:
                    break
                again.close()
                await asyncio.sleep(0.05)
            assert again.status == 200
            again.close()
        finally:
            await ana.close()
    serve_live(desk_app(sqlite_engine, knowledge, tmp_path), scenario)


# -- inputs that reach the database (PostgreSQL refuses NUL in text) --------------------------------
def test_nul_characters_are_refused_not_a_500(engine, knowledge, tmp_path):
    add_user(engine, AGENT, Role.agent)
    add_user(engine, SUPERVISOR, Role.supervisor)
    ticket_id = waiting_ticket(engine)

    async def scenario(server):
        ana = await logged_in(server, AGENT)
        sam = await logged_in(server, SUPERVISOR)
        try:
            answers = {
                "search": await ana.get("/api/tickets", params={"view": "open", "q": "a\x00b"}),
                "note": await ana.post(f"/api/tickets/{ticket_id}/notes", json={"text": "a\x00b"}, headers=HEADERS),
                "knowledge": await ana.get("/api/knowledge", params={"q": "a\x00b"}),
                "canned": await sam.post("/api/canned-replies", headers=HEADERS,
                                         json={"shortcode": "nul", "title": "t\x00", "text": "x\x00y"}),
            }
            me = await (await ana.get("/api/me")).json()
            answers["assign note"] = await ana.post(f"/api/tickets/{ticket_id}/assign", headers=HEADERS,
                                                    json={"agent_id": me["id"], "note": "a\x00b"})
            statuses = {name: answer.status for name, answer in answers.items()}
        finally:
            await ana.close()
            await sam.close()
        assert not [name for name, status in statuses.items() if status >= 500], statuses
    serve_live(desk_app(engine, knowledge, tmp_path), scenario)


def test_a_resolution_tag_that_is_not_text_is_a_400(sqlite_engine, knowledge, tmp_path):
    """{"tag": []} or {"tag": {}}: `tag in RESOLUTION_TAGS` raised TypeError (unhashable), a 500."""
    add_user(sqlite_engine, AGENT, Role.agent)
    ticket_id = waiting_ticket(sqlite_engine)

    async def scenario(server):
        ana = await logged_in(server, AGENT)
        try:
            assert (await ana.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
            statuses = [(await ana.post(f"/api/tickets/{ticket_id}/resolve", json={"tag": tag}, headers=HEADERS)).status
                        for tag in ([], {}, ["answered"], 1.5)]
        finally:
            await ana.close()
        assert statuses == [400] * 4, statuses
        with session_scope(sqlite_engine) as session:
            assert session.get(Ticket, ticket_id).status == TicketStatus.assigned
    serve_live(desk_app(sqlite_engine, knowledge, tmp_path), scenario)


# -- follow-up mails to an address typed while waiting ---------------------------------------------------
class RecordingMailer:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_typed_addresses_cannot_turn_the_follow_ups_into_a_mail_cannon(sqlite_engine):
    """A script opens conversations from many addresses and, while each waits, types the same victim's
    address (the live watcher makes it the ticket's contact). Each ticket an agent resolves books a
    satisfaction follow-up that the sweep mails to that address: the victim must not get one per ticket."""
    add_user(sqlite_engine, AGENT, Role.agent)
    with session_scope(sqlite_engine) as session:
        agent_id = session.execute(select(User.id).where(User.email == AGENT)).scalar_one()
    for n in range(6):
        ticket_id = waiting_ticket(sqlite_engine, f"web-{n:032x}", contact_email="victim@example.com")
        with session_scope(sqlite_engine) as session:
            ticket = session.get(Ticket, ticket_id)
            ticket.status, ticket.assigned_agent_id = TicketStatus.resolved, agent_id
            ticket.resolved_at, ticket.resolution_tag = NOW, "answered"
            session.flush()
            assert schedule_follow_up(session, ticket, NOW) is not None
    mailer = RecordingMailer()
    sla.run_sweep(sqlite_engine, NOW + timedelta(days=30), mailer=mailer, sender="shop@example.com")
    to_victim = [m for m in mailer.sent if m["To"] == "victim@example.com"]
    assert len(to_victim) <= 1, f"{len(to_victim)} follow-up mails to one address from one sweep"
    # The others still get followed up: by the agent, as a task.
    with session_scope(sqlite_engine) as session:
        states = sorted(session.execute(select(FollowUp.state)).scalars())
    assert states.count("task") == 6 - len(to_victim)
