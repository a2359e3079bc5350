"""The "passed on" acknowledgement of messages written while waiting for a person."""
from bot.chat import events
from bot.chat.acknowledgement import PASSED_ON_TEXT, acknowledgement, mask_email, waiting_events

PAUSED = [{"event": "user", "text": "a person please"}, {"event": "bot", "text": "Connecting you"},
          {"event": "pause"}]


def said(text, message_id=None):
    return {"event": "user", "text": text, "metadata": {"message_id": message_id} if message_id else {}}


def stored(conversation, text, message_id=None):
    """The conversation after the shopper's message and the acknowledgement it got (if any)."""
    conversation = conversation + [said(text, message_id)]
    ack = acknowledgement(conversation, text=text, message_id=message_id)
    return conversation + ([events.bot_event(ack)] if ack else []), ack


def test_once_per_waiting_period_with_the_message_it_acknowledges():
    conversation, first = stored(PAUSED, "hello?", "msg-0001")
    assert first == {"text": PASSED_ON_TEXT, "metadata": {"storefront": {"event": "passed_on",
                                                                       "message_id": "msg-0001"}}}
    conversation, second = stored(conversation, "anyone there?", "msg-0002")
    assert second is None


def test_not_while_the_bot_answers_or_once_an_agent_has_joined():
    assert acknowledgement([said("hi")], text="hi", message_id=None) is None
    joined = PAUSED + [events.agent_joined(agent_id=1, agent_name="Sam")]
    assert stored(joined, "thanks Sam")[1] is None
    handed_back = PAUSED + events.hand_back("Back with the assistant.")
    assert waiting_events(handed_back) is None and stored(handed_back, "ok")[1] is None


def test_a_new_waiting_period_is_acknowledged_again():
    conversation, _ = stored(PAUSED, "hello?")
    conversation = conversation + events.hand_back("Back with the assistant.") + PAUSED
    assert stored(conversation, "me again")[1]["text"] == PASSED_ON_TEXT


def test_an_email_is_acknowledged_every_time_and_masked():
    conversation, first = stored(PAUSED, "hello?")
    conversation, with_email = stored(conversation, "write to jane.doe@example.com please", "msg-0003")
    assert with_email["text"] == "Thanks, I've passed this on to the team; they'll reply by email to j***@e***.com."
    assert "jane" not in with_email["text"]
    assert with_email["metadata"]["storefront"]["message_id"] == "msg-0003"
    assert stored(conversation, "or bob@shop.example")[1]["text"].endswith("to b***@s***.example.")


def test_mask_matches_the_application_masking():
    from bot.orders.masking import mask_email as application_mask

    for text in ("jane.doe@example.com", "a@b.co and x.y+z@mail.example.org", "no email here"):
        assert mask_email(text) == application_mask(text)
