import pytest

from actions.conversation import ActionAnswerYesNo
from actions.language import ActionUnsupportedLanguage
from tests.actions.helpers import domain, run, slot_events, texts, tracker


def foreign(language, text="Was kostet der Versand nach Deutschland?"):
    t = tracker(text, "unsupported_language", confidence=1.0)
    t.latest_message["language"] = language
    return t


@pytest.mark.parametrize("language", ["de", "fr", "es", "it", "nl", "pt", "zh", "ja", "ru"])
def test_replies_in_the_shoppers_language_and_offers_a_person(language):
    messages, events = run(ActionUnsupportedLanguage(), foreign(language))
    assert texts(messages) == [f"utter_only_english_{language}"]
    assert slot_events(events) == {"pending_question": "offer_human"}
    response = domain()["responses"][f"utter_only_english_{language}"][0]
    assert [b["payload"] for b in response["buttons"]] == ["/affirm", "/deny"]


def test_the_german_wording():
    response = domain()["responses"]["utter_only_english_de"][0]
    assert response["text"] == "Ich kann nur auf Englisch antworten. Möchten Sie mit einer Person sprechen?"


@pytest.mark.parametrize("language", ["ko", "ar", None, "../x"])
def test_other_languages_get_the_english_sentence(language):
    messages, _ = run(ActionUnsupportedLanguage(), foreign(language))
    assert texts(messages) == ["utter_only_english"]


def test_yes_hands_over_through_the_offer_of_a_person():
    messages, events = run(ActionAnswerYesNo(), tracker("/affirm", "affirm", slots={"pending_question": "offer_human"}))
    assert slot_events(events) == {"pending_question": None, "handoff_reason": "requested"}
    messages, events = run(ActionAnswerYesNo(), tracker("/deny", "deny", slots={"pending_question": "offer_human"}))
    assert texts(messages) == ["utter_anything_else"] and slot_events(events) == {"pending_question": None}
