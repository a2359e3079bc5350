"""The widget's offline form over real HTTP on a real database: the message becomes a ticket agents see
in the console, and the shopper's confirmation goes through a real (local) SMTP server."""
import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer

from bot.db import session_scope
from bot.db.models import Role, Ticket
from bot.desk.accounts import create_user
from bot.desk.context import CLIENT_IP_HEADER
from bot.desk.offline_messages import CONFIRMATIONS_PER_RECIPIENT, MAILER, MESSAGES_PER_TICKET

from bot.handoff.queue import TICKETS_PER_CLIENT
from bot.mail import SmtpMailer
from tests.bot.test_desk_api import login
from tests.bot.test_storefront import app_for
from tests.integration.servers import free_port
from tests.mailbox import smtp_server

SESSION = "web-" + "d" * 32
SHOP = "http://127.0.0.1:8000"
MESSAGE = "My parcel TS100004 arrived with a torn sleeve <b>please</b> help"


def desk_with(engine, knowledge, mailer):
    app = app_for(engine, knowledge)
    app[MAILER] = mailer
    return app


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def leave(client, session=SESSION, **form):
    body = {"email": "Jo.Shopper@Example.com", "message": MESSAGE, "language": "en", **form}
    return await client.post(f"/chat/{session}/offline-message", json=body, headers={"Origin": SHOP})


def test_an_offline_message_becomes_a_ticket_and_the_shopper_gets_a_confirmation(sqlite_engine, knowledge):
    with session_scope(sqlite_engine) as session:
        create_user(session, email="ana@shop.example", password="long enough pw", role=Role.agent, name="Ana")
    with smtp_server() as (mailbox, url):
        app = desk_with(sqlite_engine, knowledge, SmtpMailer(url))

        async def scenario(client):
            response = await leave(client)
            assert response.status == 201 and response.headers["Access-Control-Allow-Origin"] == SHOP
            body = await response.json()
            assert body == {"ok": True, "ticket": body["ticket"], "confirmation_sent": True}
            async with TestClient(TestServer(app)) as agent:
                await login(agent, "ana@shop.example")
                queue = (await (await agent.get("/api/tickets")).json())["tickets"]
                assert [(t["id"], t["reason"], t["summary"]["asked"][-1]) for t in queue] == [
                    (body["ticket"], "offline_message", MESSAGE)]
                detail = await (await agent.get(f"/api/tickets/{body['ticket']}")).json()
                assert detail["contact_email"] == "jo.shopper@example.com"
                assert detail["summary"]["offline_messages"][0]["message"] == MESSAGE
        run(app, scenario)
        [mail] = mailbox.messages
        assert mail["To"] == "jo.shopper@example.com" and mail["Subject"] == "We've received your message"
        text = mail.get_content()
        assert knowledge.kb.store.name in text and "#" in text and knowledge.kb.store.support.hours in text
        assert "torn sleeve" not in text  # the form never mails the shopper's words to the address given
    with session_scope(sqlite_engine) as session:
        ticket = session.query(Ticket).one()
        assert ticket.conversation_id == SESSION and ticket.status.value == "waiting"
        assert json.loads(ticket.summary)["last_messages"] == [{"from": "shopper", "text": MESSAGE}]


def test_the_confirmation_is_in_the_shoppers_language(sqlite_engine, knowledge):
    with smtp_server() as (mailbox, url):
        async def scenario(client):
            assert (await leave(client, language="de-AT")).status == 201
        run(desk_with(sqlite_engine, knowledge, SmtpMailer(url)), scenario)
        assert mailbox.messages[0]["Subject"] == "Wir haben Ihre Nachricht erhalten"


def test_bad_forms_get_clear_errors_and_open_nothing(sqlite_engine, knowledge):
    with smtp_server() as (mailbox, url):
        async def scenario(client):
            for form, words in (({"email": "not an email"}, "valid email"),
                                ({"email": "a@b.c\nBcc: x@y.example"}, "valid email"),
                                ({"email": 42}, "valid email"),
                                # Relay routing and quoted local parts: a conservative address only.
                                ({"email": "victim%target.example@relay.example"}, "valid email"),
                                ({"email": "victim!relay@example.com"}, "valid email"),
                                ({"email": '"a b"@example.com'}, "valid email"),
                                ({"email": "a..b@example.com"}, "valid email"),
                                ({"email": "a@b@example.com"}, "valid email"),
                                ({"message": "   "}, "1 to 2000"),
                                ({"message": "x" * 2001}, "1 to 2000")):
                response = await leave(client, **form)
                assert response.status == 400 and words in (await response.json())["error"]
            not_json = await client.post(f"/chat/{SESSION}/offline-message", json=["a list"])
            assert not_json.status == 400
            elsewhere = await leave(client, session="not-a-widget-session")
            assert elsewhere.status == 404
        run(desk_with(sqlite_engine, knowledge, SmtpMailer(url)), scenario)
        assert mailbox.messages == []
    with session_scope(sqlite_engine) as session:
        assert session.query(Ticket).count() == 0


def test_a_script_cannot_open_a_thousand_tickets(sqlite_engine, knowledge):
    with smtp_server() as (mailbox, url):
        async def scenario(client):
            for n in range(TICKETS_PER_CLIENT):
                assert (await leave(client, session=f"web-{n:032x}")).status == 201
            refused = await leave(client, session="web-" + "e" * 32)
            assert refused.status == 429 and knowledge.kb.store.support.email in (await refused.json())["error"]
            # One conversation adds a few messages to its own ticket, then no more.
            for _ in range(MESSAGES_PER_TICKET - 1):
                assert (await leave(client, session=f"web-{0:032x}")).status == 201
            assert (await leave(client, session=f"web-{0:032x}")).status == 429
        run(desk_with(sqlite_engine, knowledge, SmtpMailer(url)), scenario)
        # Every message went to one address: it got its few confirmations, one per ticket.
        assert len(mailbox.messages) == CONFIRMATIONS_PER_RECIPIENT
    with session_scope(sqlite_engine) as session:
        assert session.query(Ticket).count() == TICKETS_PER_CLIENT


def test_the_message_stands_when_the_mail_server_is_down(sqlite_engine, knowledge):
    async def scenario(client):
        response = await leave(client)
        assert response.status == 201 and (await response.json())["confirmation_sent"] is False
    run(desk_with(sqlite_engine, knowledge, SmtpMailer(f"smtp://127.0.0.1:{free_port()}")), scenario)
    with session_scope(sqlite_engine) as session:
        assert session.query(Ticket).one().contact_email == "jo.shopper@example.com"


def test_only_the_shop_may_send_the_form_from_a_browser(sqlite_engine, knowledge):
    async def scenario(client):
        preflight = await client.options(f"/chat/{SESSION}/offline-message", headers={
            "Origin": SHOP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == SHOP
        refused = await client.post(f"/chat/{SESSION}/offline-message", headers={"Origin": "https://evil.example"},
                                    json={"email": "a@example.com", "message": "hi"})
        assert refused.status == 403
    run(desk_with(sqlite_engine, knowledge, None), scenario)


def test_one_address_gets_a_few_confirmations_a_day_and_one_per_ticket(sqlite_engine, knowledge):
    with smtp_server() as (mailbox, url):
        app = desk_with(sqlite_engine, knowledge, SmtpMailer(url))
        app[CLIENT_IP_HEADER] = "X-Test-Client"

        async def scenario(client):
            async def leave_from(address, session, **form):
                body = {"email": "victim@example.com", "message": "hi", "language": "en", **form}
                return await client.post(f"/chat/{session}/offline-message", json=body,
                                         headers={"Origin": SHOP, "X-Test-Client": address})

            first = await (await leave_from("10.0.0.1", SESSION)).json()
            again = await leave_from("10.0.0.1", SESSION)  # the same ticket: no second confirmation
            assert again.status == 201 and (await again.json())["confirmation_sent"] is False
            sent = [first["confirmation_sent"]]
            for n in range(CONFIRMATIONS_PER_RECIPIENT + 1):  # new tickets from new addresses
                response = await leave_from(f"10.0.1.{n}", f"web-{n:032x}")
                assert response.status == 201  # the message stands, mailed or not
                sent.append((await response.json())["confirmation_sent"])
            assert sent == [True] * CONFIRMATIONS_PER_RECIPIENT + [False] * 2
            other = await leave_from("10.0.2.1", "web-" + "f" * 32, email="someone@example.com")
            assert (await other.json())["confirmation_sent"] is True
        run(app, scenario)
        assert [m["To"] for m in mailbox.messages] == ["victim@example.com"] * CONFIRMATIONS_PER_RECIPIENT + [
            "someone@example.com"]


def test_control_and_direction_characters_are_dropped_from_the_message(sqlite_engine, knowledge):
    async def scenario(client):
        response = await leave(client, message="hi\x00\x1b[31m \u202eevil\u2066 done")
        assert response.status == 201
    run(desk_with(sqlite_engine, knowledge, None), scenario)
    with session_scope(sqlite_engine) as session:
        left = json.loads(session.query(Ticket).one().summary)["offline_messages"][0]["message"]
    assert left == "hi[31m evil done"
