import pytest

from actions.knowledge import ActionAnswerFromKnowledgeBase, ActionKnowledgeFallback
from tests.actions.helpers import run, texts, tracker


def test_answers_by_intent(app_database):
    messages, events = run(ActionAnswerFromKnowledgeBase(),
                           tracker("how much is express shipping to Canada?", "ask_shipping"))
    assert events == [] and "Express shipping to Canada costs $29.95" in messages[0]["text"]


def test_product_button_payload_uses_the_entity(app_database):
    messages, _ = run(ActionAnswerFromKnowledgeBase(), tracker(
        '/ask_sizing{"product": "Harbor Wool Coat"}', "ask_sizing",
        entities=[{"entity": "product", "value": "Harbor Wool Coat"}]))
    assert messages[0]["text"].startswith("No, the Harbor Wool Coat runs large")


def test_ambiguous_product_offers_buttons(app_database):
    messages, _ = run(ActionAnswerFromKnowledgeBase(), tracker("can i return the harbor", "ask_return_policy"))
    assert len(messages[0]["buttons"]) == 3


def test_fallback_answers_from_question_variants_or_offers_help(app_database):
    messages, _ = run(ActionKnowledgeFallback(), tracker("do you ship to po boxes", "nlu_fallback"))
    assert "PO boxes" in messages[0]["text"]
    messages, _ = run(ActionKnowledgeFallback(), tracker("purple monkey dishwasher", "nlu_fallback"))
    assert texts(messages) == ["utter_help"]


@pytest.mark.parametrize("text", ["", "🙂" * 100, "<img src=x onerror=alert(1)>", "x" * 5000,
                                  "SELECT * FROM orders; --"])
def test_hostile_input_gets_a_reply(app_database, text):
    for intent in ("ask_return_policy", "ask_shipping", "ask_sizing", "ask_payment", "change_shipping_address"):
        messages, _ = run(ActionAnswerFromKnowledgeBase(), tracker(text, intent))
        assert messages and messages[0]["text"]


def angry(level, text="how much is express shipping to canada", intent="ask_shipping"):
    t = tracker(text, intent)
    t.latest_message["anger"] = {"score": 0.5, "level": level, "cues": []}
    return t


def test_anger_ladder_below_handoff(app_database):
    from tests.actions.helpers import slot_events

    messages, events = run(ActionAnswerFromKnowledgeBase(), angry("none"))
    assert len(messages) == 1 and events == []
    messages, events = run(ActionAnswerFromKnowledgeBase(), angry("annoyed"))
    assert texts(messages)[0] == "utter_empathy" and "Canada" in messages[1]["text"] and len(messages) == 2
    messages, events = run(ActionAnswerFromKnowledgeBase(), angry("angry"))
    assert texts(messages)[0] == "utter_empathy" and texts(messages)[-1] == "utter_offer_person"
    assert slot_events(events)["pending_question"] == "offer_human"


JACKET_PAGE = {"page": {"product": "TS-JKT-001"}}  # the Trail Jacket's product page


def on_page(text, intent="ask_return_policy", history=(), metadata=JACKET_PAGE, entities=None):
    """The shopper asks `text` from a product page, after the events of `history`."""
    t = tracker(text, intent, entities=entities)
    t.events = [*history, {"event": "user", "text": text, "metadata": dict(metadata)}]
    return t


def answer(t):
    messages, _ = run(ActionAnswerFromKnowledgeBase(), t)
    return messages[0]["text"]


def test_the_page_answers_when_the_message_names_nothing(app_database):
    assert "the Trail Jacket within 30 days" in answer(on_page("can I return this?"))
    # Naming the page's own category still means the page's product.
    assert "the Trail Jacket within 30 days" in answer(on_page("can I return this jacket?"))


def test_a_category_named_in_the_message_wins_over_the_page(app_database):
    reply = answer(on_page("what's your return window for sneakers?"))
    assert "Trail Jacket" not in reply and "sneakers within 30 days" in reply
    assert "Shoes" in reply  # footwear's condition rule, not outerwear's
    sizing = answer(on_page("what size sneakers should I get?", "ask_sizing"))
    assert "Trail Jacket" not in sizing


def test_a_product_named_in_the_message_wins_over_the_page(app_database):
    assert "the Alpine Parka" in answer(on_page("can I return the alpine parka?"))
    clicked = on_page('/ask_return_policy{"product": "Harbor Wool Coat"}',
                      entities=[{"entity": "product", "value": "Harbor Wool Coat"}])
    assert "Harbor Wool Coat" in answer(clicked)
    marked = on_page("return window for kicks", entities=[{"entity": "category", "value": "boots"}])
    assert "Trail Jacket" not in answer(marked)


def test_after_a_hand_back_the_named_category_still_wins_over_the_page(app_database):
    from bot.chat import events

    handed_off_and_back = [
        {"event": "user", "text": "I want to talk to a person", "metadata": dict(JACKET_PAGE)},
        events.bot_event(events.handoff_message("You're number 1 in the queue.", position=1, open_now=True)),
        {"event": "pause"},
        {"event": "user", "text": "is this jacket warm?", "metadata": dict(JACKET_PAGE)},
        events.agent_joined(agent_id=1, agent_name="Sam"),
        events.agent_message("Yes, with a fleece underneath.", agent_id=1, agent_name="Sam"),
        *events.hand_back("You're back with the assistant."),
    ]
    reply = answer(on_page("what's your return window for sneakers?", history=handed_off_and_back))
    assert "Trail Jacket" not in reply and "sneakers within 30 days" in reply
    assert "the Trail Jacket" in answer(on_page("and this one?", history=handed_off_and_back))
