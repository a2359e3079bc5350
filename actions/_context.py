"""What every action needs: the knowledge base, the database, today's date, the shopper's text."""
import hashlib
from datetime import date, datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chat.identity import verified_email
from bot.chat.limits import CLIENT_METADATA_KEY
from bot.knowledge import Answer, Knowledge, get_knowledge
from bot.settings import get_settings

# Longer messages are cut before matching: nobody's question about returns is 5,000 characters long.
MAX_TEXT = 1000


def knowledge() -> Knowledge:
    return get_knowledge()


def today() -> date:
    return date.today()


def utcnow() -> datetime:
    return datetime.utcnow()


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "")[:MAX_TEXT]


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, entity: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(entity), None)


def message_metadata(tracker: Tracker) -> Dict[str, Any]:
    """What the chat widget sent along with the latest message (identity token, page context)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


def client_of(tracker: Tracker) -> str:
    """Who is asking, for limits that hold across conversations: the network address our input channel
    wrote into the metadata (it overwrites whatever the client sent), else the conversation itself."""
    client = message_metadata(tracker).get(CLIENT_METADATA_KEY)
    if isinstance(client, str) and client:
        return client
    return f"conversation:{tracker.sender_id}"


def signed_in_email(tracker: Tracker) -> Optional[str]:
    """The customer's email when the shop vouched for them with a validly signed identity token."""
    return verified_email(message_metadata(tracker).get("identity"), secret=get_settings().identity_secret)


def identity_key(tracker: Tracker) -> str:
    """Who the shopper is, as a short key: the signed-in customer, or an anonymous shopper at a network
    address. A verification holds only for the same key, so the next person signing in on a shared
    computer, or a stranger using the same conversation id, does not inherit someone else's order."""
    email = signed_in_email(tracker)
    if email:
        return hashlib.sha256(email.encode()).hexdigest()[:16]
    # Anonymous: the verification also belongs to the network address it was made from, so that someone
    # who learns (or picks) the conversation's id elsewhere does not inherit it.
    return "anonymous:" + hashlib.sha256(client_of(tracker).encode()).hexdigest()[:16]


def verified_order_number(tracker: Tracker) -> Optional[str]:
    """The order this shopper proved is theirs in the conversation, if the identity has not changed since."""
    number = tracker.get_slot("verified_order")
    if number and tracker.get_slot("verified_identity") == identity_key(tracker):
        return number
    return None


def page_product(tracker: Tracker) -> Optional[str]:
    """The SKU of the product page the shopper is chatting from, if the widget told us."""
    page = message_metadata(tracker).get("page")
    sku = page.get("product") if isinstance(page, dict) else None
    return sku if isinstance(sku, str) and sku in knowledge().kb.products else None


def anger_level(tracker: Tracker) -> str:
    return ((tracker.latest_message.get("anger") or {}).get("level")) or "none"


def answer_with_tone(dispatcher: CollectingDispatcher, tracker: Tracker, answer: Answer) -> List[dict]:
    """The anger ladder below a handoff: an annoyed shopper hears the feeling acknowledged before the
    answer; an angry one also gets the offer of a person. (Furious shoppers are handed off by the policy.)"""
    level = anger_level(tracker)
    if level in ("annoyed", "angry"):
        dispatcher.utter_message(response="utter_empathy")
    send(dispatcher, answer)
    if level == "angry":
        dispatcher.utter_message(response="utter_offer_person")
        return [SlotSet("pending_question", "offer_human")]
    return []


def send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons: List[dict] = [{"title": title, "payload": payload} for title, payload in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons or None)


def contact_person(dispatcher: CollectingDispatcher) -> None:
    """How to reach a person from the team."""
    support = knowledge().kb.store.support
    dispatcher.utter_message(response="utter_person_contact", email=support.email, phone=support.phone,
                             hours=support.hours)
