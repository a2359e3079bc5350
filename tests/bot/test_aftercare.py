"""After the conversation, over real HTTP on a real database with a real (local) SMTP server: the
shopper's rating once an agent resolved their ticket, the agent's reply by email with the transcript, and
the transcript a shopper asks for from the widget. Rasa's HTTP API (an outside system) is a small fake
holding each conversation's events."""
import asyncio
import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.chat import events
from bot.db import session_scope
from bot.db.models import Role, ShopperMail, Ticket, TicketEvent, TicketStatus, User
from bot.desk import aftercare
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.desk.context import CLIENT_IP_HEADER, CLOCK
from bot.desk.offline_messages import MAILER
from bot.handoff.queue import Summary, open_ticket
from bot.mail import SmtpMailer
from tests.integration.servers import free_port
from tests.mailbox import smtp_server

NOW = datetime(2026, 11, 23, 15, 0)  # a Monday, in support hours
SESSION = "web-" + "a1" * 16
OTHER = "web-" + "b2" * 16
SHOP = "http://127.0.0.1:8000"
HEADERS = {"X-Requested-With": "desk"}
START = NOW.replace(tzinfo=timezone.utc).timestamp()


class Conversations:
    """Rasa's HTTP API as the desk calls it, one list of events per conversation."""

    def __init__(self):
        self.events = {}

    def tracker(self, conversation_id):
        return {"sender_id": conversation_id, "paused": True, "events": self.events.get(conversation_id, [])}

    def say_as_agent(self, conversation_id, text, *, agent_id, agent_name):
        self.events.setdefault(conversation_id, []).append(
            dict(events.agent_message(text, agent_id=agent_id, agent_name=agent_name), timestamp=START + 300))

    def announce_agent(self, conversation_id, *, agent_id, agent_name):
        self.events.setdefault(conversation_id, []).append(
            dict(events.agent_joined(agent_id=agent_id, agent_name=agent_name), timestamp=START + 120))

    def hand_back(self, conversation_id, text):
        self.events.setdefault(conversation_id, []).extend(events.hand_back(text))


def shopper(text, at):
    return {"event": "user", "text": text, "timestamp": at,
            "parse_data": {"anger": {"level": "angry", "score": 0.7, "cues": ["secret cue"]}}}


@pytest.fixture()
def desk(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        for email, role in (("ana@shop.example", Role.agent), ("ben@shop.example", Role.agent)):
            create_user(session, email=email, password="long enough pw", role=role, name=email.split("@")[0].title())
    rasa = Conversations()
    app = create_app(engine=sqlite_engine, rasa=rasa, knowledge=knowledge, now=lambda: NOW)
    app[CLIENT_IP_HEADER] = "X-Test-Client"
    return app, rasa


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def login(client, email):
    response = await client.post("/api/login", json={"email": email, "password": "long enough pw"}, headers=HEADERS)
    assert response.status == 200


def new_ticket(engine, conversation_id=SESSION, contact_email=None, at=NOW) -> int:
    with session_scope(engine) as session:
        ticket = open_ticket(session, conversation_id=conversation_id, reason="requested", peak_anger=0.2,
                             peak_level="annoyed", summary=Summary(["where is my parcel"], {}, []), now=at)
        ticket.contact_email = contact_email
        return ticket.id


def ticket_row(engine, ticket_id):
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        session.expunge(ticket)
        return ticket


def history_of(engine, ticket_id):
    with session_scope(engine) as session:
        return [(e.kind, json.loads(e.detail)) for e in session.execute(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).scalars()]


async def status(client, session=SESSION):
    response = await client.get(f"/chat/{session}/status")
    assert response.status == 200
    return await response.json()


async def rate(client, session=SESSION, **answer):
    return await client.post(f"/chat/{session}/csat", json=answer, headers={"Origin": SHOP})


async def claim_and_resolve(app, ticket_id, email="ana@shop.example"):
    async with TestClient(TestServer(app)) as agent:
        await login(agent, email)
        assert (await agent.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
        assert (await agent.post(f"/api/tickets/{ticket_id}/resolve", json={}, headers=HEADERS)).status == 200


# -- CSAT ---------------------------------------------------------------------------------------------
def test_after_an_agent_resolves_the_widget_asks_once_for_a_rating(desk, sqlite_engine):
    app, _ = desk
    ticket_id = new_ticket(sqlite_engine)

    async def scenario(widget):
        assert (await status(widget))["csat"] is None  # waiting for a person: nothing to rate yet
        await claim_and_resolve(app, ticket_id)
        assert (await status(widget))["csat"] == {"ticket": ticket_id}
        response = await rate(widget, ticket=ticket_id, score=4, comment="  Quick and kind, thanks!  ")
        assert response.status == 200 and (await response.json()) == {"ok": True}
        assert response.headers["Access-Control-Allow-Origin"] == SHOP
        assert (await status(widget))["csat"] is None  # never asked twice
        again = await rate(widget, ticket=ticket_id, score=1)
        assert again.status == 409 and "already" in (await again.json())["error"]
    run(app, scenario)
    ticket = ticket_row(sqlite_engine, ticket_id)
    assert (ticket.csat_score, ticket.csat_comment, ticket.csat_at, ticket.csat_skipped) == (
        4, "Quick and kind, thanks!", NOW, False)
    assert aftercare.csat_json(ticket) == {"score": 4, "comment": "Quick and kind, thanks!", "at": NOW.isoformat() + "Z"}
    assert history_of(sqlite_engine, ticket_id)[-1] == ("csat", {"score": 4, "comment": True})


def test_a_skipped_rating_is_not_asked_again_nor_taken_later(desk, sqlite_engine):
    app, _ = desk
    ticket_id = new_ticket(sqlite_engine)

    async def scenario(widget):
        await claim_and_resolve(app, ticket_id)
        assert (await rate(widget, ticket=ticket_id, skip=True)).status == 200
        assert (await status(widget))["csat"] is None
        assert (await rate(widget, ticket=ticket_id, score=5)).status == 409
    run(app, scenario)
    ticket = ticket_row(sqlite_engine, ticket_id)
    assert ticket.csat_skipped and ticket.csat_score is None and aftercare.csat_json(ticket) is None
    assert history_of(sqlite_engine, ticket_id)[-1] == ("csat", {"skipped": True})


def test_a_rating_is_asked_only_for_the_latest_ticket_resolved_lately_by_an_agent(desk, sqlite_engine):
    app, _ = desk
    spam, old, abandoned = "web-" + "c3" * 16, "web-" + "d4" * 16, "web-" + "e5" * 16
    ids = {name: new_ticket(sqlite_engine, conversation_id=name) for name in (spam, old, abandoned)}
    resolved_then_new = new_ticket(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        agent_id = session.execute(select(User.id).where(User.email == "ana@shop.example")).scalar_one()
        for name, values in ((spam, dict(resolution_tag="spam", resolved_at=NOW)),
                             (old, dict(resolved_at=NOW - aftercare.CSAT_WINDOW - timedelta(minutes=1))),
                             (abandoned, dict(status=TicketStatus.abandoned))):
            ticket = session.get(Ticket, ids[name])
            ticket.status, ticket.assigned_agent_id = TicketStatus.resolved, agent_id
            for key, value in values.items():
                setattr(ticket, key, value)
            if name == abandoned:
                ticket.assigned_agent_id = None
        earlier = session.get(Ticket, resolved_then_new)
        earlier.status, earlier.assigned_agent_id, earlier.resolved_at = TicketStatus.resolved, agent_id, NOW
    newer = new_ticket(sqlite_engine)  # the shopper asked for a person again

    async def scenario(widget):
        for name in (spam, old, abandoned, SESSION):
            assert (await status(widget, name))["csat"] is None, name
        for name in (spam, old, abandoned):
            assert (await rate(widget, name, ticket=ids[name], score=3)).status == 409, name
        # A card still on the screen rates its own ticket, even after the shopper asked for a person again.
        assert (await rate(widget, ticket=resolved_then_new, score=3)).status == 200
        assert (await rate(widget, ticket=newer, score=3)).status == 409
    run(app, scenario)
    assert ticket_row(sqlite_engine, resolved_then_new).csat_score == 3
    assert ticket_row(sqlite_engine, newer).csat_score is None


def test_bad_ratings_get_clear_errors_and_store_nothing(desk, sqlite_engine):
    app, _ = desk
    ticket_id = new_ticket(sqlite_engine)

    async def scenario(widget):
        await claim_and_resolve(app, ticket_id)
        for answer, words in (({"score": 0}, "1 to 5"), ({"score": 6}, "1 to 5"), ({"score": "5"}, "1 to 5"),
                              ({"score": True}, "1 to 5"), ({"score": 4.5}, "1 to 5"), ({}, "1 to 5"),
                              ({"score": 4, "comment": 42}, "text"),
                              ({"score": 4, "comment": "x" * 1001}, "1000 characters"),
                              ({"skip": True, "score": 2}, "not both"), ({"skip": "yes"}, "true or false")):
            response = await rate(widget, ticket=ticket_id, **answer)
            assert response.status == 400 and words in (await response.json())["error"], answer
        for ticket in ("1", None, 0, -3, 2**40, True):
            response = await rate(widget, ticket=ticket, score=3)
            assert response.status == 400 and "ticket" in (await response.json())["error"]
        listed = await widget.post(f"/chat/{SESSION}/csat", json=[1, 2], headers={"Origin": SHOP})
        assert listed.status == 400 and "JSON object" in (await listed.json())["error"]
        ok = await rate(widget, ticket=ticket_id, score=2, comment="x" * 1000)
        assert ok.status == 200
    run(app, scenario)
    assert ticket_row(sqlite_engine, ticket_id).csat_score == 2


# -- the agent's reply by email -----------------------------------------------------------------------
def test_the_agents_reply_reaches_the_shopper_with_the_transcript_and_no_notes(desk, sqlite_engine, knowledge):
    app, rasa = desk
    ticket_id = new_ticket(sqlite_engine, contact_email="jo@example.com")
    rasa.events[SESSION] = [
        shopper("Where is my parcel TS100004? <b>still nothing</b>", START + 10),
        {"event": "bot", "text": "Let me get a person for you.", "timestamp": START + 11},
        shopper("ok, or write to me: Jo.Shopper@Example.com", START + 60)]
    with smtp_server() as (mailbox, url):
        app[MAILER] = SmtpMailer(url)

        async def scenario(agent):
            await login(agent, "ana@shop.example")
            assert (await agent.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
            await agent.post(f"/api/tickets/{ticket_id}/notes", json={"text": "INTERNAL: refund over limit?"},
                             headers=HEADERS)
            response = await agent.post(f"/api/tickets/{ticket_id}/email",
                                        json={"text": "Hello Jo,\nyour parcel is on its way again."}, headers=HEADERS)
            assert response.status == 200
            assert await response.json() == {"ok": True, "to": "jo@example.com", "sent_at": NOW.isoformat() + "Z"}
        run(app, scenario)
    [mail] = mailbox.messages
    store = knowledge.kb.store
    assert mail["To"] == "jo@example.com" and mail["Reply-To"] == store.support.email
    assert mail["Subject"] == f"{store.name}: our answer to your message (#{ticket_id})"
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Jo,\nyour parcel is on its way again.\n\nAna\n" + store.name)
    # The transcript as the shopper saw it, in the store's time zone (10:00 in New York is 15:00 UTC).
    assert "[2026-11-23 10:00] You: Where is my parcel TS100004? <b>still nothing</b>" in body
    assert "[2026-11-23 10:00] Assistant: Let me get a person for you." in body
    assert "[2026-11-23 10:02] * Ana from our team has joined the chat." in body
    assert "INTERNAL" not in body and "secret cue" not in body and "angry" not in body
    assert history_of(sqlite_engine, ticket_id)[-1] == (
        "emailed", {"to": "j***@e***.com", "text": "Hello Jo,\nyour parcel is on its way again."})
    ticket = ticket_row(sqlite_engine, ticket_id)
    assert ticket.first_reply_at == NOW and ticket.last_agent_at == NOW
    with session_scope(sqlite_engine) as session:
        [row] = session.execute(select(ShopperMail)).scalars()
        assert (row.kind, row.ticket_id, row.conversation_id, row.recipient_key) == (
            "reply", ticket_id, SESSION, aftercare.recipient_key("jo@example.com"))


def test_an_address_typed_in_the_chat_while_waiting_is_answered_and_kept(desk, sqlite_engine):
    app, rasa = desk
    ticket_id = new_ticket(sqlite_engine)
    rasa.events[SESSION] = [shopper("my old one was old@example.com", START - 600),  # before the handoff
                            shopper("please answer me at Jo.Shopper@Example.com", START + 60)]
    with smtp_server() as (mailbox, url):
        app[MAILER] = SmtpMailer(url)

        async def scenario(agent):
            await login(agent, "ana@shop.example")
            await agent.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)
            response = await agent.post(f"/api/tickets/{ticket_id}/email", json={"text": "On it."}, headers=HEADERS)
            assert response.status == 200 and (await response.json())["to"] == "jo.shopper@example.com"
        run(app, scenario)
    assert [m["To"] for m in mailbox.messages] == ["jo.shopper@example.com"]
    assert ticket_row(sqlite_engine, ticket_id).contact_email == "jo.shopper@example.com"


def test_the_offline_forms_message_is_in_the_transcripts_in_time_order(desk, sqlite_engine):
    """The form's message is kept on the ticket, not in Rasa's conversation: the mails still show it."""
    app, rasa = desk
    app[CLOCK] = lambda: NOW + timedelta(seconds=60)  # the form is sent between the two chat messages
    rasa.events[SESSION] = [shopper("get me a person", START + 10),
                            {"event": "bot", "text": "Our team is offline right now.", "timestamp": START + 11},
                            shopper("hello again?", START + 120)]
    with smtp_server() as (mailbox, url):
        app[MAILER] = SmtpMailer(url)

        async def scenario(client):
            left = await client.post(f"/chat/{SESSION}/offline-message", headers={"Origin": SHOP},
                                     json={"email": "jo@example.com", "message": "The belt is missing.", "language": "en"})
            assert left.status == 201
            ticket_id = (await left.json())["ticket"]
            await login(client, "ana@shop.example")
            assert (await client.post(f"/api/tickets/{ticket_id}/claim", headers=HEADERS)).status == 200
            sent = await client.post(f"/api/tickets/{ticket_id}/email", json={"text": "It goes out today."},
                                     headers=HEADERS)
            assert sent.status == 200 and (await sent.json())["to"] == "jo@example.com"
            assert (await ask_transcript(client, email="copy@example.com")).status == 201
        run(app, scenario)
    reply, transcript = [m for m in mailbox.messages if m["To"] in ("jo@example.com", "copy@example.com")][-2:]
    for mail in (reply, transcript):
        body = mail.get_content().replace("\r\n", "\n")
        order = [body.index(words) for words in ("get me a person", "offline right now", "The belt is missing.",
                                                 "hello again?")]
        assert order == sorted(order), body
        assert "[2026-11-23 10:01] You: The belt is missing." in body


def test_email_replies_refuse_clearly_and_lose_nothing(desk, sqlite_engine):
    app, rasa = desk
    no_address = new_ticket(sqlite_engine)
    with_address = new_ticket(sqlite_engine, conversation_id=OTHER, contact_email="jo@example.com")
    rasa.events[SESSION] = [shopper("hello?", START + 1)]
    rasa.events[OTHER] = [shopper("hello?", START + 1)]
    closed_port = free_port()
    app[MAILER] = SmtpMailer(f"smtp://127.0.0.1:{closed_port}")  # nothing listens there: the server is down

    async def scenario(ana):
        await login(ana, "ana@shop.example")
        send = lambda ticket, text="Hi": ana.post(f"/api/tickets/{ticket}/email", json={"text": text},
                                                  headers=HEADERS)
        assert (await send(with_address)).status == 409  # claim first
        for ticket in (no_address, with_address):
            assert (await ana.post(f"/api/tickets/{ticket}/claim", headers=HEADERS)).status == 200
        missing = await send(no_address)
        assert missing.status == 409 and (await missing.json())["error"] == aftercare.NO_CONTACT
        down = await send(with_address, "Your refund is on its way.")
        assert down.status == 503 and "nothing was sent" in (await down.json())["error"]
        for text, status in (("", 400), ("x" * 2001, 400)):
            assert (await send(with_address, text)).status == status
        assert (await send(999999)).status == 404
        async with TestClient(TestServer(app)) as ben:
            await login(ben, "ben@shop.example")
            taken = await ben.post(f"/api/tickets/{with_address}/email", json={"text": "Hi"}, headers=HEADERS)
            assert taken.status == 409
        with smtp_server() as (mailbox, url):
            app[MAILER] = SmtpMailer(url)  # the mail server is back: the same reply goes
            assert (await send(with_address, "Your refund is on its way.")).status == 200
            assert [m["To"] for m in mailbox.messages] == ["jo@example.com"]
    run(app, scenario)
    assert [kind for kind, _ in history_of(sqlite_engine, with_address)].count("emailed") == 1
    with session_scope(sqlite_engine) as session:
        assert session.execute(select(ShopperMail.kind)).scalars().all() == ["reply"]


# -- the transcript a shopper asks for ----------------------------------------------------------------
CLIENTS = itertools.count(1)


async def ask_transcript(client, session=SESSION, email="jo@example.com", **extra):
    """From a client address of its own each time: these tests are about the limits per conversation and
    recipient (tests/security/test_aftercare_attacks.py floods from one address)."""
    return await client.post(f"/chat/{session}/transcript", json={"email": email, **extra},
                             headers={"Origin": SHOP, "X-Test-Client": f"10.9.0.{next(CLIENTS) % 250}"})


def test_a_shopper_gets_their_own_conversation_by_email(desk, sqlite_engine, knowledge):
    app, rasa = desk
    rasa.events[SESSION] = [shopper("Do you ship to Canada?", START + 5),
                            {"event": "bot", "text": "Yes, in 5-8 business days.", "timestamp": START + 6}]
    rasa.events[OTHER] = [shopper("someone else's secret", START + 5)]
    with smtp_server() as (mailbox, url):
        app[MAILER] = SmtpMailer(url)

        async def scenario(widget):
            response = await ask_transcript(widget, email=" Jo@Example.com ", language="de-AT")
            assert response.status == 201 and response.headers["Access-Control-Allow-Origin"] == SHOP
            assert await response.json() == {"ok": True}
        run(app, scenario)
    [mail] = mailbox.messages
    store = knowledge.kb.store
    assert mail["To"] == "jo@example.com" and mail["Subject"] == f"Ihre Unterhaltung mit {store.name}"
    body = mail.get_content().replace("\r\n", "\n")
    assert "[2026-11-23 10:00] Sie: Do you ship to Canada?" in body and "Assistent: Yes, in 5-8" in body
    assert "someone else's secret" not in body and "angry" not in body
    with session_scope(sqlite_engine) as session:
        [row] = session.execute(select(ShopperMail)).scalars()
        assert (row.kind, row.conversation_id, row.ticket_id) == ("transcript", SESSION, None)


def test_transcripts_are_limited_per_conversation_and_recipient_and_need_a_conversation(desk, sqlite_engine):
    app, rasa = desk
    sessions = [f"web-{n:032x}" for n in range(1, 6)]
    for name in sessions:
        rasa.events[name] = [shopper("hi", START)]
    with smtp_server() as (mailbox, url):
        app[MAILER] = SmtpMailer(url)

        async def scenario(widget):
            empty = await ask_transcript(widget, session="web-" + "f" * 32)
            assert empty.status == 409 and (await empty.json())["error"] == aftercare.NOTHING_TO_SEND
            for n in range(aftercare.TRANSCRIPTS_PER_CONVERSATION):
                assert (await ask_transcript(widget, session=sessions[0], email=f"me{n}@example.com")).status == 201
            again = await ask_transcript(widget, session=sessions[0], email="another@example.com")
            assert again.status == 429 and "tomorrow" in (await again.json())["error"]
            for name in sessions[1:aftercare.TRANSCRIPTS_PER_RECIPIENT + 1]:
                assert (await ask_transcript(widget, session=name, email="victim@example.com")).status == 201
            flood = await ask_transcript(widget, session=sessions[-1], email="VICTIM@example.com")
            assert flood.status == 429
        run(app, scenario)
    assert len([m for m in mailbox.messages if m["To"] == "victim@example.com"]) == aftercare.TRANSCRIPTS_PER_RECIPIENT


def test_a_transcript_the_mail_server_could_not_take_does_not_count(desk, sqlite_engine):
    app, rasa = desk
    rasa.events[SESSION] = [shopper("hi", START)]
    app[MAILER] = SmtpMailer(f"smtp://127.0.0.1:{free_port()}")

    async def scenario(widget):
        for _ in range(aftercare.TRANSCRIPTS_PER_CONVERSATION + 1):
            down = await ask_transcript(widget)
            assert down.status == 503 and "try again" in (await down.json())["error"]
        with smtp_server() as (mailbox, url):
            app[MAILER] = SmtpMailer(url)
            assert (await ask_transcript(widget)).status == 201
            assert len(mailbox.messages) == 1
    run(app, scenario)


# -- an address typed in the chat -------------------------------------------------------------------
def test_an_address_typed_while_waiting_becomes_the_tickets_contact(sqlite_engine):
    """The desk's watcher of new shopper messages (bot/desk/live.py) keeps it, from the tracker store
    Rasa wrote; a ticket an agent already holds keeps the address it had."""
    from bot.desk import live
    from bot.trainer.tracker_events import EVENTS
    from tests.tracker import store_events

    waiting, held = new_ticket(sqlite_engine), new_ticket(sqlite_engine, conversation_id=OTHER, contact_email="a@b.co")
    with session_scope(sqlite_engine) as session:
        session.get(Ticket, held).status = TicketStatus.assigned
    parse = {"intent": {"name": "inform", "confidence": 0.4}, "entities": [],
             "anger": {"score": 0.0, "level": "none", "cues": []}}
    store_events(sqlite_engine, SESSION, [
        dict(shopper("mail me: Jo@Example.com thanks", START + 5), parse_data=parse),
        dict(shopper("or at victim%x@relay.example", START + 6), parse_data=parse),
        dict(shopper("are you there?", START + 7), parse_data=parse)])
    store_events(sqlite_engine, OTHER, [dict(shopper("new.one@example.com", START + 5), parse_data=parse)])
    with session_scope(sqlite_engine) as session:
        ids = session.execute(select(EVENTS.c.id).where(EVENTS.c.type_name == "user").order_by(EVENTS.c.id)).scalars()
        live.apply_shopper_messages(session, list(ids), NOW)
    assert ticket_row(sqlite_engine, waiting).contact_email == "jo@example.com"
    assert ticket_row(sqlite_engine, held).contact_email == "a@b.co"


def test_a_transcript_is_plain_text_in_the_store_time_zone():
    lines = [{"from": "shopper", "text": "two\nlines", "at": START, "attachments": ["abc"]},
             {"from": "agent", "text": "Hi", "at": START + 60, "agent_name": "Ana"},
             {"from": "system", "text": "You're back with the assistant.", "at": None},
             {"from": "bot", "text": "", "at": START}, {"from": "nobody", "text": "?", "at": START}]
    text = aftercare.transcript_text(lines, store="Shop", time_zone="Europe/Berlin")
    assert text.split("\n") == ["[2026-11-23 16:00] You: two", "    lines [photo]",
                                "[2026-11-23 16:01] Ana (Shop team): Hi", "* You're back with the assistant.", "",
                                "Times are Europe/Berlin."]
