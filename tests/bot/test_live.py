"""The console's live feed (bot/desk/live.py): a real desk on a real database, real server-sent-event
clients reading GET /api/live; changes are made in the database as another process would make them
(the action server opening a ticket, Rasa storing a shopper's message through its own tracker store).
Every wait is a read of the stream with a time limit."""
import asyncio
import json
import logging
from datetime import datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import create_engine

from bot.db import create_schema, session_scope
from bot.db.models import DeskAlert, Role, Ticket
from bot.desk import live
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.desk.context import CLOCK, ENGINE
from bot.handoff.queue import Summary, open_ticket
from tests.bot.test_desk_api import HEADERS, RecordingRasa
from tests.tracker import bot_said, store_events, user_said

NOW = datetime(2026, 11, 23, 15, 0)
PASSWORD = "long enough pw"
WAIT = 15  # seconds any one awaited event may take before the test fails


class Stream:
    """A server-sent-event stream read as a browser's EventSource would."""

    def __init__(self, response):
        self.response = response

    async def next(self):
        name, data = None, []
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if data:
                    return name or "message", json.loads("\n".join(data))
                name = None
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    async def until(self, wanted):
        """The first event for which wanted(name, data) holds (others before it are skipped)."""
        async def read():
            while True:
                name, data = await self.next()
                if wanted(name, data):
                    return name, data
        return await asyncio.wait_for(read(), WAIT)

    async def first(self):
        return await asyncio.wait_for(self.next(), WAIT)


def new_ticket(engine, conversation):
    with session_scope(engine) as session:
        return open_ticket(session, conversation_id=conversation, reason="requested", peak_anger=0.1,
                           peak_level="none", summary=Summary(["help"], {}, []), now=NOW).id


@pytest.fixture()
def users(engine):
    """The staff on a database of the test's own, SQLite and PostgreSQL."""
    with session_scope(engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("sam@shop.example", Role.supervisor),
                            ("tia@shop.example", Role.trainer)):
            create_user(session, email=email, password=PASSWORD, role=role, name=email.split("@")[0])
    return engine


def desk(engine, knowledge):
    return create_app(engine=engine, rasa=RecordingRasa(), knowledge=knowledge, now=lambda: NOW)


async def console(server, email):
    """A logged-in console with its live stream open."""
    session = aiohttp.ClientSession(base_url=str(server.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))
    login = await session.post("/api/login", json={"email": email, "password": PASSWORD}, headers=HEADERS)
    assert login.status == 200
    response = await session.get("/api/live")
    assert response.status == 200 and response.content_type == "text/event-stream"
    return session, Stream(response)


def run(app, scenario):
    async def main():
        server = TestServer(app)
        await server.start_server()
        try:
            await scenario(server)
        finally:
            await server.close()
    asyncio.run(main())


def test_a_ticket_opened_elsewhere_reaches_the_open_consoles(users, knowledge):
    async def scenario(server):
        ana, ana_stream = await console(server, "ana@shop.example")
        sam, sam_stream = await console(server, "sam@shop.example")
        try:
            ticket_id = await asyncio.to_thread(new_ticket, users, "shopper-live")  # as the action server does
            for stream in (ana_stream, sam_stream):
                name, data = await stream.first()
                assert name == "ticket"
                assert data == {"id": ticket_id, "kind": "created", "at": "2026-11-23T15:00:00Z", "actor_id": None}
            claimed = await ana.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)
            assert claimed.status == 200
            name, data = await sam_stream.until(lambda name, data: data.get("kind") != "created")
            me = await (await ana.get("/api/me")).json()
            assert (name, data["id"], data["kind"], data["actor_id"]) == ("ticket", ticket_id, "claimed", me["id"])
        finally:
            await ana.close()
            await sam.close()
    run(desk(users, knowledge), scenario)


def test_only_staff_open_the_feed(users, knowledge):
    async def scenario(server):
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as anonymous:
            assert (await anonymous.get("/api/live")).status == 401
        async with aiohttp.ClientSession(base_url=str(server.make_url("/")),
                                         cookie_jar=aiohttp.CookieJar(unsafe=True)) as trainer:
            await trainer.post("/api/login", json={"email": "tia@shop.example", "password": PASSWORD},
                               headers=HEADERS)
            assert (await trainer.get("/api/live")).status == 403
    run(desk(users, knowledge), scenario)


def test_shopper_messages_stored_by_rasa_update_the_ticket_and_reach_consoles(users, knowledge):
    """The events table does not exist when the desk starts (Rasa has never run on this database)."""
    ticket_id = new_ticket(users, "shopper-msg")
    first = [user_said("help", {"intent": {"name": "request_human", "confidence": 1.0}}, 1_795_446_030.0)]
    later = first + [bot_said("Someone will be with you shortly.", 1_795_446_031.0),
                     user_said("Please write to jane.doe@example.com\ninstead", {}, 1_795_446_090.0)]

    async def scenario(server):
        ana, stream = await console(server, "ana@shop.example")
        try:
            await asyncio.to_thread(store_events, users, "shopper-msg", first)
            name, data = await stream.until(lambda name, _: name == "message")
            assert data == {"ticket_id": ticket_id, "from": "shopper", "at": "2026-11-23T15:00:30Z"}
            await asyncio.to_thread(store_events, users, "someone-else", first)  # no open ticket: no news
            await asyncio.to_thread(store_events, users, "shopper-msg", later)
            name, data = await stream.until(lambda name, _: name == "message")
            assert data["ticket_id"] == ticket_id and data["at"] == "2026-11-23T15:01:30Z"
            page = await (await ana.get("/api/tickets?view=open")).json()
            item = page["tickets"][0]
            assert item["preview"] == "Please write to j***@e***.com instead"  # one line, masked
            assert item["last_shopper_at"] == "2026-11-23T15:01:30Z"
        finally:
            await ana.close()
    run(desk(users, knowledge), scenario)


def test_a_desk_starting_late_catches_up_on_the_latest_shopper_message(users, knowledge):
    ticket_id = new_ticket(users, "shopper-early")
    store_events(users, "shopper-early", [user_said("my order TS100004 never came", {}, 1_795_446_030.0)])

    async def scenario(server):
        with session_scope(users) as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket.preview == "my order TS100004 never came"
            assert ticket.last_shopper_at == datetime(2026, 11, 23, 15, 0, 30)
    run(desk(users, knowledge), scenario)


def test_alerts_go_to_supervisors_only(users, knowledge):
    async def scenario(server):
        ana, ana_stream = await console(server, "ana@shop.example")
        sam, sam_stream = await console(server, "sam@shop.example")
        try:
            ticket_id = await asyncio.to_thread(new_ticket, users, "shopper-sla")
            await ana_stream.first()
            await sam_stream.first()

            def alert():
                with session_scope(users) as session:
                    row = DeskAlert(kind="sla_breach", ticket_id=ticket_id, text="First reply is overdue",
                                    created_at=NOW)
                    session.add(row)
                    session.flush()
                    return row.id
            alert_id = await asyncio.to_thread(alert)
            name, data = await sam_stream.first()
            assert (name, data) == ("alert", {"id": alert_id, "kind": "sla_breach", "ticket_id": ticket_id,
                                              "text": "First reply is overdue"})
            assert (await ana.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
            name, data = await ana_stream.until(lambda name, data: name == "alert" or data.get("kind") == "claimed")
            assert (name, data["kind"]) == ("ticket", "claimed")  # no alert came before the claim
        finally:
            await ana.close()
            await sam.close()
    run(desk(users, knowledge), scenario)


def test_fifty_consoles_hear_the_same_change(users, knowledge, monkeypatch):
    monkeypatch.setattr(live, "STREAMS_PER_USER", 50)  # one login stands for fifty agents here

    async def scenario(server):
        session = aiohttp.ClientSession(base_url=str(server.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))
        try:
            await session.post("/api/login", json={"email": "ana@shop.example", "password": PASSWORD},
                               headers=HEADERS)
            streams = [Stream(await session.get("/api/live")) for _ in range(50)]
            ticket_id = await asyncio.to_thread(new_ticket, users, "shopper-crowd")
            heard = await asyncio.gather(*(stream.first() for stream in streams))
            assert {(name, data["id"], data["kind"]) for name, data in heard} == {("ticket", ticket_id, "created")}
            assert len(server.app[live.HUB].listeners) == 50
        finally:
            await session.close()
    run(desk(users, knowledge), scenario)


def test_shutting_the_desk_down_ends_the_streams(users, knowledge):
    async def main():
        server = TestServer(desk(users, knowledge))
        await server.start_server()
        ana, stream = await console(server, "ana@shop.example")
        try:
            reading = asyncio.ensure_future(stream.first())
            await asyncio.wait_for(server.close(), WAIT)  # well before aiohttp's 60 s wait for open requests
            with pytest.raises((EOFError, aiohttp.ClientPayloadError)):
                await asyncio.wait_for(reading, WAIT)
        finally:
            await ana.close()
    asyncio.run(main())


# -- the parts, without HTTP ---------------------------------------------------------------------------------

def test_a_console_that_falls_behind_is_dropped_not_the_others():
    async def main():
        hub = live.Hub()
        slow, quick = hub.subscribe(supervisor=False), hub.subscribe(supervisor=True)
        for n in range(live.CLIENT_BACKLOG):
            hub.publish("ticket", {"id": n})
            assert quick.queue.get_nowait() == live.frame("ticket", {"id": n})
        hub.publish("ticket", {"id": "one too many"})
        assert slow.dropped and slow.queue.qsize() == 1 and slow.queue.get_nowait() == b""  # the end
        assert hub.listeners == {quick} and quick.queue.get_nowait() == live.frame("ticket", {"id": "one too many"})
        hub.publish("alert", {"id": 1}, supervisors_only=True)
        assert quick.queue.qsize() == 1
        hub.close()
        assert hub.closed and quick.queue.get_nowait() == b"" and quick.queue.empty()  # only the end is left
    asyncio.run(main())


def test_the_id_cursor_waits_a_while_for_ids_of_transactions_still_open():
    cursor = live.IdCursor(10)
    assert cursor.fresh([11, 12, 14], clock=0.0) == [11, 12, 14]
    assert cursor.floor == 12  # 13 may still commit
    assert cursor.fresh([13, 14], clock=1.0) == [13]
    assert cursor.floor == 14
    assert cursor.fresh([17], clock=2.0) == [17] and cursor.floor == 14
    assert cursor.fresh([17], clock=2.0 + live.GAP_SECONDS + 1) == [] and cursor.floor == 17  # given up


def test_the_feed_survives_a_database_that_is_not_there_yet(tmp_path):
    """The desk started before its database could be reached: the watcher logs, retries, and carries on."""
    path = tmp_path / "later" / "desk.db"
    engine = create_engine(f"sqlite:///{path}")

    async def main():
        app = web.Application()
        app[ENGINE], app[CLOCK] = engine, lambda: NOW
        feed = live.LiveFeed(app)
        failed, recovered = asyncio.Event(), asyncio.Event()

        class Noticed(logging.Handler):
            def emit(self, record):
                if "cannot read the database" in record.getMessage():
                    failed.set()
                if "reads the database again" in record.getMessage():
                    recovered.set()
        handler = Noticed()
        logger = logging.getLogger("bot.desk.live")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            await feed.start()
            listener = feed.hub.subscribe(supervisor=False)
            await asyncio.wait_for(failed.wait(), WAIT)
            assert not feed.task.done()
            path.parent.mkdir()
            await asyncio.to_thread(create_schema, engine)
            await asyncio.wait_for(recovered.wait(), WAIT)
            ticket_id = await asyncio.to_thread(new_ticket, engine, "late")
            got = await asyncio.wait_for(listener.queue.get(), WAIT)
            assert got == live.frame("ticket", {"id": ticket_id, "kind": "created", "at": "2026-11-23T15:00:00Z",
                                                "actor_id": None})
        finally:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
            await feed.stop()
        assert feed.task.done() and feed.hub.closed
    asyncio.run(main())
    engine.dispose()
