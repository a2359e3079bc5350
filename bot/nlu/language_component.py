"""Marks messages written in a language the assistant cannot read (bot/chat/language.py).

Runs after the intent classifiers: a confident non-English detection replaces the intent with
`unsupported_language` (confidence 1.0), so a rule answers honestly in that language instead of
guessing an answer from a few shared words. Every parse result gets `language` ("en" unless detected).
"""
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.chat.language import ENGLISH, foreign_language

UNSUPPORTED_LANGUAGE_INTENT = "unsupported_language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageComponent(GraphComponent):
    """Not trained: the word lists are part of the code."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageComponent":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            # A clicked button ("/affirm") is the assistant's own payload, whatever its title's language.
            language = None if (text or "").startswith("/") else foreign_language(text)
            message.set("language", language or ENGLISH, add_to_output=True)
            if language is not None:
                intent = {"name": UNSUPPORTED_LANGUAGE_INTENT, "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
