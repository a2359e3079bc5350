"""Reading conversations back from Rasa tracker events, as the desk and the widget show them."""
from bot.chat import events
from bot.chat.events import transcript
from bot.chat.sessions import shopper_view


def tracker(*evts):
    return {"events": list(evts)}


def test_agent_messages_and_hand_back_read_back_with_who_said_them():
    lines = transcript(tracker(
        {"event": "user", "text": "where is it?!", "timestamp": 1.0,
         "parse_data": {"anger": {"level": "annoyed", "cues": ["?!"]}}},
        {"event": "bot", "text": "I'm connecting you", "timestamp": 2.0},
        events.bot_event(events.handoff_message("You're number 2 in the queue.", position=2, open_now=True)),
        events.agent_joined(agent_id=7, agent_name="Alex"),
        events.agent_message("Hi, Alex here <b>", agent_id=7, agent_name="Alex"),
        *events.hand_back("You're back with the assistant."),
    ))
    assert [(line["from"], line["text"]) for line in lines] == [
        ("shopper", "where is it?!"), ("bot", "I'm connecting you"), ("bot", "You're number 2 in the queue."),
        ("system", "Alex from our team has joined the chat."), ("agent", "Hi, Alex here <b>"),
        ("system", "You're back with the assistant."),
    ]
    assert lines[4]["agent_name"] == "Alex" and lines[0]["anger"] == "annoyed"
    assert lines[2]["event"] == "handoff" and lines[3]["event"] == "agent_joined"


def test_desk_messages_are_one_text_message_with_the_event_beside_it():
    # rasa-webchat 1.x shows a message as text when, besides metadata, its only key is "text".
    event = events.agent_message("On it", agent_id=7, agent_name="Alex")
    assert "text" not in event  # a text as well would reach the shopper as a second message
    assert event["data"]["custom"]["data"] == {
        "text": "On it", "metadata": {"storefront": {"event": "agent_message", "agent_name": "Alex"}}}
    assert event["metadata"] == {"agent_id": 7, "agent_name": "Alex"}
    joined = events.agent_joined(agent_id=7, agent_name="Sam")["data"]["custom"]["data"]
    assert joined == {"text": "Sam from our team has joined the chat.",
                      "metadata": {"storefront": {"event": "agent_joined", "agent_name": "Sam"}}}
    back = events.hand_back("Back with the assistant.")[1]["data"]["custom"]["data"]
    assert back == {"text": "Back with the assistant.", "metadata": {"storefront": {"event": "handback"}}}
    assert [events.desk_event(e) for e in (event, events.hand_back("x")[1])] == ["agent_message", "handback"]


def test_messages_stored_in_the_older_shape_are_still_read():
    old = lambda payload: {"event": "bot", "data": {"custom": {"data": payload}}}  # noqa: E731
    lines = transcript(tracker(
        old({"event": "handoff", "status": "waiting", "position": 1}),  # text-less state: no line
        old({"event": "agent_joined", "agent_name": "Alex", "text": "Alex from our team has joined the chat."}),
        old({"sender": "agent", "agent_name": "Alex", "text": "Hello"}),
        old({"event": "handback", "text": "Back with the assistant."}),
    ))
    assert [(line["from"], line["text"]) for line in lines] == [
        ("system", "Alex from our team has joined the chat."), ("agent", "Hello"),
        ("system", "Back with the assistant.")]
    assert lines[1]["agent_name"] == "Alex" and lines[2]["event"] == "handback"
    assert events.desk_event(old({"sender": "agent", "text": "Hello"})) == "agent_message"


def test_the_acknowledgement_is_a_bot_line_with_the_message_it_acknowledges():
    lines = transcript(tracker(events.bot_event(events.passed_on_message("Passed on.", message_id="m-12345678"))))
    assert lines == [{"from": "bot", "text": "Passed on.", "at": None, "event": "passed_on",
                      "message_id": "m-12345678"}]


def test_shopper_lines_carry_only_well_formed_attachment_ids():
    good = "a" * 16
    lines = transcript(tracker(
        {"event": "user", "text": "photo", "metadata": {"attachments": [good, "short", "../../etc/passwd" * 2, 7]}},
        {"event": "user", "text": "no photo", "metadata": {"attachments": "not-a-list-of-ids"}},
    ))
    assert lines[0]["attachments"] == [good] and "attachments" not in lines[1]


def test_a_clicked_button_shows_its_title_and_buttons_are_kept():
    lines = transcript(tracker(
        {"event": "bot", "text": "Which one?", "data": {"buttons": [
            {"title": "Harbor Chinos", "payload": '/ask_return_policy{"product": "Harbor Chinos"}'}]}},
        {"event": "user", "text": '/ask_return_policy{"product": "Harbor Chinos"}',
         "metadata": {"display_text": "Harbor Chinos"}},
        {"event": "user", "text": "plain text", "metadata": {"display_text": "ignored for typed text"}},
    ))
    assert lines[0]["buttons"] == [{"title": "Harbor Chinos",
                                    "payload": '/ask_return_policy{"product": "Harbor Chinos"}'}]
    assert [line["text"] for line in lines[1:]] == ["Harbor Chinos", "plain text"]


def test_a_new_session_starts_a_new_transcript():
    lines = transcript(tracker({"event": "user", "text": "old"}, {"event": "session_started"},
                               {"event": "user", "text": "new"}))
    assert [line["text"] for line in lines] == ["new"]


def test_agent_messages_stored_with_text_are_still_read():
    lines = transcript(tracker({"event": "bot", "text": "old style", "metadata": {"agent_id": 1, "agent_name": "Bo"}}))
    assert lines[0]["from"] == "agent" and lines[0]["agent_name"] == "Bo"


def test_the_shopper_never_sees_anger_scores():
    lines = shopper_view(transcript(tracker(
        {"event": "user", "text": "useless!!", "parse_data": {"anger": {"level": "angry", "cues": ["!!"]}}})))
    assert lines == [{"from": "shopper", "text": "useless!!"}]


def test_display_text_shows_only_a_title_the_assistant_offered_for_that_payload():
    lines = transcript(tracker(
        {"event": "bot", "text": "Which one?", "data": {"buttons": [{"title": "Harbor Chinos", "payload": "/a"}]}},
        {"event": "user", "text": "/a", "metadata": {"display_text": "I am the shop owner, refund me"}},
        {"event": "user", "text": "/b", "metadata": {"display_text": "Harbor Chinos"}},
        {"event": "user", "text": "/order_status", "metadata": {"display_text": "Where is my order?"}},
        {"event": "user", "text": "restart", "metadata": {"typed_text": "/restart"}},
    ))
    assert [line["text"] for line in lines[1:]] == ["/a", "/b", "Where is my order?", "/restart"]
