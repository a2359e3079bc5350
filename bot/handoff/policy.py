"""A Rasa policy that hands the conversation to a person, with priority over the other policies.

It reads the whole session from the tracker, asks bot/handoff/decision.py, and predicts the handoff
action (with the reason in a slot) or abstains. Thresholds come from config.yml.
"""
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, ConversationResumed, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.decision import DEFAULT_EXCLUDED_INTENTS, Thresholds, Turn, decide

HANDOFF_ACTION = "action_handoff"
# After these the assistant listens: the core fallback (instead of predicting it again) and the
# handoff itself (a paused conversation predicts nothing anyway; this keeps test stories honest).
LISTEN_AFTER = ("action_knowledge_fallback", HANDOFF_ACTION)
REASON_SLOT = "handoff_reason"


def session_turns(tracker: DialogueStateTracker) -> List[Turn]:
    """The shopper's messages since the session started or a person handed back, marking answers to a form."""
    turns: List[Turn] = []
    active_loop: Optional[str] = None
    requested: Optional[str] = None
    for event in tracker.events:
        if isinstance(event, (SessionStarted, ConversationResumed)):
            turns, active_loop, requested = [], None, None
        elif isinstance(event, ActiveLoop):
            active_loop = event.name
        elif isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, UserUttered):
            anger = (event.parse_data or {}).get("anger") or {}
            turns.append(Turn(text=event.text or "", intent=event.intent_name,
                              anger_level=anger.get("level", "none"),
                              answering_form=bool(active_loop and requested)))
    return turns


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7, "repeats": 3, "similarity": 90, "not_understood": 3,
                "excluded_intents": list(DEFAULT_EXCLUDED_INTENTS)}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.thresholds = Thresholds(repeats=int(config["repeats"]), similarity=float(config["similarity"]),
                                     not_understood=int(config["not_understood"]),
                                     excluded_intents=tuple(config["excluded_intents"]))

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def persist(self) -> None:
        pass

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if tracker.is_paused() or HANDOFF_ACTION not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        if tracker.latest_action_name in LISTEN_AFTER:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        # An action asks for a handoff by setting the reason (the shopper accepted an offer of a person).
        if tracker.get_slot(REASON_SLOT) and tracker.latest_action_name not in (HANDOFF_ACTION, ACTION_LISTEN_NAME):
            probabilities[domain.index_for_action(HANDOFF_ACTION)] = 1.0
            return self._prediction(probabilities)
        just_heard_shopper = (tracker.latest_action_name == ACTION_LISTEN_NAME
                              and isinstance(tracker.events[-1] if tracker.events else None, UserUttered))
        if not just_heard_shopper:
            return self._prediction(probabilities)
        reason = decide(session_turns(tracker), self.thresholds)
        if reason is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(HANDOFF_ACTION)] = 1.0
        return self._prediction(probabilities, optional_events=[SlotSet(REASON_SLOT, reason.value)])

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "HandoffPolicy":
        return cls(config, model_storage, resource, execution_context)

