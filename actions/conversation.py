"""Yes/no answers to the assistant's own questions, complaints, and requests for a person."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._context import knowledge, latest_intent, latest_text, verified_order_number
from actions.orders import FORGET_CODE, confirm_cancellation


# The assistant's offers of a person, and the handoff reason recorded when the shopper accepts.
OFFERS = {"offer_human": "requested", "offer_human_verification": "verification",
          "offer_human_late_order": "late_order"}


class ActionAnswerYesNo(Action):
    """A yes or no means something only after the assistant asked a question; otherwise move on."""

    def name(self) -> Text:
        return "action_answer_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        pending = tracker.get_slot("pending_question")
        said_yes = latest_intent(tracker) == "affirm"
        number = verified_order_number(tracker)
        if pending == "cancel_order" and number:
            if said_yes:
                confirm_cancellation(dispatcher, number, tracker.sender_id)
            else:
                dispatcher.utter_message(response="utter_cancel_kept", order_number=number)
            return [SlotSet("pending_question", None), *FORGET_CODE]
        if pending in OFFERS and said_yes:
            return [SlotSet("pending_question", None), SlotSet("handoff_reason", OFFERS[pending])]
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("pending_question", None)]


class ActionAcknowledgeComplaint(Action):
    """Acknowledge the feeling, answer what can be answered, and offer a person."""

    def name(self) -> Text:
        return "action_acknowledge_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_complaint")
        hit = knowledge().search(latest_text(tracker))
        if hit is not None:
            dispatcher.utter_message(text=hit.answer)
        dispatcher.utter_message(response="utter_offer_person")
        return [SlotSet("pending_question", "offer_human")]
