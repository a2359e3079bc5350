"""The cancel form's one-time code, as slots and replies (bot/orders/cancel_confirmation.py does the work)."""
import asyncio
import logging
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._context import utcnow
from bot.orders.cancel_confirmation import CodeRequest, check, confirmed as code_confirmed, request_code
from bot.orders.one_time_code import CodeCheck

logger = logging.getLogger(__name__)
CONFIRMED, FAILED = "confirmed", "failed"


async def mail_code(tracker: Tracker, number: str) -> Dict[Text, Any]:
    """Slots once the order is verified in the cancel form: a code mailed (and where to), or failed.
    The mail server may take seconds: it is talked to off the action server's event loop."""
    result = await asyncio.to_thread(request_code, order_number=number, conversation_id=tracker.sender_id,
                                     now=utcnow())
    if result.outcome == CodeRequest.sent:
        return {"cancel_code": None, "code_sent_to": result.sent_to}
    if result.outcome == CodeRequest.not_needed:
        return {}  # the action after the form explains why it cannot be cancelled
    logger.warning("no cancellation code for order %s: %s", number, result.outcome.value)
    return {"cancel_code": FAILED}


def check_answer(dispatcher: CollectingDispatcher, tracker: Tracker, answer: str) -> Dict[Text, Any]:
    result = check(order_number=tracker.get_slot("verified_order"), conversation_id=tracker.sender_id,
                   answer=answer, now=utcnow())
    if result == CodeCheck.confirmed:
        return {"cancel_code": CONFIRMED}
    if result in (CodeCheck.wrong, CodeCheck.not_a_code):
        dispatcher.utter_message(response="utter_cancel_code_wrong" if result == CodeCheck.wrong
                                 else "utter_cancel_code_format")
        return {"cancel_code": None}
    return {"cancel_code": FAILED}


def still_waiting(tracker: Tracker) -> bool:
    """The form still waits for a code: one was mailed and neither confirmed nor given up on."""
    return bool(tracker.get_slot("code_sent_to")) and tracker.get_slot("cancel_code") not in (CONFIRMED, FAILED)


def confirmed(conversation_id: str, number: str) -> bool:
    return code_confirmed(order_number=number, conversation_id=conversation_id, now=utcnow())
