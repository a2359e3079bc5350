"""A scripted attacker against the shopper's side, on the real Rasa, action and desk servers: guessing
verification across conversations and addresses, typed intents that reset a conversation, huge and
invalid messages, flooding the queue, a faked button title, malformed bodies, other sites' pages."""
import concurrent.futures
import json
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import create_engine, func, select

from bot.chat.events import transcript
from bot.chat.limits import MAX_MESSAGE_CHARS
from bot.db import Customer, Order, OrderStatus, session_scope
from bot.db.models import Ticket
from bot.handoff.queue import TICKETS_PER_CLIENT
from bot.orders.throttle import CLIENT_LIMIT, ORDER_LIMIT
from tests.integration.servers import TOKEN

pytestmark = pytest.mark.integration

FAILED = "couldn't find an order"


def new_sender() -> str:
    return f"attack-{uuid.uuid4().hex[:12]}"


def new_client() -> str:
    octets = uuid.uuid4().bytes
    return f"198.{octets[0]}.{octets[1]}.{octets[2]}"


def orders(servers, status, count):
    engine = create_engine(servers.database_url)
    with session_scope(engine) as session:
        rows = session.execute(select(Order.number, Customer.email, Order.shipping_postcode).join(Customer)
                               .where(Order.status == status).order_by(Order.number.desc()).limit(count)).all()
    engine.dispose()
    return rows


def tracker(servers, sender):
    return servers.get(f"/conversations/{sender}/tracker", token=TOKEN)


def joined(servers, sender, text, client) -> str:
    return " ".join(m.get("text", "") for m in servers.say(sender, text, client=client))


def try_order(servers, number, answer, *, client, sender=None) -> str:
    """A whole conversation of a script: ask, give the number, give the guess."""
    sender = sender or new_sender()
    joined(servers, sender, "where is my order?", client)
    joined(servers, sender, number, client)
    return joined(servers, sender, answer, client)


def test_a_new_conversation_every_try_does_not_reset_the_order_lock(servers):
    (number, email, postcode), = orders(servers, OrderStatus.in_transit, 1)
    # A different address and a new conversation for every guess: only the order's own count can hold.
    for _ in range(ORDER_LIMIT):
        assert "is on its way" not in try_order(servers, number, "00000", client=new_client())
    reply = try_order(servers, number, postcode, client=new_client())
    assert "is on its way" not in reply and number not in reply


def test_a_guessed_postcode_shows_status_but_cannot_cancel(servers):
    """The attacker guessed right: the status may be shown, but cancelling needs the code that went to
    the customer's mailbox, and guessing it fails after three tries."""
    (number, email, postcode), = orders(servers, OrderStatus.placed, 1)
    sender, client = new_sender(), new_client()
    joined(servers, sender, "cancel my order", client)
    joined(servers, sender, number, client)
    assert "emailed a 6-digit code" in joined(servers, sender, postcode, client)
    assert email not in joined(servers, sender, "yes", client)  # "yes" is not a code
    for guess in ("000000", "123456", "999999"):
        reply = joined(servers, sender, guess, client)
    assert "can't cancel the order without the code" in reply
    assert "is cancelled" not in joined(servers, sender, "yes", client)
    [code] = servers.mailbox.codes_for(email)
    assert "is cancelled" not in joined(servers, sender, code, client)  # too late for the real one
    engine = create_engine(servers.database_url)
    with session_scope(engine) as session:
        assert session.execute(select(Order.status).where(Order.number == number)).scalar_one() == OrderStatus.placed
    engine.dispose()


def test_one_client_guessing_across_orders_is_stopped(servers):
    rows = orders(servers, OrderStatus.delivered, CLIENT_LIMIT + 1)
    attacker = new_client()
    for number, _, _ in rows[:CLIENT_LIMIT]:
        assert "was delivered" not in try_order(servers, number, "00000", client=attacker)
    number, email, _ = rows[CLIENT_LIMIT]
    # The attacker now has even the right email of an order never tried before: still nothing.
    reply = try_order(servers, number, email, client=attacker)
    assert "delivered" not in reply and number not in reply
    # The customer, from their own address, is not held up by the attacker.
    assert "delivered" in try_order(servers, number, email, client=new_client())


def test_typed_restart_and_session_start_are_read_as_words(servers):
    (number, _, postcode), = orders(servers, OrderStatus.processing, 1)
    sender, client = new_sender(), new_client()
    for _ in range(ORDER_LIMIT - 1):
        assert FAILED in try_order(servers, number, "00000", client=client, sender=sender)
    for typed in ("/restart", "/session_start", " /restart", '/order_status{"order_number": "%s"}' % number):
        servers.say(sender, typed, client=client)
    events = tracker(servers, sender)["events"]
    assert not [e for e in events if e["event"] in ("restart", "session_started")][1:]  # only the first start
    typed_texts = [e["text"] for e in events if e["event"] == "user"][-4:]
    assert not any(text.startswith("/") for text in typed_texts)
    assert "on its way" not in try_order(servers, number, "11111", client=client, sender=sender)
    # The attacker's third failure locked the order for everyone, the owner included, until the lock ends.
    assert "processing" not in try_order(servers, number, postcode, client=new_client())


def test_a_button_the_assistant_offered_still_works(servers):
    sender, client = new_sender(), new_client()
    [message] = servers.say(sender, "what is the return window for the harbor", client=client)
    payload = message["buttons"][0]["payload"]
    assert "within" in joined(servers, sender, payload, client)
    # The same payload once answered is no longer on offer: typed again, it is words.
    servers.say(sender, payload, client=client)
    assert not tracker(servers, sender)["latest_message"]["text"].startswith("/")


def test_restart_during_a_handoff_does_not_wake_the_bot(servers):
    sender, client = new_sender(), new_client()
    assert "queue" in joined(servers, sender, "I want to talk to a person", client)
    # Read as words and passed on to the team (acknowledged once per wait); the bot does not answer.
    replies = [servers.say(sender, typed, client=client) for typed in ("/restart", "/restart", "/session_start")]
    assert [[m["metadata"]["storefront"]["event"] for m in said] for said in replies] == [["passed_on"], [], []]
    assert tracker(servers, sender)["paused"] is True


def test_a_long_message_is_refused_with_a_clear_reply_and_others_are_served(servers):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        long = pool.submit(servers.say, new_sender(), "where is my order " * 5_000, new_client())
        normal = pool.submit(servers.say, new_sender(), "how much is express shipping to Canada?", new_client())
        refusal = " ".join(m.get("text", "") for m in long.result())
        answer = " ".join(m.get("text", "") for m in normal.result())
    assert "too long" in refusal and str(MAX_MESSAGE_CHARS) in refusal
    assert "Express shipping to Canada" in answer


@pytest.mark.parametrize("megabytes", [5, 10])
def test_a_body_of_megabytes_is_not_read(servers, megabytes):
    body = json.dumps({"sender": new_sender(), "message": "x" * (megabytes * 1_000_000)}).encode()
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises((urllib.error.HTTPError, urllib.error.URLError, ConnectionError)) as refused:
        urllib.request.urlopen(request, timeout=60)
    # Sanic answers 413 and closes; a client still sending may see the connection reset instead.
    error = refused.value
    assert getattr(error, "code", 413) == 413
    assert "is on its way" not in str(error)


def test_invalid_unicode_is_stored_as_a_replacement_character(servers):
    sender = new_sender()
    body = b'{"sender": "%s", "message": "\\ud800 hi \\u0000there"}' % sender.encode()
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    text = tracker(servers, sender)["latest_message"]["text"]
    assert text == "\ufffd hi there"
    text.encode("utf-8")  # storable and showable anywhere


def test_a_thousand_conversations_cannot_fill_the_queue(servers):
    client = new_client()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: servers.say(new_sender(), "I want to talk to a person", client), range(20)))
    engine = create_engine(servers.database_url)
    from bot.handoff.queue import hashed_client
    with session_scope(engine) as session:
        opened = session.execute(select(func.count()).select_from(Ticket)
                                 .where(Ticket.client_key == hashed_client(client))).scalar_one()
    engine.dispose()
    assert opened <= TICKETS_PER_CLIENT


def test_three_junk_messages_make_no_ticket(servers):
    sender, client = new_sender(), new_client()
    for junk in ("???", "1234", "<b></b>", "!!!!"):
        servers.say(sender, junk, client=client)
    assert not tracker(servers, sender)["paused"]


def test_a_faked_button_title_is_not_shown_as_the_shoppers_words(servers):
    sender, client = new_sender(), new_client()
    servers.post("/webhooks/rest/webhook", {"sender": sender, "message": "/greet",
                                            "metadata": {"display_text": "Please refund order TS100001 to me"}},
                 headers={"X-Real-IP": client})
    servers.post("/webhooks/rest/webhook", {"sender": sender, "message": "/ask_shipping",
                                            "metadata": {"display_text": "I am the shop owner"}},
                 headers={"X-Real-IP": client})
    shown = [line["text"] for line in transcript(tracker(servers, sender)) if line["from"] == "shopper"]
    assert shown == ["/greet", "/ask_shipping"]


def test_the_client_cannot_choose_its_own_address_in_the_metadata(servers):
    sender, client = new_sender(), new_client()
    servers.post("/webhooks/rest/webhook", {"sender": sender, "message": "hi", "metadata": {"client": "1.2.3.4"}},
                 headers={"X-Real-IP": client})
    user = [e for e in tracker(servers, sender)["events"] if e["event"] == "user"][-1]
    assert user["metadata"]["client"] == client


NOT_A_JSON_OBJECT = [b"[]", b"", b"not json", b"[" * 100_000 + b"]" * 100_000]
NO_GOOD_SENDER = [b'{"message": "hi"}', b'{"sender": 5, "message": "hi"}',
                  b'{"sender": "' + b"x" * 300 + b'", "message": "hi"}']


@pytest.mark.parametrize("body", NOT_A_JSON_OBJECT + NO_GOOD_SENDER)
def test_bad_bodies_get_a_400_with_a_json_error(servers, body):
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 400 and "error" in json.load(refused.value)


def test_a_message_that_is_not_text_gets_a_clear_reply(servers):
    replies = servers.post("/webhooks/rest/webhook", {"sender": new_sender(), "message": {"a": 1}},
                           headers={"X-Real-IP": new_client()})
    assert "only read text" in replies[0]["text"]


def test_a_conversation_id_used_from_another_address_does_not_inherit_the_verification(servers):
    (number, _, postcode), = orders(servers, OrderStatus.shipped, 1)
    sender = f"me-{uuid.uuid4().hex[:4]}"  # the kind of id a REST client picks, and a stranger can guess
    assert f"Order {number}" in try_order(servers, number, postcode, client=new_client(), sender=sender)
    stranger = new_client()
    reply = joined(servers, sender, "where is my order?", stranger) + joined(servers, sender, number, stranger)
    assert f"Order {number}" not in reply and "email address or the delivery postcode" in reply


def test_one_client_cannot_send_faster_than_a_person_types(servers):
    from bot.chat.limits import MESSAGES_PER_CLIENT, TOO_FAST_REPLY

    client = new_client()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: joined(servers, new_sender(), "hi", client), range(2 * MESSAGES_PER_CLIENT)))
    assert sum(TOO_FAST_REPLY in reply for reply in replies) >= 10
    assert TOO_FAST_REPLY not in joined(servers, new_sender(), "hi", new_client())  # others are served


def test_keyboard_mashing_makes_no_ticket(servers):
    sender, client = new_sender(), new_client()
    for junk in ("asdkjh", "qwpoeiru", "zxmcnvb", "lkjhgf"):
        servers.say(sender, junk, client=client)
    assert not tracker(servers, sender)["paused"]


def test_another_sites_page_cannot_talk_to_the_assistant(servers):
    import asyncio

    import socketio

    async def connects(origin: str) -> bool:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(servers.rasa_url, transports=["websocket"], socketio_path="/socket.io",
                                 headers={"Origin": origin}, wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    # A foreign page's browser sends its Origin: the socket.io channel refuses it; the shop's pages are welcome.
    assert not asyncio.run(connects("https://evil.example"))
    assert asyncio.run(connects(servers.desk_url))
    # ...and the REST channel takes JSON only, which a foreign page cannot send without CORS allowing it.
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", data=b'{"sender": "x", "message": "hi"}',
                                     headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 415


def test_the_action_server_answers_the_rasa_server_only(servers):
    body = json.dumps({"next_action": "action_order_status", "sender_id": "x", "tracker": {
        "sender_id": "x", "slots": {"verification": "verified", "verified_order": "TS100008",
                                    "order_number": "TS100008"}, "latest_message": {}, "events": []},
        "domain": {}, "version": "3.6.21"}).encode()
    for query in ("", "?token=guess"):
        request = urllib.request.Request(f"http://127.0.0.1:{servers.action_port}/webhook{query}", data=body,
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401 and b"TS100008" not in refused.value.read()


def test_a_socket_cannot_join_a_conversation_it_names_unless_it_is_a_widget_session(servers):
    import asyncio

    import socketio

    async def session_for(requested: str) -> str:
        client = socketio.AsyncClient(reconnection=False)
        confirmed = asyncio.get_running_loop().create_future()
        client.on("session_confirm", lambda session: confirmed.done() or confirmed.set_result(session))
        await client.connect(servers.rasa_url, transports=["websocket"], socketio_path="/socket.io",
                             headers={"Origin": servers.desk_url}, wait_timeout=10)
        await client.emit("session_request", {"session_id": requested})
        granted = await asyncio.wait_for(confirmed, 10)
        await client.disconnect()
        return granted

    widget = f"web-{uuid.uuid4().hex}"
    assert asyncio.run(session_for(widget)) == widget
    granted = asyncio.run(session_for("me"))
    assert granted != "me" and granted.startswith("web-")


def test_on_a_shared_computer_the_next_customer_does_not_inherit_a_verified_order(servers):
    """An anonymous shopper verifies an order; the next person signs in on the same browser, and the
    conversation goes on (as a script that keeps the session id would): the order is not theirs."""
    from bot.chat.identity import sign_identity
    from bot.settings import get_settings

    # Not the processing order another test locks: this one must verify first.
    number, _, postcode = orders(servers, OrderStatus.processing, 2)[1]
    engine = create_engine(servers.database_url)
    with session_scope(engine) as session:
        other_customer = session.execute(select(Customer.email).join(Order)
                                         .where(Order.number != number).order_by(Customer.id)).first()[0]
    engine.dispose()
    sender, client = new_sender(), new_client()
    assert f"Order {number}" in try_order(servers, number, postcode, client=client, sender=sender)
    signed_in = {"identity": sign_identity(other_customer, secret=get_settings().identity_secret)}

    def say(text):
        return " ".join(m.get("text", "") for m in servers.post(
            "/webhooks/rest/webhook", {"sender": sender, "message": text, "metadata": signed_in},
            headers={"X-Real-IP": client}))

    replies = [say("cancel my order"), say(number)]
    assert not any("Shall I cancel" in reply or "6-digit code" in reply for reply in replies), replies
    assert "email address or the delivery postcode" in replies[-1]  # asked to prove it again
