"""Order status and cancellation, both behind verification of the order's email or postcode."""
import logging
from typing import Any, Callable, Dict, List, Optional, Text, Tuple, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions._context import (client_of, identity_key, knowledge, latest_intent, send, signed_in_email, today, utcnow,
                              verified_order_number)
from actions import cancel_code
from actions.knowledge import KNOWLEDGE_INTENTS, answer_for
from bot.db import session_scope
from bot.orders.cancellation import CancelOutcome, can_cancel, cancel_order
from bot.orders.lookup import OrderView, customer_orders, find_order_view, owned_by
from bot.orders.numbers import explicit_order_number, normalize_order_number
from bot.orders.one_time_code import extract_code
from bot.orders.status_reply import describe, describe_other_orders
from bot.orders.throttle import locked_until
from bot.orders.verification import MAX_FAILED_VERIFICATIONS, Verification, is_locked, verify

logger = logging.getLogger(__name__)
T = TypeVar("T")
VERIFIED = "verified"
# A message inside the order form with a knowledge intent this sure is a side question, not an answer.
SIDE_QUESTION_CONFIDENCE = 0.5


# A finished or abandoned cancellation: the next one mails a new code.
FORGET_CODE = (SlotSet("cancel_code", None), SlotSet("code_sent_to", None))

# Intents that end the order form when the message holds no order number, email or postcode.
EXIT_INTENTS = ("deny", "goodbye", "request_human")


def exit_intent(tracker: Tracker) -> Optional[str]:
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") in EXIT_INTENTS and intent.get("confidence", 0) >= SIDE_QUESTION_CONFIDENCE:
        return intent["name"]
    return None


def answered_side_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer "how long is shipping?" asked in the middle of the form, then let the form ask again."""
    intent = tracker.latest_message.get("intent") or {}
    if latest_intent(tracker) not in KNOWLEDGE_INTENTS or intent.get("confidence", 0) < SIDE_QUESTION_CONFIDENCE:
        return False
    answer = answer_for(tracker)
    if answer is None:
        return False
    send(dispatcher, answer)
    return True


class DatabaseDown(Exception):
    """The shopper has already been told; the action ends without changing the conversation."""


def in_database(dispatcher: CollectingDispatcher, work: Callable[[Session], T], doing: str) -> T:
    """Run `work` in a short session; when the database fails, log it, tell the shopper, raise DatabaseDown."""
    try:
        with session_scope() as session:
            return work(session)
    except SQLAlchemyError:
        logger.exception("order database unavailable during %s", doing)
        dispatcher.utter_message(response="utter_something_went_wrong")
        raise DatabaseDown() from None


def _verified_number(tracker: Tracker) -> Optional[str]:
    number = tracker.get_slot("order_number")
    if number and tracker.get_slot("verification") == VERIFIED and verified_order_number(tracker) == number:
        return number
    return None


class _OrderSlotValidation:
    """Shared by both order forms: order number format, then the verification factor.

    A mixin rather than a FormValidationAction subclass: rasa_sdk registers every subclass of
    Action it finds, and this one has no name of its own.
    """

    # A signed-in customer asking where their order is needs no order number: the action lists theirs.
    lists_signed_in_orders = False

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if is_locked(tracker.get_slot("verification_failures")) or tracker.get_slot("order_form_exit"):
            return []  # ends the form; the action after it explains
        if self.lists_signed_in_orders and not tracker.get_slot("order_number") and signed_in_email(tracker):
            return []
        return domain_slots

    def validate_order_number(self, slot_value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        number = normalize_order_number(str(slot_value or ""))
        if number is None:
            leaving = exit_intent(tracker)
            if leaving:
                return {"order_number": None, "order_form_exit": leaving}
            if not answered_side_question(dispatcher, tracker):
                dispatcher.utter_message(response="utter_order_number_format")
            return {"order_number": None}
        if number == verified_order_number(tracker):
            return {"order_number": number}
        email = signed_in_email(tracker)
        if email:
            # The shop vouched for this customer: their own orders need no further proof. Anyone else's
            # order goes through verification like an anonymous shopper's, revealing nothing.
            try:
                owned = in_database(dispatcher, lambda session: owned_by(session, number=number, email=email),
                                    "ownership check")
            except DatabaseDown:
                return {"order_number": None}
            if owned:
                return {"order_number": number, "verification": VERIFIED, "verified_order": number,
                        "verified_identity": identity_key(tracker)}
        # A client or an order number locked in an earlier conversation is not asked for an email again.
        try:
            locked = in_database(dispatcher, lambda session: locked_until(
                session, order_number=number, client=client_of(tracker), now=utcnow()), "lock check")
        except DatabaseDown:
            return {"order_number": None}
        if locked is not None:
            return {"order_number": number, "verification": None,
                    "verification_failures": float(MAX_FAILED_VERIFICATIONS)}
        return {"order_number": number, "verification": None}

    def validate_verification(self, slot_value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        number = tracker.get_slot("order_number")
        if not number:
            return {"verification": None}
        if slot_value == VERIFIED:
            # Our own marker, re-validated when the other order form starts: it holds for the same order
            # and identity; otherwise (another order, or someone else now) the shopper is simply asked.
            return {"verification": VERIFIED if verified_order_number(tracker) == number else None}
        other_number = explicit_order_number(str(slot_value or ""))
        if other_number and other_number != number:
            # The shopper corrected the order number instead of answering; that is no failed attempt.
            return {"order_number": other_number, "verification": None}
        answer = str(slot_value or "")[:500]
        client = client_of(tracker)
        try:
            result = in_database(dispatcher, lambda session: verify(session, number=number, answer=answer,
                                                                     client=client, now=utcnow()), "verification")
        except DatabaseDown:
            return {"verification": None}
        if result.outcome == Verification.verified:
            return {"verification": VERIFIED, "verified_order": number, "verified_identity": identity_key(tracker)}
        if result.outcome == Verification.not_a_factor:
            leaving = exit_intent(tracker)
            if leaving:
                return {"verification": None, "order_form_exit": leaving}
            if not answered_side_question(dispatcher, tracker):
                dispatcher.utter_message(response="utter_verification_format")
            return {"verification": None}
        if result.outcome == Verification.mismatch:
            dispatcher.utter_message(response="utter_verification_failed")
        return {"verification": None, "order_number": None, "verified_order": None,
                "verification_failures": float(result.failures)}


class ValidateOrderStatusForm(_OrderSlotValidation, FormValidationAction):
    lists_signed_in_orders = True

    def name(self) -> Text:
        return "validate_order_status_form"


class ValidateCancelOrderForm(_OrderSlotValidation, FormValidationAction):
    """The cancel form asks one more thing once the order is verified and can still be cancelled: the
    one-time code mailed to the order's email (actions/cancel_code.py)."""

    def name(self) -> Text:
        return "validate_cancel_order_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return slots if cancel_code.still_waiting(tracker) else [slot for slot in slots if slot != "cancel_code"]

    async def validate_order_number(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        slots = super().validate_order_number(slot_value, dispatcher, tracker, domain)
        return await self._mail_code_once_verified(dispatcher, tracker, slots)

    async def validate_verification(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        slots = super().validate_verification(slot_value, dispatcher, tracker, domain)
        return await self._mail_code_once_verified(dispatcher, tracker, slots)

    def validate_cancel_code(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        answer = str(slot_value or "")[:200]
        if extract_code(answer) is None:
            leaving = exit_intent(tracker)
            if leaving:
                return {"cancel_code": None, "code_sent_to": None, "order_form_exit": leaving}
            if answered_side_question(dispatcher, tracker):
                return {"cancel_code": None}
        try:
            return cancel_code.check_answer(dispatcher, tracker, answer)
        except SQLAlchemyError:
            logger.exception("order database unavailable during the code check")
            dispatcher.utter_message(response="utter_something_went_wrong")
            return {"cancel_code": None}

    @staticmethod
    async def _mail_code_once_verified(dispatcher: CollectingDispatcher, tracker: Tracker,
                                       slots: Dict[Text, Any]) -> Dict[Text, Any]:
        number = slots.get("verified_order") or (
            verified_order_number(tracker) if slots.get("verification") == VERIFIED else None)
        if slots.get("verification") != VERIFIED or not number or tracker.get_slot("code_sent_to") \
                or tracker.get_slot("cancel_code"):
            return slots
        try:
            return {**slots, **await cancel_code.mail_code(tracker, number)}
        except SQLAlchemyError:
            logger.exception("order database unavailable while mailing a cancellation code")
            return {**slots, "cancel_code": cancel_code.FAILED}


def _locked_reply(dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    dispatcher.utter_message(response="utter_verification_locked")
    return [SlotSet("pending_question", "offer_human_verification")]


def ended_early(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """The reply when the form ended without a verified order (locked, or the shopper left)."""
    leaving = tracker.get_slot("order_form_exit")
    if leaving:
        if leaving == "request_human":
            return [SlotSet("order_form_exit", None), SlotSet("handoff_reason", "requested")]
        else:
            dispatcher.utter_message(response="utter_goodbye" if leaving == "goodbye" else "utter_anything_else")
        return [SlotSet("order_form_exit", None), SlotSet("pending_question", None)]
    if is_locked(tracker.get_slot("verification_failures")):
        return _locked_reply(dispatcher)
    return None


def verified_order(dispatcher: CollectingDispatcher,
                   tracker: Tracker) -> Tuple[Optional[OrderView], List[Dict[Text, Any]]]:
    """The conversation's verified order, or None and the reply already sent explaining why not."""
    early = ended_early(dispatcher, tracker)
    if early is not None:
        return None, early
    number = _verified_number(tracker)
    if number is None:
        dispatcher.utter_message(response="utter_ask_order_number")
        return None, []
    try:
        order = in_database(dispatcher, lambda session: find_order_view(session, number=number), "order lookup")
    except DatabaseDown:
        return None, []
    if order is None:  # deleted since verification
        dispatcher.utter_message(response="utter_verification_failed")
        return None, [SlotSet("verification", None), SlotSet("verified_order", None)]
    return order, []


class ActionOrderStatus(Action):
    def name(self) -> Text:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        email = signed_in_email(tracker)
        if email and not tracker.get_slot("order_number") and not tracker.get_slot("order_form_exit"):
            return signed_in_status(dispatcher, email, identity_key(tracker))
        order, events = verified_order(dispatcher, tracker)
        if order is None:
            return events
        return status_reply(dispatcher, order)


def status_reply(dispatcher: CollectingDispatcher, order: OrderView) -> List[Dict[Text, Any]]:
    dispatcher.utter_message(text=describe(order, today()))
    if order.is_late(today()):
        dispatcher.utter_message(response="utter_offer_person")
        return [SlotSet("pending_question", "offer_human_late_order")]
    return [SlotSet("pending_question", None)]


def signed_in_status(dispatcher: CollectingDispatcher, email: str, identity: str) -> List[Dict[Text, Any]]:
    """A signed-in customer's latest order in full, and buttons for their other recent orders."""
    try:
        orders = in_database(dispatcher, lambda session: customer_orders(session, email=email), "customer orders")
    except DatabaseDown:
        return []
    if not orders:
        dispatcher.utter_message(response="utter_no_orders_signed_in")
        return []
    latest, others = orders[0], orders[1:]
    events = status_reply(dispatcher, latest)
    if others:
        dispatcher.utter_message(text=describe_other_orders(others), buttons=[
            {"title": order.number, "payload": f'/order_status{{"order_number": "{order.number}"}}'}
            for order in others])
    return events + [SlotSet("order_number", latest.number), SlotSet("verification", VERIFIED),
                     SlotSet("verified_order", latest.number), SlotSet("verified_identity", identity)]


class ActionCheckCancellation(Action):
    """After verification: ask to confirm if the order can still be cancelled, else explain returns."""

    def name(self) -> Text:
        return "action_check_cancellation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        order, events = verified_order(dispatcher, tracker)
        if order is None:
            return events
        number = order.number
        if order.status.value == "cancelled":
            dispatcher.utter_message(response="utter_already_cancelled", order_number=number)
            return [SlotSet("pending_question", None), *FORGET_CODE]
        if not can_cancel(order.status):
            dispatcher.utter_message(response="utter_cancel_too_late", order_number=number,
                                     how_to_start=knowledge().kb.returns.how_to_start)
            return [SlotSet("pending_question", None), *FORGET_CODE]
        if tracker.get_slot("cancel_code") != cancel_code.CONFIRMED or \
                not cancel_code.confirmed(tracker.sender_id, number):
            dispatcher.utter_message(response="utter_cancel_code_failed")
            # Whoever failed the mailbox check is not treated as the order's owner any more, by the bot
            # or by the person it hands over to (the console shows no verified order).
            return [SlotSet("pending_question", "offer_human"), *FORGET_CODE, SlotSet("verification", None),
                    SlotSet("verified_order", None), SlotSet("order_number", None)]
        items = ", ".join(f"{line.quantity} x {line.name}" for line in order.lines)
        dispatcher.utter_message(response="utter_confirm_cancel", order_number=number, items=items)
        return [SlotSet("pending_question", "cancel_order")]


def confirm_cancellation(dispatcher: CollectingDispatcher, number: str, conversation_id: str) -> None:
    """Carry out a cancellation the shopper confirmed; called by the yes/no action. The code mailed to the
    order's email must have been typed in this conversation, whatever the slots say."""
    try:
        if not cancel_code.confirmed(conversation_id, number):
            dispatcher.utter_message(response="utter_cancel_code_failed")
            return
    except SQLAlchemyError:
        logger.exception("order database unavailable during cancellation")
        dispatcher.utter_message(response="utter_something_went_wrong")
        return
    try:
        outcome = in_database(dispatcher, lambda session: cancel_order(session, number=number), "cancellation")
    except DatabaseDown:
        return
    response = {
        CancelOutcome.cancelled: "utter_cancelled",
        CancelOutcome.already_cancelled: "utter_already_cancelled",
        CancelOutcome.too_late: "utter_cancel_too_late",
        CancelOutcome.not_found: "utter_verification_failed",
    }[outcome]
    dispatcher.utter_message(response=response, order_number=number,
                             how_to_start=knowledge().kb.returns.how_to_start)

