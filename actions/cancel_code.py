"""The one-time code that confirms a cancellation: mailed to the order's email once the order is verified
and can still be cancelled, then checked when the shopper types it (bot/orders/one_time_code.py)."""
import logging
from typing import Any, Dict, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._context import utcnow
from bot.db import session_scope
from bot.mail import MailUnavailable, send_mail
from bot.orders.cancellation import can_cancel
from bot.orders.lookup import find_order_view
from bot.orders.masking import mask_email
from bot.orders.one_time_code import CodeCheck, check_code, is_confirmed, issue_code

logger = logging.getLogger(__name__)
PURPOSE = "cancel"
CONFIRMED, FAILED = "confirmed", "failed"
SUBJECT = "Your code to cancel order {number}"
BODY = ("Someone asked our chat assistant to cancel order {number}.\n\n"
        "If it was you, type this code in the chat: {code}\n\n"
        "It works for 10 minutes. If it wasn't you, ignore this email: nothing will change.\n")


def start(tracker: Tracker, number: str) -> Dict[Text, Any]:
    """Slots after the order is verified in the cancel form: a code mailed (and where to), or failed.
    Orders that can no longer be cancelled need no code; the action after the form explains."""
    conversation = tracker.sender_id
    with session_scope() as session:
        order = find_order_view(session, number=number)
        if order is None or not can_cancel(order.status):
            return {}
        code = issue_code(session, order_number=number, conversation_id=conversation, purpose=PURPOSE,
                          now=utcnow())
        email = order.email
    if code is None:
        logger.warning("order %s has had its share of cancellation codes this hour", number)
        return {"cancel_code": FAILED}
    try:
        send_mail(to=email, subject=SUBJECT.format(number=number), body=BODY.format(number=number, code=code))
    except MailUnavailable:
        logger.exception("could not mail the cancellation code for order %s", number)
        return {"cancel_code": FAILED}
    return {"cancel_code": None, "code_sent_to": mask_email(email)}


def validate(dispatcher: CollectingDispatcher, tracker: Tracker, answer: str) -> Dict[Text, Any]:
    number = tracker.get_slot("verified_order")
    with session_scope() as session:
        result = check_code(session, order_number=number, conversation_id=tracker.sender_id, purpose=PURPOSE,
                            answer=answer, now=utcnow())
    if result == CodeCheck.confirmed:
        return {"cancel_code": CONFIRMED}
    if result == CodeCheck.wrong:
        dispatcher.utter_message(response="utter_cancel_code_wrong")
        return {"cancel_code": None}
    if result == CodeCheck.not_a_code:
        dispatcher.utter_message(response="utter_cancel_code_format")
        return {"cancel_code": None}
    return {"cancel_code": FAILED}


def needed(tracker: Tracker) -> bool:
    """The form still waits for a code: one was mailed and neither confirmed nor given up on."""
    return bool(tracker.get_slot("code_sent_to")) and tracker.get_slot("cancel_code") not in (CONFIRMED, FAILED)


def confirmed(conversation_id: str, number: str) -> bool:
    """Checked on the server, not from the slot: a slot is only what the conversation says."""
    with session_scope() as session:
        return is_confirmed(session, order_number=number, conversation_id=conversation_id, purpose=PURPOSE,
                            now=utcnow())
