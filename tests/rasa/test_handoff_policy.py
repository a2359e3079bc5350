"""The handoff policy on trackers built in the test."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, ConversationPaused, ConversationResumed,
                                     SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.handoff.policy import HANDOFF_ACTION, REASON_SLOT, HandoffPolicy, session_turns

DOMAIN = Domain.from_dict({
    "intents": ["ask_shipping", "order_status", "request_human", "greet", "complain"],
    "actions": [HANDOFF_ACTION, "action_answer_from_knowledge_base", "action_knowledge_fallback"],
    "slots": {REASON_SLOT: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}},
})


@pytest.fixture()
def policy(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return HandoffPolicy.create({"repeats": 3}, storage, Resource("handoff"), context)


def said(text, intent, level="none"):
    return [UserUttered(text, {"name": intent, "confidence": 0.9}, parse_data={
        "intent": {"name": intent, "confidence": 0.9}, "anger": {"score": 0.0, "level": level, "cues": []}})]


def answered():
    return [ActionExecuted("action_answer_from_knowledge_base"), ActionExecuted("action_listen")]


def predict(policy, events):
    tracker = DialogueStateTracker.from_events("shopper", [ActionExecuted("action_listen")] + events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    if prediction.probabilities[best] == 0:
        return None, prediction
    return DOMAIN.action_names_or_texts[best], prediction


def test_third_repeat_hands_off_with_the_reason(policy):
    events = said("shipping to canada?", "ask_shipping") + answered() + said("canada shipping", "ask_shipping")
    assert predict(policy, events)[0] is None
    events += answered() + said("how much to ship to canada", "ask_shipping")
    action, prediction = predict(policy, events)
    assert action == HANDOFF_ACTION
    assert prediction.optional_events == [SlotSet(REASON_SLOT, "repeated")]
    assert prediction.policy_priority > 6  # above RulePolicy


def test_furious_hands_off_at_once(policy):
    action, prediction = predict(policy, said("scammers!! chargeback now", "complain", "furious"))
    assert action == HANDOFF_ACTION and prediction.optional_events == [SlotSet(REASON_SLOT, "anger")]


def test_abstains_after_an_action_and_when_paused(policy):
    events = said("human please", "request_human")
    assert predict(policy, events)[0] == HANDOFF_ACTION
    assert predict(policy, events + [ActionExecuted("action_answer_from_knowledge_base")])[0] is None
    assert predict(policy, [ConversationPaused()] + events)[0] is None


def test_a_new_session_starts_the_count_again(policy):
    events = said("shipping?", "ask_shipping") + answered() + said("shipping?", "ask_shipping") + answered()
    events += [SessionStarted(), ActionExecuted("action_listen")] + said("shipping?", "ask_shipping")
    assert predict(policy, events)[0] is None


def test_an_action_asks_for_the_handoff_through_the_reason_slot(policy):
    events = said("yes", "affirm") + [ActionExecuted("action_answer_yes_no"), SlotSet(REASON_SLOT, "late_order")]
    assert predict(policy, events)[0] == HANDOFF_ACTION
    assert predict(policy, events + [ActionExecuted(HANDOFF_ACTION), SlotSet(REASON_SLOT, None)])[0] == \
        "action_listen"


def test_after_the_fallback_the_assistant_listens(policy):
    events = said("blorp", "nlu_fallback") + [ActionExecuted("action_knowledge_fallback")]
    assert predict(policy, events)[0] == "action_listen"


def test_counting_starts_again_after_a_person_hands_back(policy):
    events = said("shipping?", "ask_shipping") + answered() + said("shipping?", "ask_shipping") + answered()
    events += [ConversationResumed(), ActionExecuted("action_listen")] + said("shipping?", "ask_shipping")
    assert predict(policy, events)[0] is None


def test_form_answers_are_marked(policy):
    events = said("where is my order", "order_status") + [ActiveLoop("order_status_form"),
                                                          SlotSet("requested_slot", "order_number")]
    events += [ActionExecuted("action_listen")] + said("TS100004", "order_status")
    tracker = DialogueStateTracker.from_events("s", events, DOMAIN.slots)
    assert [t.answering_form for t in session_turns(tracker)] == [False, True]
