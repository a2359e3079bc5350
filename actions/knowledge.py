"""Answers from the knowledge base."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._context import knowledge, latest_entity, latest_intent, latest_text, send
from bot.knowledge import Answer


class ActionAnswerFromKnowledgeBase(Action):
    def name(self) -> Text:
        return "action_answer_from_knowledge_base"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb, text, product = knowledge(), latest_text(tracker), latest_entity(tracker, "product")
        intent = latest_intent(tracker)
        if intent == "ask_return_policy":
            answer = kb.returns(text, product)
        elif intent == "ask_sizing":
            answer = kb.sizing(text, product)
        elif intent == "ask_payment":
            answer = kb.payment(text)
        elif intent == "change_shipping_address":
            answer = Answer(kb.kb.shipping.address_change)
        else:
            answer = kb.shipping(text)
        send(dispatcher, answer)
        return []


class ActionKnowledgeFallback(Action):
    """The intent was unclear: answer from the question variants if one matches well, else offer help."""

    def name(self) -> Text:
        return "action_knowledge_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        hit = knowledge().search(latest_text(tracker))
        if hit is None:
            dispatcher.utter_message(response="utter_help")
        else:
            dispatcher.utter_message(text=hit.answer)
        return []
