"""The honest reply to a message the assistant cannot read: in the shopper's language, with the offer of
a person (a yes hands over through the pending "offer_human" question, a no carries on in English)."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

REPLY = "utter_only_english"


def reply_for(language: Any, domain: Dict[Text, Any]) -> str:
    """The response in `language` when domain.yml has one, else the English one."""
    name = f"{REPLY}_{language}" if isinstance(language, str) and language.isalpha() else REPLY
    return name if name in (domain.get("responses") or {}) else REPLY


class ActionUnsupportedLanguage(Action):
    def name(self) -> Text:
        return "action_unsupported_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response=reply_for(tracker.latest_message.get("language"), domain))
        return [SlotSet("pending_question", "offer_human")]
