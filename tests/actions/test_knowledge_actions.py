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
