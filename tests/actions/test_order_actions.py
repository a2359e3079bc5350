from sqlalchemy import select

from actions.conversation import ActionAcknowledgeComplaint, ActionAnswerYesNo
from actions.orders import (ActionCheckCancellation, ActionOrderStatus, ValidateCancelOrderForm,
                            ValidateOrderStatusForm)
from bot.db import Customer, Order, OrderStatus, session_scope
from tests.actions.helpers import ANONYMOUS, run, slot_events, texts, tracker

FORM = "order_status_form"


def order_of(engine, status):
    with session_scope(engine) as session:
        return session.execute(select(Order.number, Customer.email, Order.shipping_postcode).join(Customer)
                               .where(Order.status == status).order_by(Order.number)).first()


def validate(slots, text, form=ValidateOrderStatusForm, intent="inform"):
    """Run the form validation as Rasa does after extracting the requested slot from `text`.

    The requested slot is "verification" when `slots` has one, else "order_number"; the other
    slots are the conversation's state from earlier turns.
    """
    extracted = "verification" if "verification" in slots else "order_number"
    t = tracker(text, intent, slots={**slots, "requested_slot": extracted}, active_loop=FORM)
    t.events = [{"event": "user", "text": text}, {"event": "slot", "name": extracted, "value": slots[extracted]}]
    return run(form(), t)


def test_order_number_format_help(app_database):
    messages, events = validate({"order_number": "12345"}, "12345")
    assert texts(messages) == ["utter_order_number_format"]
    assert slot_events(events)["order_number"] is None


def test_order_number_normalised(app_database):
    _, events = validate({"order_number": "ts-100001"}, "ts-100001")
    assert slot_events(events)["order_number"] == "TS100001"


def test_unknown_order_and_wrong_email_get_the_same_reply(app_database):
    number, email, _ = order_of(app_database, OrderStatus.in_transit)
    wrong, wrong_events = validate({"order_number": number, "verification": "x@example.com"}, "x@example.com")
    unknown, unknown_events = validate({"order_number": "TS999999", "verification": email}, email)
    assert texts(wrong) == texts(unknown) == ["utter_verification_failed"]
    assert slot_events(wrong_events)["verification_failures"] == slot_events(unknown_events)["verification_failures"] == 1


def test_right_postcode_verifies_and_status_is_told(app_database):
    number, email, postcode = order_of(app_database, OrderStatus.in_transit)
    _, events = validate({"order_number": number, "verification": postcode}, postcode)
    slots = slot_events(events)
    assert slots["verification"] == "verified" and slots["verified_order"] == number
    messages, _ = run(ActionOrderStatus(), tracker(slots={"order_number": number, **slots}))
    assert f"Order {number} is on its way" in messages[0]["text"]
    assert email not in messages[0]["text"]


def test_third_failure_locks_and_offers_a_person(app_database):
    number, email, _ = order_of(app_database, OrderStatus.placed)
    # Each try in a conversation of its own: the count is kept on the server, not in the conversation.
    for _ in range(2):
        validate({"order_number": number, "verification": "no@example.com"}, "no@example.com")
    _, events = validate({"order_number": number, "verification": "no@example.com"}, "no@example.com")
    slots = slot_events(events)
    assert slots["verification_failures"] == 3.0
    assert slots["requested_slot"] is None  # the form ends
    messages, events = run(ActionOrderStatus(), tracker(slots={"verification_failures": 3.0}))
    assert texts(messages) == ["utter_verification_locked"]
    assert slot_events(events)["pending_question"] == "offer_human_verification"
    messages, events = run(ActionAnswerYesNo(), tracker("yes", "affirm",
                                                        slots={"pending_question": "offer_human_verification"}))
    assert slot_events(events)["handoff_reason"] == "verification"


def test_a_locked_order_number_ends_the_form_before_asking_again(app_database):
    number, email, _ = order_of(app_database, OrderStatus.placed)
    for _ in range(3):
        validate({"order_number": number, "verification": "no@example.com"}, "no@example.com")
    messages, events = validate({"order_number": number}, number)
    assert slot_events(events)["verification_failures"] == 3.0 and slot_events(events)["requested_slot"] is None
    assert "utter_verification_failed" not in texts(messages)


def test_side_question_during_the_form_is_answered(app_database):
    messages, events = validate({"order_number": "how much is shipping to canada"},
                                "how much is shipping to canada", intent="ask_shipping")
    assert "To Canada" in messages[0]["text"]
    assert slot_events(events)["order_number"] is None


def test_typed_order_number_while_asked_for_email_is_a_correction(app_database):
    number, _, _ = order_of(app_database, OrderStatus.placed)
    messages, events = validate({"order_number": number, "verification": "TS100002"}, "TS100002")
    assert messages == [] and slot_events(events)["order_number"] == "TS100002"
    assert "verification_failures" not in slot_events(events)


def test_late_order_offers_a_person(app_database):
    number, email, _ = order_of(app_database, OrderStatus.delayed)
    slots = {"order_number": number, "verification": "verified", "verified_order": number,
             "verified_identity": ANONYMOUS}
    messages, events = run(ActionOrderStatus(), tracker(slots=slots))
    assert "I'm sorry" in messages[0]["text"] and texts(messages)[1] == "utter_offer_person"
    pending = slot_events(events)["pending_question"]
    messages, events = run(ActionAnswerYesNo(), tracker("yes", "affirm", slots={"pending_question": pending}))
    assert messages == [] and slot_events(events)["handoff_reason"] == "late_order"


def validate_code(slots, text, intent="inform"):
    t = tracker(text, intent, slots={**slots, "cancel_code": text, "requested_slot": "cancel_code"},
                active_loop="cancel_order_form")
    t.events = [{"event": "user", "text": text}, {"event": "slot", "name": "cancel_code", "value": text}]
    return run(ValidateCancelOrderForm(), t)


def verified_for_cancelling(app_database, status=OrderStatus.processing):
    number, email, _ = order_of(app_database, status)
    messages, events = validate({"order_number": number, "verification": email}, email, form=ValidateCancelOrderForm)
    return number, email, {"order_number": number, **slot_events(events)}


def test_cancel_needs_the_code_mailed_to_the_order_then_is_done(app_database, mailbox):
    number, email, slots = verified_for_cancelling(app_database)
    assert slots["code_sent_to"] != email and slots["code_sent_to"].endswith(".com")  # masked
    [code] = mailbox.codes_for(email)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    messages, events = validate_code(slots, wrong)
    assert texts(messages) == ["utter_cancel_code_wrong"] and slot_events(events)["cancel_code"] is None
    messages, events = validate_code(slots, f"it's {code[:3]} {code[3:]}")
    slots.update(slot_events(events))
    assert slots["cancel_code"] == "confirmed"
    messages, events = run(ActionCheckCancellation(), tracker(slots=slots))
    assert texts(messages) == ["utter_confirm_cancel"]
    slots.update(slot_events(events))
    messages, _ = run(ActionAnswerYesNo(), tracker("no", "deny", slots=slots))
    assert texts(messages) == ["utter_cancel_kept"]
    messages, _ = run(ActionAnswerYesNo(), tracker("yes", "affirm", slots=slots))
    assert texts(messages) == ["utter_cancelled"]
    with session_scope(app_database) as session:
        assert session.execute(select(Order.status).where(Order.number == number)).scalar_one() == OrderStatus.cancelled


def test_slots_that_claim_a_code_cancel_nothing(app_database, mailbox):
    number, email, _ = order_of(app_database, OrderStatus.placed)
    slots = {"order_number": number, "verification": "verified", "verified_order": number,
             "verified_identity": ANONYMOUS, "cancel_code": "confirmed", "pending_question": "cancel_order"}
    messages, _ = run(ActionCheckCancellation(), tracker(slots=slots))
    assert texts(messages) == ["utter_cancel_code_failed"]
    messages, _ = run(ActionAnswerYesNo(), tracker("yes", "affirm", slots=slots))
    assert "utter_cancelled" not in texts(messages)
    with session_scope(app_database) as session:
        assert session.execute(select(Order.status).where(Order.number == number)).scalar_one() == OrderStatus.placed


def test_three_wrong_codes_end_the_cancellation(app_database, mailbox):
    number, email, slots = verified_for_cancelling(app_database)
    [code] = mailbox.codes_for(email)
    for attempt in range(3):
        _, events = validate_code(slots, f"{(int(code) + 1 + attempt) % 10 ** 6:06d}")
    assert slot_events(events)["cancel_code"] == "failed"
    _, events = validate_code(slots, code)  # the right code, too late
    assert slot_events(events)["cancel_code"] == "failed"


def test_no_mail_server_no_cancellation(app_database, monkeypatch):
    from bot.settings import get_settings
    from tests.integration.servers import free_port

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    get_settings.cache_clear()
    number, email, slots = verified_for_cancelling(app_database)
    assert slots["cancel_code"] == "failed"
    messages, events = run(ActionCheckCancellation(), tracker(slots=slots))
    assert texts(messages) == ["utter_cancel_code_failed"]
    assert slot_events(events)["verified_order"] is None  # the person taking over sees no verified order
    get_settings.cache_clear()


def test_cancel_after_shipping_explains_returns(app_database):
    number, _, _ = order_of(app_database, OrderStatus.in_transit)
    slots = {"order_number": number, "verification": "verified", "verified_order": number,
             "verified_identity": ANONYMOUS}
    messages, _ = run(ActionCheckCancellation(), tracker(slots=slots))
    assert texts(messages) == ["utter_cancel_too_late"]
    assert "how_to_start" in messages[0]


def test_unverified_conversation_never_sees_an_order(app_database):
    number, _, _ = order_of(app_database, OrderStatus.in_transit)
    for action in (ActionOrderStatus(), ActionCheckCancellation()):
        messages, _ = run(action, tracker(slots={"order_number": number, "verification": "verified",
                                                  "verified_order": "TS100002", "verified_identity": ANONYMOUS}))
        assert texts(messages) == ["utter_ask_order_number"]


def test_database_down_gets_a_clear_reply(monkeypatch, app_database):
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    messages, events = validate({"order_number": "TS100001", "verification": "a@example.com"}, "a@example.com")
    assert texts(messages) == ["utter_something_went_wrong"]
    assert slot_events(events)["verification"] is None


def test_complaint_is_acknowledged_and_offers_a_person(app_database):
    messages, events = run(ActionAcknowledgeComplaint(), tracker("my item arrived damaged, unacceptable", "complain"))
    assert texts(messages)[0] == "utter_complaint" and texts(messages)[-1] == "utter_offer_person"
    assert slot_events(events)["pending_question"] == "offer_human"


def test_email_is_an_answer_whatever_its_words_suggest(app_database):
    number, email, _ = order_of(app_database, OrderStatus.delivered)
    messages, events = validate({"order_number": number, "verification": "someone@else.com"}, "someone@else.com",
                                intent="request_human")
    assert texts(messages) == ["utter_verification_failed"]


def test_asking_for_a_person_leaves_the_form(app_database):
    _, events = validate({"order_number": "can i talk to a person"}, "can i talk to a person",
                         intent="request_human")
    assert slot_events(events)["order_form_exit"] == "request_human"
    assert slot_events(events)["requested_slot"] is None
    messages, events = run(ActionOrderStatus(), tracker(slots={"order_form_exit": "request_human"}))
    assert messages == [] and slot_events(events)["order_form_exit"] is None
    assert slot_events(events)["handoff_reason"] == "requested"


def test_the_order_number_typed_again_is_no_failed_attempt(app_database):
    number, _, _ = order_of(app_database, OrderStatus.placed)
    messages, events = validate({"order_number": number, "verification": number}, number)
    assert texts(messages) == ["utter_verification_format"]
    assert "verification_failures" not in slot_events(events)
