"""Hand the conversation to a person: open a ticket, tell the shopper, and pause the bot."""
import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions._context import client_of, contact_person, knowledge, signed_in_email
from bot.chat.events import as_custom, handoff_message
from bot.db import session_scope
from bot.handoff.queue import is_flooding, open_ticket, position_in_queue
from bot.handoff.summary import build_summary, peak_anger

logger = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(timezone.utc)


def response_text(domain: Dict[Text, Any], name: str) -> str:
    """A response's wording from the domain (domain.yml), so the words stay with the other responses."""
    return domain["responses"][name][0]["text"]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        reason = tracker.get_slot("handoff_reason") or "requested"
        score, level = peak_anger(tracker.events)
        summary = build_summary(tracker.events, tracker.slots)
        moment = now()
        client = client_of(tracker)
        try:
            with session_scope() as session:
                if is_flooding(session, conversation_id=tracker.sender_id, client=client,
                               now=moment.replace(tzinfo=None)):
                    logger.warning("ticket limit reached for a client; %s gets the team's contacts", tracker.sender_id)
                    contact_person(dispatcher)
                    return [SlotSet("handoff_reason", None), SlotSet("pending_question", None)]
                ticket = open_ticket(session, conversation_id=tracker.sender_id, reason=reason, peak_anger=score,
                                     peak_level=level, summary=summary, now=moment.replace(tzinfo=None),
                                     client=client, customer_email=signed_in_email(tracker))
                position = position_in_queue(session, ticket)
        except SQLAlchemyError:
            logger.exception("ticket queue unavailable; giving the shopper the team's contacts instead")
            contact_person(dispatcher)
            return [SlotSet("handoff_reason", None)]
        hours = knowledge().kb.store.support.schedule.hours()
        open_now = hours.is_open(moment)
        if open_now:
            text = response_text(domain, "utter_handoff_queued").format(position=position)
        else:
            text = response_text(domain, "utter_handoff_offline").format(
                next_opening=hours.describe_next_opening(moment))
        # One message: the words for any client, the state (queue place, offline) for our widget.
        dispatcher.utter_message(json_message=as_custom(handoff_message(text, position=position,
                                                                        open_now=open_now)))
        return [SlotSet("handoff_reason", None), SlotSet("pending_question", None), ConversationPaused()]
