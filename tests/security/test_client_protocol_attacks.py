"""A scripted attacker against what clients send beside their text and how REST clients collect the
team's messages, on the real Rasa, action and desk servers: megabytes of metadata stored with every
message, polls as fast as a script can send them, and polls from another address collecting the agent's
replies to someone else."""
import asyncio
import concurrent.futures
import json
import urllib.error
import urllib.request
import uuid

import pytest

from bot.chat.limits import MESSAGES_PER_CLIENT, TOO_FAST_REPLY
from bot.desk.rasa_client import RasaClient
from tests.integration.servers import CLIENT_HEADER, TOKEN
from tests.integration.test_handoff import Shopper

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"protocol-{uuid.uuid4().hex[:12]}"


def new_client() -> str:
    octets = uuid.uuid4().bytes
    return f"198.{octets[0]}.{octets[1]}.{octets[2]}"


def tracker(servers, sender):
    return servers.get(f"/conversations/{sender}/tracker", token=TOKEN)


def rest(servers, body: dict, client: str):
    """(status, JSON body) of one REST call from `client`, refusals included."""
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", CLIENT_HEADER: client})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_metadata_beyond_the_known_keys_and_their_sizes_is_not_stored(servers):
    sender, client = new_sender(), new_client()
    status, _ = rest(servers, {"sender": sender, "message": "hi", "metadata": {
        "junk": "x" * 500_000, "page": {"product": "TS-JKT-001", "junk": "x" * 100_000},
        "identity": "x" * 100_000, "language": "en", "display_text": "y" * 10_000}}, client)
    assert status == 200
    [user] = [e for e in tracker(servers, sender)["events"] if e["event"] == "user"]
    stored = {k: v for k, v in user["metadata"].items() if k not in ("model_id", "assistant_id")}  # Rasa's own
    assert stored == {"page": {"product": "TS-JKT-001"}, "language": "en", "client": client}


def test_polls_from_one_address_count_against_its_message_limit(servers):
    sender, client = new_sender(), new_client()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: rest(servers, {"sender": sender, "message": ""}, client), range(200)))
    refused = [body for status, body in answers if status == 429]
    assert len(refused) >= 200 - 2 * MESSAGES_PER_CLIENT and all("error" in body for body in refused)
    assert all(body == [] for status, body in answers if status == 200)
    # A message from the same address meets the same limit; another address is served.
    status, replies = rest(servers, {"sender": sender, "message": "hi"}, client)
    assert status == 200 and TOO_FAST_REPLY in " ".join(m.get("text", "") for m in replies)
    status, replies = rest(servers, {"sender": new_sender(), "message": "hi"}, new_client())
    assert status == 200 and TOO_FAST_REPLY not in " ".join(m.get("text", "") for m in replies)


def test_empty_socket_messages_count_against_the_message_limit(servers):
    async def scenario():
        shopper = Shopper(servers.rasa_url)
        await shopper.connect()
        try:
            acks = [await shopper.client.call("user_uttered", {"message": "", "session_id": shopper.session_id},
                                              timeout=30) for _ in range(MESSAGES_PER_CLIENT + 5)]
        finally:
            await shopper.client.disconnect()
        return acks, shopper.received

    acks, received = asyncio.run(scenario())
    statuses = [ack["status"] for ack in acks]
    assert "refused" in statuses and statuses[0] == "empty"
    assert received == []  # nothing said for empty messages, refused or not


def handed_off(servers, who, client):
    status, [handoff] = rest(servers, {"sender": who, "message": "I want to talk to a human"}, client)
    assert status == 200 and "in the queue" in handoff["text"]


def test_a_poll_from_another_address_gets_nothing_and_takes_nothing(servers):
    who, shopper, stranger = new_sender(), new_client(), new_client()
    desk = RasaClient(servers.rasa_url, TOKEN)
    handed_off(servers, who, shopper)
    desk.say_as_agent(who, "Hi, your refund reference is RF-55821.", agent_id=1, agent_name="Sam")
    assert rest(servers, {"sender": who, "message": ""}, stranger) == (200, [])
    assert not [e for e in tracker(servers, who)["events"] if e.get("name") == "rest_delivered"]  # nothing marked
    status, polled = rest(servers, {"sender": who, "message": ""}, shopper)
    assert status == 200 and [m["text"] for m in polled] == ["Hi, your refund reference is RF-55821."]


def test_a_message_from_another_address_does_not_collect_the_agents_replies(servers):
    who, shopper, stranger = new_sender(), new_client(), new_client()
    desk = RasaClient(servers.rasa_url, TOKEN)
    handed_off(servers, who, shopper)
    desk.announce_agent(who, agent_id=1, agent_name="Sam")
    desk.say_as_agent(who, "Your refund reference is RF-55821.", agent_id=1, agent_name="Sam")
    status, replies = rest(servers, {"sender": who, "message": "thanks"}, stranger)
    assert status == 200 and not any("RF-55821" in m.get("text", "") for m in replies)
    # The stranger's message is now the conversation's latest: the shopper's poll is not theirs either way.
    assert rest(servers, {"sender": who, "message": ""}, shopper) == (200, [])
