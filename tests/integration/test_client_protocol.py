"""What any Rasa client (rasa-webchat 1.x, a REST client) gets from the real servers: page data in
`customData`, empty messages, resends with the same message_id, the team's messages over REST, the
acknowledgement while waiting, and the honest reply to a language the assistant cannot read."""
import asyncio
import uuid

import pytest

from bot.desk.rasa_client import RasaClient
from tests.integration.servers import TOKEN
from tests.integration.test_handoff import Shopper, event_of, is_text_for_webchat

pytestmark = pytest.mark.integration
PASSED_ON = "Thanks, I've passed this on to the team; they'll answer here."


def rest_sender() -> str:
    return f"rest-{uuid.uuid4().hex}"


def shown_as_text(rest_message):
    """A REST message (Rasa adds recipient_id to each) that rasa-webchat would show as text."""
    return is_text_for_webchat({k: v for k, v in rest_message.items() if k != "recipient_id"})


def tracker_events(servers, who):
    return servers.get(f"/conversations/{who}/tracker", token=TOKEN)["events"]


def user_events(servers, who):
    return [e for e in tracker_events(servers, who) if e.get("event") == "user"]


def run(scenario):
    async def connected():
        shopper = Shopper(scenario.url)
        await shopper.connect()
        try:
            await scenario(shopper)
        finally:
            await shopper.client.disconnect()

    asyncio.run(connected())


def with_shopper(servers, scenario):
    scenario.url = servers.rasa_url
    run(scenario)


def test_the_same_message_id_twice_is_one_message_with_one_set_of_replies(servers):
    async def scenario(shopper):
        first = await shopper.send("how much is express shipping to canada", message_id="resend-0001")
        replies = list(shopper.received)
        second = await shopper.send("how much is express shipping to canada", message_id="resend-0001")
        assert first["status"] == "taken" and second == {"status": "duplicate", "message_id": "resend-0001"}
        assert any("Express shipping to Canada" in m.get("text", "") for m in replies)
        assert shopper.received == replies  # nothing answered twice
        stored = [e for e in await asyncio.to_thread(user_events, servers, shopper.session_id)]
        assert [e["metadata"]["message_id"] for e in stored] == ["resend-0001"]
        await shopper.send("how much is express shipping to canada", message_id="resend-0002")
        assert len(shopper.received) == 2 * len(replies)  # a new key is a new message

    with_shopper(servers, scenario)


def test_webchat_custom_data_carries_the_page_and_empty_messages_are_nothing_to_answer(servers):
    async def scenario(shopper):
        # rasa-webchat 1.x sends page data as customData, with "context" for our "page".
        ack = await shopper.client.call("user_uttered", {
            "message": "can I return this?", "session_id": shopper.session_id,
            "customData": {"context": {"product": "TS-JKT-001"}, "language": "en"}}, timeout=30)
        assert ack["status"] == "taken"
        assert any("Trail Jacket" in m.get("text", "") for m in shopper.received)
        [stored] = await asyncio.to_thread(user_events, servers, shopper.session_id)
        assert stored["metadata"]["page"] == {"product": "TS-JKT-001"}
        for empty in (None, "", "   "):
            before = len(shopper.received)
            ack = await shopper.client.call("user_uttered", {"message": empty, "session_id": shopper.session_id},
                                            timeout=30)
            assert ack["status"] == "empty"
            assert shopper.received[before:] == []  # not "I'm not sure I understood", unprompted
        assert len(await asyncio.to_thread(user_events, servers, shopper.session_id)) == 1
        ack = await shopper.client.call("user_uttered", {"message": "how much is express shipping to canada",
                                                         "session_id": shopper.session_id}, timeout=30)
        assert ack["status"] == "taken"
        assert any("Express shipping to Canada" in m.get("text", "") for m in shopper.received)

    with_shopper(servers, scenario)


def test_rest_clients_receive_the_teams_messages_by_polling_or_with_their_next_reply(servers):
    who, desk = rest_sender(), RasaClient(servers.rasa_url, TOKEN)
    [handoff] = servers.say(who, "I want to talk to a human")
    assert shown_as_text(handoff) and "in the queue" in handoff["text"] and event_of(handoff) == "handoff"
    assert servers.say(who, "") == []  # nothing from the team yet
    desk.announce_agent(who, agent_id=1, agent_name="Sam")
    desk.say_as_agent(who, "Hi, Sam here. Let me check.", agent_id=1, agent_name="Sam")
    polled = servers.say(who, "")
    assert [(m["text"], event_of(m)) for m in polled] == [
        ("Sam from our team has joined the chat.", "agent_joined"), ("Hi, Sam here. Let me check.", "agent_message")]
    assert all(shown_as_text(m) and m["recipient_id"] == who for m in polled)
    assert servers.say(who, "") == []  # handed over once
    assert [e for e in user_events(servers, who) if not e.get("text")] == []  # polls never reached Rasa

    desk.say_as_agent(who, "Found it: it ships today.", agent_id=1, agent_name="Sam")
    assert [m["text"] for m in servers.say(who, "thanks!")] == ["Found it: it ships today."]  # Sam is there: no ack
    desk.hand_back(who, "You're back with the assistant.")
    replies = servers.say(who, "how much is express shipping to canada")
    assert replies[0]["text"] == "You're back with the assistant." and event_of(replies[0]) == "handback"
    assert "Express shipping to Canada" in replies[1]["text"]


def test_waiting_shoppers_are_acknowledged_once_and_for_every_email(servers):
    who = rest_sender()
    servers.say(who, "I want to talk to a human")
    [first] = servers.post("/webhooks/rest/webhook", {"sender": who, "message": "hello?",
                                                      "metadata": {"message_id": "wait-0001"}})
    assert first["text"] == PASSED_ON and first["metadata"]["storefront"] == {"event": "passed_on",
                                                                              "message_id": "wait-0001"}
    assert servers.say(who, "anyone there?") == []
    [with_email] = servers.say(who, "you can email me at jane.doe@example.com")
    assert with_email["text"] == "Thanks, I've passed this on to the team; they'll reply by email to j***@e***.com."
    assert "jane.doe" not in with_email["text"]
    [again] = servers.say(who, "or at jd@work.example")
    assert again["text"].endswith("to j***@w***.example.")


def test_a_german_question_gets_the_honest_german_reply_and_a_way_to_a_person(servers):
    who = rest_sender()
    [reply] = servers.say(who, "Was kostet der Versand nach Deutschland?")
    assert reply["text"] == "Ich kann nur auf Englisch antworten. Möchten Sie mit einer Person sprechen?"
    assert "$" not in reply["text"] and "€" not in reply["text"]  # no shipping prices guessed
    assert [b["payload"] for b in reply["buttons"]] == ["/affirm", "/deny"]
    parsed = user_events(servers, who)[-1]["parse_data"]
    assert parsed["intent"] == {"name": "unsupported_language", "confidence": 1.0} and parsed["language"] == "de"
    handed_over = " ".join(m["text"] for m in servers.say(who, "/affirm"))
    assert "in the queue" in handed_over


def test_no_thanks_carries_on_in_english(servers):
    who = rest_sender()
    [reply] = servers.say(who, "¿Cuánto cuesta el envío a España?")
    assert reply["text"].startswith("Solo puedo responder en inglés.")
    assert "anything else" in " ".join(m["text"] for m in servers.say(who, "/deny"))
    assert "Express shipping to Canada" in " ".join(
        m["text"] for m in servers.say(who, "how much is express shipping to canada"))


@pytest.mark.parametrize("who", ["bob@example.com", f"bob+orders:{uuid.uuid4().hex[:8]}@example.com"])
def test_the_desk_reaches_a_rest_conversation_named_with_at_plus_and_colon(servers, who):
    """Rasa's HTTP API takes the conversation id from the URL path as sent (Sanic does not decode it):
    the desk must spell "@", "+" and ":" as they are, or it talks to another conversation."""
    desk = RasaClient(servers.rasa_url, TOKEN)
    [handoff] = servers.say(who, "I want to talk to a human")
    assert event_of(handoff) == "handoff"
    assert any(e.get("text") == "I want to talk to a human" for e in desk.tracker(who)["events"])  # the transcript
    desk.announce_agent(who, agent_id=1, agent_name="Sam")
    desk.say_as_agent(who, "Hi, Sam here.", agent_id=1, agent_name="Sam")
    assert [m["text"] for m in servers.say(who, "")] == ["Sam from our team has joined the chat.", "Hi, Sam here."]
    desk.hand_back(who, "You're back with the assistant.")
    assert [m["text"] for m in servers.say(who, "")] == ["You're back with the assistant."]
    assert servers.get(f"/conversations/{who}/tracker", token=TOKEN)["paused"] is False
    assert "Express shipping to Canada" in " ".join(
        m["text"] for m in servers.say(who, "how much is express shipping to canada"))
