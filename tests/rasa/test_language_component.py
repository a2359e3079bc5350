"""The language component in the Rasa environment: foreign messages become unsupported_language."""
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language_component import LanguageComponent


def parsed(text, intent="ask_shipping"):
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.6}})
    [message] = LanguageComponent.create({}, None, None, None).process([message])
    return {key: message.get(key) for key in ("intent", "intent_ranking", "language")}


def test_a_german_question_becomes_unsupported_language():
    result = parsed("Was kostet der Versand nach Deutschland?")
    assert result["intent"] == {"name": "unsupported_language", "confidence": 1.0}
    assert result["intent_ranking"] == [result["intent"]] and result["language"] == "de"


def test_english_and_button_payloads_keep_their_intent():
    for text, intent in (("how much is shipping to germany?", "ask_shipping"), ("/affirm", "affirm"),
                         ("", "nlu_fallback"), ("danke", "thank")):
        result = parsed(text, intent)
        assert result["intent"]["name"] == intent and result["language"] == "en"
