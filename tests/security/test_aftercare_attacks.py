"""The red team's attacks on the widget's routes after the conversation (the rating and the transcript by
email), over real HTTP on a real database with a real (local) SMTP server: a script must not turn the
transcript into a mail cannon or a way to read another conversation, nor rate someone else's ticket,
nor store what the console would run."""
import asyncio
from datetime import datetime, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import Role, ShopperMail, Ticket, TicketStatus, User
from bot.desk import aftercare
from bot.desk.chat_routes import CSAT_PER_MINUTE, TRANSCRIPT_REQUESTS_PER_HOUR
from bot.desk.context import CLIENT_IP_HEADER
from bot.desk.offline_messages import MAILER
from bot.handoff.queue import Summary, open_ticket
from bot.mail import SmtpMailer
from tests.mailbox import smtp_server
from tests.security.desk_helpers import NOW, add_user, desk_app

SESSION = "web-" + "1a" * 16
VICTIM = "web-" + "2b" * 16
SHOP = "http://127.0.0.1:8000"
ADDRESS = "X-Test-Client"  # the tests' stand-in for a balancer's header: one client per value
START = NOW.replace(tzinfo=timezone.utc).timestamp()


class Conversations:
    def __init__(self, events):
        self.events = events

    def tracker(self, conversation_id):
        return {"sender_id": conversation_id, "events": self.events.get(conversation_id, [])}


def said(text):
    return {"event": "user", "text": text, "timestamp": START}


@pytest.fixture()
def mailbox():
    with smtp_server() as (box, url):
        yield box, url


@pytest.fixture()
def desk(sqlite_engine, knowledge, tmp_path, mailbox):
    conversations = {f"web-{n:032x}": [said(f"conversation {n}")] for n in range(1, 40)}
    conversations[SESSION] = [said("my own words")]
    conversations[VICTIM] = [said("the victim's order TS100004 and address")]
    app = desk_app(sqlite_engine, knowledge, tmp_path, rasa=Conversations(conversations))
    app[CLIENT_IP_HEADER] = ADDRESS
    app[MAILER] = SmtpMailer(mailbox[1])
    return app


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


def resolved_ticket(engine, conversation_id, agent_email="ana@shop.example") -> int:
    add_user(engine, agent_email, Role.agent)
    with session_scope(engine) as session:
        ticket = open_ticket(session, conversation_id=conversation_id, reason="requested", peak_anger=0.0,
                             peak_level="none", summary=Summary([], {}, []), now=NOW)
        ticket.status, ticket.resolved_at = TicketStatus.resolved, NOW
        ticket.assigned_agent_id = session.execute(select(User.id).where(User.email == agent_email)).scalar_one()
        return ticket.id


async def post(client, path, body, client_address="10.0.0.1", origin=SHOP):
    headers = {ADDRESS: client_address}
    if origin:
        headers["Origin"] = origin
    return await client.post(path, json=body, headers=headers)


def mails(engine):
    with session_scope(engine) as session:
        return session.execute(select(ShopperMail.conversation_id)).scalars().all()


def test_one_address_cannot_flood_the_rating_or_the_transcript_routes(desk, sqlite_engine, mailbox):
    ticket_id = resolved_ticket(sqlite_engine, SESSION)

    async def scenario(client):
        for _ in range(CSAT_PER_MINUTE):
            assert (await post(client, f"/chat/{SESSION}/csat", {"ticket": ticket_id, "score": 9})).status == 400
        refused = await post(client, f"/chat/{SESSION}/csat", {"ticket": ticket_id, "score": 5})
        assert refused.status == 429
        # New conversations and new recipients do not reset the count for the address.
        for n in range(TRANSCRIPT_REQUESTS_PER_HOUR):
            await post(client, f"/chat/web-{n + 1:032x}/transcript", {"email": f"x{n}@example.com"})
        more = await post(client, f"/chat/web-{30:032x}/transcript", {"email": "fresh@example.com"})
        assert more.status == 429
        # Another address is not held back by the first one's flood.
        other = await post(client, f"/chat/{SESSION}/csat", {"ticket": ticket_id, "score": 5}, "10.0.0.2")
        assert other.status == 200
    run(desk, scenario)
    assert len(mailbox[0].messages) == TRANSCRIPT_REQUESTS_PER_HOUR


def test_a_botnet_cannot_turn_the_transcript_into_a_mail_cannon(desk, sqlite_engine, mailbox, monkeypatch):
    """Many addresses, many conversations: one victim gets a few mails a day; spraying many recipients
    closes the feature for the day instead of the shop's mail server sending strangers a script's text."""
    monkeypatch.setattr(aftercare, "TRANSCRIPTS_PER_DAY", 8)

    async def scenario(client):
        answers = [await post(client, f"/chat/web-{n:032x}/transcript", {"email": "victim@example.com"}, f"10.1.0.{n}")
                   for n in range(1, 11)]
        assert [a.status for a in answers].count(201) == aftercare.TRANSCRIPTS_PER_RECIPIENT
        assert {a.status for a in answers[aftercare.TRANSCRIPTS_PER_RECIPIENT:]} == {429}
        spray = [await post(client, f"/chat/web-{n:032x}/transcript", {"email": f"stranger{n}@example.com"},
                            f"10.2.0.{n}") for n in range(11, 30)]
        assert [a.status for a in spray].count(201) == 8 - aftercare.TRANSCRIPTS_PER_RECIPIENT
        closed = spray[-1]
        assert closed.status == 429 and (await closed.json())["error"] == aftercare.TRANSCRIPTS_CLOSED
    run(desk, scenario)
    assert len(mailbox[0].messages) == 8


def test_parallel_requests_cannot_race_past_the_limits(desk, sqlite_engine, mailbox):
    async def scenario(client):
        answers = await asyncio.gather(*(post(client, f"/chat/{SESSION}/transcript", {"email": f"p{n}@example.com"},
                                              f"10.3.0.{n}") for n in range(8)))
        assert sorted(a.status for a in answers) == [201] * aftercare.TRANSCRIPTS_PER_CONVERSATION + [429] * (
            8 - aftercare.TRANSCRIPTS_PER_CONVERSATION)
    run(desk, scenario)
    assert len(mailbox[0].messages) == aftercare.TRANSCRIPTS_PER_CONVERSATION


def test_a_session_mails_only_its_own_conversation_and_rates_only_its_own_ticket(desk, sqlite_engine, mailbox):
    victims_ticket = resolved_ticket(sqlite_engine, VICTIM)

    async def scenario(client):
        # Whatever the body names, the session id in the path is the conversation mailed.
        sent = await post(client, f"/chat/{SESSION}/transcript",
                          {"email": "me@example.com", "conversation_id": VICTIM, "session_id": VICTIM})
        assert sent.status == 201
        stolen = await post(client, f"/chat/{SESSION}/csat", {"ticket": victims_ticket, "score": 1})
        assert stolen.status == 404 and "no such" in (await stolen.json())["error"]
        status = await (await client.get(f"/chat/{SESSION}/status")).json()
        assert status["csat"] is None  # the victim's ticket is not offered to another session
        for session in ("web-123", "web-" + "Z" * 32, "../" + VICTIM):
            for route in ("csat", "transcript"):
                response = await post(client, f"/chat/{session}/{route}", {"email": "me@example.com", "ticket": 1})
                assert response.status == 404
    run(desk, scenario)
    [mail] = mailbox[0].messages
    body = mail.get_content()
    assert "my own words" in body and "TS100004" not in body and "victim" not in body
    with session_scope(sqlite_engine) as session:
        assert session.get(Ticket, victims_ticket).csat_score is None


def test_only_the_shops_pages_may_write_and_addresses_cannot_smuggle_headers(desk, sqlite_engine, mailbox):
    ticket_id = resolved_ticket(sqlite_engine, SESSION)

    async def scenario(client):
        for route, body in (("csat", {"ticket": ticket_id, "score": 5}), ("transcript", {"email": "me@example.com"})):
            foreign = await post(client, f"/chat/{SESSION}/{route}", body, origin="https://evil.example")
            assert foreign.status == 403
            preflight = await client.options(f"/chat/{SESSION}/{route}",
                                             headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
            assert preflight.status == 403
            allowed = await client.options(f"/chat/{SESSION}/{route}",
                                           headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"})
            assert allowed.status == 204 and allowed.headers["Access-Control-Allow-Origin"] == SHOP
        for n, email in enumerate(("me@example.com\r\nBcc: all@example.com", "me@example.com>, <all@example.com",
                      "victim%target.example@relay.example", "a@b@example.com", "x" * 250 + "@example.com", 42, None)):
            response = await post(client, f"/chat/{SESSION}/transcript", {"email": email}, f"10.4.0.{n}")
            assert response.status == 400 and "valid email" in (await response.json())["error"]
    run(desk, scenario)
    assert mailbox[0].messages == [] and mails(sqlite_engine) == []


def test_comments_are_bounded_and_kept_as_text(desk, sqlite_engine):
    ticket_id = resolved_ticket(sqlite_engine, SESSION)
    markup = '<img src=x onerror="alert(document.cookie)"><script>fetch("/api/tickets")</script>'

    async def scenario(client):
        too_long = await post(client, f"/chat/{SESSION}/csat", {"ticket": ticket_id, "score": 2, "comment": "é" * 1001})
        assert too_long.status == 400 and "1000" in (await too_long.json())["error"]
        huge = await client.post(f"/chat/{SESSION}/csat", data=b'{"comment": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                                 headers={"Origin": SHOP, "Content-Type": "application/json", ADDRESS: "10.5.0.1"})
        assert huge.status == 413
        stored = await post(client, f"/chat/{SESSION}/csat",
                            {"ticket": ticket_id, "score": 2, "comment": markup + "\u202e\x00 fine"})
        assert stored.status == 200
    run(desk, scenario)
    with session_scope(sqlite_engine) as session:
        ticket = session.get(Ticket, ticket_id)
        # Stored as the words typed (the console shows text with textContent), minus control and bidi characters.
        assert ticket.csat_comment == markup + " fine"
        assert aftercare.csat_json(ticket)["comment"] == markup + " fine"


def test_trainers_never_see_a_shoppers_contact_email(sqlite_engine, knowledge, tmp_path):
    """The address from the offline form, one typed in the chat while waiting and one in a rating's comment:
    on the ticket for agents, masked (or absent) for trainers."""
    from tests.security.desk_helpers import login
    from tests.tracker import store_events

    add_user(sqlite_engine, "tia@shop.example", Role.trainer)
    ticket_id = resolved_ticket(sqlite_engine, SESSION)
    with session_scope(sqlite_engine) as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.contact_email, ticket.csat_score, ticket.csat_comment = "form.left@example.com", 5, "cc me: c@example.org"
    parse = {"intent": {"name": "inform", "confidence": 0.4}, "anger": {"score": 0.0, "level": "none", "cues": []}}
    store_events(sqlite_engine, SESSION, [
        {"event": "user", "text": "answer me at Typed.In.Chat@example.com please", "timestamp": START,
         "parse_data": dict(parse, text="answer me at Typed.In.Chat@example.com please", entities=[])}])
    app = desk_app(sqlite_engine, knowledge, tmp_path)

    async def scenario(client):
        assert (await login(client, "tia@shop.example")).status == 200
        inbox = await client.get("/api/inbox", params={"status": "all"})
        rows = (await inbox.json())["rows"]
        assert [row["text"] for row in rows] == ["answer me at T***@e***.com please"]
        bodies = [await inbox.text(), await (await client.get("/workbench")).text(),
                  await (await client.get(f"/api/inbox/conversations/{rows[0]['conversation']}")).text()]
        for route in (f"/api/tickets/{ticket_id}", "/api/tickets?status=resolved"):
            refused = await client.get(route)
            assert refused.status == 403
            bodies.append(await refused.text())
        for body in bodies:
            for address in ("form.left@example.com", "typed.in.chat@example.com", "c@example.org"):
                assert address not in body.lower()
    run(app, scenario)
