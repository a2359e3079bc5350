"""The whole handoff on the real servers: a shopper on socket.io asks the same thing three times, an
agent takes the conversation in the desk, replies, resolves, and the bot answers again."""
import asyncio
import json
import urllib.error
import urllib.request
import uuid
from http.cookiejar import CookieJar

import pytest
import socketio
from sqlalchemy import create_engine, select

from bot.database_urls import for_application
from bot.db import session_scope
from bot.db.models import Role, Ticket, TicketStatus
from bot.desk.accounts import create_user
from tests.integration.servers import CLIENT_HEADER, TOKEN, address_of

pytestmark = pytest.mark.integration


def event_of(message):
    """Our structured data beside a message's text (metadata.storefront.event), if any."""
    return ((message.get("metadata") or {}).get("storefront") or {}).get("event")


def is_text_for_webchat(message):
    """rasa-webchat 1.x shows a message as text when, without metadata and customCss, only text is left."""
    return set(message) - {"metadata", "customCss"} == {"text"}


class Desk:
    """An agent's browser session against the desk API."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method, path, body=None):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", "X-Requested-With": "desk"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)


class Shopper:
    """A chat widget: Rasa's socket.io channel with a persistent session id."""

    def __init__(self, rasa_url: str, metadata=None):
        self.url = rasa_url
        self.session_id = f"web-{uuid.uuid4().hex}"
        self.metadata = metadata or {}
        self.received = []
        self.client = socketio.AsyncClient()
        self.client.on("bot_uttered", self._on_message)
        self.confirmed = asyncio.Event()
        self.client.on("session_confirm", lambda *_: self.confirmed.set())

    async def _on_message(self, data):
        self.received.append(data)

    async def connect(self, timeout=30):
        await self.client.connect(self.url, transports=["websocket"], socketio_path="/socket.io",
                                  headers={CLIENT_HEADER: address_of(self.session_id)})
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), timeout)  # in the session's room from now on

    async def say(self, text, wait_for=None, timeout=30):
        """Send `text`; with `wait_for`, the replies once one contains it; without, the replies of the
        whole turn, known to be over when the channel acknowledges the message."""
        before = len(self.received)
        if wait_for is not None:
            await self.client.emit("user_uttered", self.message(text))
            return await self.wait_for(wait_for, timeout, start=before)
        await self.send(text, timeout=timeout)
        await self.wait_until_stored(text, timeout)
        return [m.get("text", "") for m in self.received[before:]]

    def message(self, text, **metadata):
        return {"message": text, "session_id": self.session_id, "metadata": {**self.metadata, **metadata}}

    async def send(self, text, timeout=30, **metadata):
        """Send and wait for the channel's acknowledgement, which comes once the message and everything
        said in reply (sent before it on the same socket) are through."""
        return await self.client.call("user_uttered", self.message(text, **metadata), timeout=timeout)

    def _events(self):
        with urllib.request.urlopen(f"{self.url}/conversations/{self.session_id}/tracker?token={TOKEN}",
                                    timeout=30) as response:
            return json.load(response)["events"]

    async def wait_until_stored(self, text, timeout=30):
        for _ in range(int(timeout * 10)):
            events = await asyncio.to_thread(self._events)
            if any(e.get("event") == "user" and e.get("text") == text for e in events):
                return events
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} never reached the tracker store")

    async def _until(self, arrived, timeout, missing: str):
        """Poll the messages received so far until `arrived()` holds."""
        for _ in range(int(timeout * 10)):
            if arrived():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{missing}; got {self.received}")

    async def wait_for_handoff_state(self, timeout=30):
        await self._until(lambda: any(event_of(m) == "handoff" for m in self.received), timeout,
                          "no handoff state")

    async def wait_for(self, fragments, timeout=30, start=0):
        """Until a message contains one of `fragments` (a string or a tuple of strings)."""
        fragments = (fragments,) if isinstance(fragments, str) else fragments
        texts = lambda: [m.get("text", "") for m in self.received[start:]]  # noqa: E731
        await self._until(lambda: any(f in t for t in texts() for f in fragments), timeout,
                          f"no message containing {fragments!r}")
        return texts()


@pytest.fixture(scope="module")
def agent(servers):
    engine = create_engine(for_application(servers.database_url))
    with session_scope(engine) as session:
        create_user(session, email="alex@shop.example", password="long enough pw", role=Role.agent, name="Alex")
    engine.dispose()
    desk = Desk(servers.desk_url)
    status, _ = desk.call("POST", "/api/login", {"email": "alex@shop.example", "password": "long enough pw"})
    assert status == 200
    return desk


def ticket_for(servers, conversation_id):
    engine = create_engine(for_application(servers.database_url))
    with session_scope(engine) as session:
        ticket = session.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)).scalar_one_or_none()
        result = (ticket.id, ticket.reason, ticket.status) if ticket else None
    engine.dispose()
    return result


def test_repeat_three_times_then_agent_takes_over_and_hands_back(servers, agent):
    async def scenario():
        shopper = Shopper(servers.rasa_url)
        await shopper.connect()
        try:
            await shopper.say("when will i get my refund?", wait_for="refund")
            await shopper.say("when will I get my refund??", wait_for="refund")
            assert ticket_for(servers, shopper.session_id) is None  # two repeats: no handoff
            # The test servers' team is on duty around the clock: the shopper hears their place.
            replies = await shopper.say("When will i get my refund", wait_for="in the queue")
            assert any("you're number" in r for r in replies)
            await shopper.wait_for_handoff_state()
            # One message: the words any client shows, the queue place beside them.
            [handoff] = [m for m in shopper.received if event_of(m) == "handoff"]
            assert "you're number" in handoff["text"] and is_text_for_webchat(handoff)
            assert handoff["metadata"]["storefront"]["status"] == "waiting"
            ticket_id, reason, status = ticket_for(servers, shopper.session_id)
            assert reason == "repeated" and status == TicketStatus.waiting

            # While paused the bot answers nothing, but the message is stored, shown to the agent, and
            # acknowledged once for the waiting period.
            before = len(shopper.received)
            await shopper.say("hello? <script>alert(1)</script>", wait_for="passed this on")
            await shopper.say("anyone?")
            after = (await shopper.wait_until_stored("anyone?"))
            acknowledged = [m for m in shopper.received[before:] if event_of(m) == "passed_on"]
            assert len(acknowledged) == 1 and shopper.received[before:] == acknowledged
            assert is_text_for_webchat(acknowledged[0])
            last_user = max(i for i, e in enumerate(after) if e.get("event") == "user")
            assert not [e for e in after[last_user:] if e.get("event") == "bot"]  # once per wait, not just late
            status, queue = agent.call("GET", "/api/tickets")
            assert ticket_id in [t["id"] for t in queue["tickets"]]
            assert agent.call("POST", f"/api/tickets/{ticket_id}/claim")[0] == 200
            status, detail = agent.call("GET", f"/api/tickets/{ticket_id}")
            assert [line["text"] for line in detail["transcript"][-4:]] == [
                "hello? <script>alert(1)</script>", "Thanks, I've passed this on to the team; they'll answer here.",
                "anyone?", "Alex from our team has joined the chat."]

            assert agent.call("POST", f"/api/tickets/{ticket_id}/messages",
                              {"text": "Hi, this is Alex. Your refund was issued today."})[0] == 200
            await shopper.wait_for("this is Alex")
            tracker = servers.get(f"/conversations/{shopper.session_id}/tracker", token=TOKEN)
            agent_events = [e for e in tracker["events"] if e.get("event") == "bot"
                            and (e.get("metadata") or {}).get("agent_name") == "Alex"]
            assert agent_events[-1]["data"]["custom"]["data"]["text"].startswith("Hi, this is Alex")
            # The shopper's socket got the reply once, as text with the agent's name beside it, and heard
            # who joined; after that, messages are for Alex and get no acknowledgement.
            replies = [m for m in shopper.received if "this is Alex" in (m.get("text") or "")]
            assert len(replies) == 1 and is_text_for_webchat(replies[0])
            assert replies[0]["metadata"]["storefront"] == {"event": "agent_message", "agent_name": "Alex"}
            joined = [m for m in shopper.received if event_of(m) == "agent_joined"]
            assert joined and joined[0]["text"] == "Alex from our team has joined the chat."
            before = len(shopper.received)
            await shopper.say("thanks Alex")
            assert shopper.received[before:] == []

            assert agent.call("POST", f"/api/tickets/{ticket_id}/resolve")[0] == 200
            await shopper.wait_for("back with the assistant")
            assert any(event_of(m) == "handback" and is_text_for_webchat(m) for m in shopper.received)
            assert ticket_for(servers, shopper.session_id)[2] == TicketStatus.resolved
            replies = await shopper.say("how much is express shipping to canada", wait_for="Canada")
            assert any("Express shipping to Canada" in r for r in replies)
        finally:
            await shopper.client.disconnect()

    asyncio.run(scenario())


def test_asking_for_a_person_hands_off_at_once(servers):
    who = f"rest-{uuid.uuid4().hex[:8]}"
    reply = " ".join(servers.texts(who, "I want to talk to a human"))
    assert "in the queue" in reply
    assert ticket_for(servers, who)[1] == "requested"
    # Paused: no answer from the assistant, one acknowledgement per waiting period.
    [acknowledged] = servers.say(who, "hello?")
    assert acknowledged["text"] == "Thanks, I've passed this on to the team; they'll answer here."
    assert acknowledged["metadata"]["storefront"] == {"event": "passed_on", "message_id": None}
    assert servers.texts(who, "anyone?") == []


def test_furious_shopper_is_handed_off_with_anger_priority(servers):
    who = f"rest-{uuid.uuid4().hex[:8]}"
    servers.texts(who, "you scammers, I'm filing a chargeback!! 😡")
    assert ticket_for(servers, who)[1] == "anger"


def test_desk_refuses_anonymous_requests(servers):
    status, body = Desk(servers.desk_url).call("GET", "/api/tickets")
    assert status == 401 and "error" in body
