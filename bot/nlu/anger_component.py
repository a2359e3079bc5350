"""Adds `anger: {score, level, cues}` to every parse result (see bot/handoff/anger.py)."""
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.handoff.anger import AngerScorer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AngerScorerComponent(GraphComponent):
    """Not trained: the lexicon is read when the model loads, so lexicon edits need no retraining."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon": None}  # None: lexicons/anger.yml

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._scorer = AngerScorer.from_file(config.get("lexicon"))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AngerScorerComponent":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            message.set("anger", self._scorer.score(text).as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
