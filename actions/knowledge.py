"""Answers from the knowledge base."""
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._context import answer_with_tone, knowledge, latest_entity, latest_intent, latest_text, page_product
from bot.knowledge import Answer


KNOWLEDGE_INTENTS = ("ask_return_policy", "ask_shipping", "ask_sizing", "ask_payment", "change_shipping_address")


def product_asked_about(tracker: Tracker) -> Optional[str]:
    """A product named in the message (or clicked), else the product page the shopper is on, so that
    "can I return this?" gets that product's own policy. A product or a category the message names wins
    over the page: "what's your return window for sneakers?" asked on a jacket's page is about sneakers."""
    named = latest_entity(tracker, "product")
    if named:
        return named
    on_page = page_product(tracker)
    if on_page is None:
        return None
    kb, text = knowledge(), latest_text(tracker)
    if kb.matcher.mentions_product(text):
        return None  # the answer resolves the named product from the text
    category = named_category(tracker, text)
    if category is not None and category != kb.kb.products[on_page].category:
        return None  # the answer finds the category in the text
    return on_page


def named_category(tracker: Tracker, text: str) -> Optional[str]:
    """The id of a category the message names ("sneakers", "rain jacket"), or a trainer-marked entity."""
    marked = latest_entity(tracker, "category")
    categories = knowledge().kb.categories
    if marked in categories:
        return marked
    found = knowledge().matcher.find_category(text)
    return found.id if found is not None else None


def answer_for(tracker: Tracker) -> Optional[Answer]:
    """The knowledge-base answer to the latest message, if its intent is a knowledge question."""
    kb, text, product = knowledge(), latest_text(tracker), product_asked_about(tracker)
    intent = latest_intent(tracker)
    if intent == "ask_return_policy":
        return kb.returns(text, product)
    if intent == "ask_sizing":
        return kb.sizing(text, product)
    if intent == "ask_payment":
        return kb.payment(text)
    if intent == "change_shipping_address":
        return Answer(kb.kb.shipping.address_change)
    if intent == "ask_shipping":
        return kb.shipping(text)
    return None


class ActionAnswerFromKnowledgeBase(Action):
    def name(self) -> Text:
        return "action_answer_from_knowledge_base"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answer = answer_for(tracker)
        if answer is None:
            dispatcher.utter_message(response="utter_help")
            return []
        return answer_with_tone(dispatcher, tracker, answer)


class ActionKnowledgeFallback(Action):
    """The intent was unclear: answer from the question variants if one matches well, else offer help."""

    def name(self) -> Text:
        return "action_knowledge_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        hit = knowledge().search(latest_text(tracker))
        if hit is None:
            dispatcher.utter_message(response="utter_help")
            return []
        return answer_with_tone(dispatcher, tracker, Answer(hit.answer))
