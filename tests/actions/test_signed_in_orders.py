"""A shop that signs its logged-in customer's identity: their own orders need no verification;
anyone else's order, or a token with a bad signature, gets the anonymous path."""
import asyncio

from sqlalchemy import select

from actions.knowledge import ActionAnswerFromKnowledgeBase
from actions.orders import ActionOrderStatus, ValidateCancelOrderForm, ValidateOrderStatusForm
from bot.chat.identity import sign_identity
from bot.db import Customer, Order, session_scope
from bot.settings import get_settings
from tests.actions.helpers import ANONYMOUS, domain, run, slot_events, texts, tracker


def customer_with_orders(engine, at_least=2):
    with session_scope(engine) as session:
        rows = session.execute(select(Customer.email, Order.number).join(Order.customer)
                               .order_by(Customer.id, Order.placed_at.desc())).all()
    by_email = {}
    for email, number in rows:
        by_email.setdefault(email, []).append(number)
    email = next(e for e, numbers in by_email.items() if len(numbers) >= at_least)
    someone_else = next(numbers[0] for e, numbers in by_email.items() if e != email)
    return email, by_email[email], someone_else


def signed_tracker(token, text="where is my order?", intent="order_status", slots=None, active_loop=None):
    t = tracker(text, intent, slots=slots, active_loop=active_loop)
    t.events = [{"event": "user", "text": text, "metadata": {"identity": token}}]
    return t


def token_for(email):
    return sign_identity(email, secret=get_settings().identity_secret)


def test_signed_in_customer_skips_the_form_and_hears_about_their_latest_order(app_database):
    email, numbers, _ = customer_with_orders(app_database)
    form = ValidateOrderStatusForm()
    t = signed_tracker(token_for(email), active_loop="order_status_form")
    required = asyncio.run(form.required_slots(["order_number", "verification"], None, t, domain()))
    assert required == []
    messages, events = run(ActionOrderStatus(), signed_tracker(token_for(email)))
    assert f"Order {numbers[0]}" in messages[0]["text"] or f"order {numbers[0]}" in messages[0]["text"]
    others = [m for m in messages if m.get("buttons")]
    assert others and [b["title"] for b in others[-1]["buttons"]] == numbers[1:5]
    assert slot_events(events)["verified_order"] == numbers[0]


def test_their_own_order_number_is_verified_without_asking(app_database):
    email, numbers, _ = customer_with_orders(app_database)
    t = signed_tracker(token_for(email), text=numbers[1], intent="inform",
                       slots={"order_number": numbers[1], "requested_slot": "order_number"},
                       active_loop="order_status_form")
    t.events.append({"event": "slot", "name": "order_number", "value": numbers[1]})
    _, events = run(ValidateOrderStatusForm(), t)
    slots = slot_events(events)
    assert slots["verification"] == "verified" and slots["verified_order"] == numbers[1]


def test_someone_elses_order_still_needs_verification(app_database):
    email, _, other = customer_with_orders(app_database)
    for form in (ValidateOrderStatusForm, ValidateCancelOrderForm):
        t = signed_tracker(token_for(email), text=other, intent="inform",
                           slots={"order_number": other, "requested_slot": "order_number"},
                           active_loop="order_status_form")
        t.events.append({"event": "slot", "name": "order_number", "value": other})
        messages, events = run(form(), t)
        slots = slot_events(events)
        assert slots["order_number"] == other and slots["verification"] is None  # the form asks for it next
        assert "verified_order" not in slots and messages == []


def test_a_bad_signature_is_treated_as_not_signed_in(app_database):
    email, _, _ = customer_with_orders(app_database)
    forged = sign_identity(email, secret="guessed-secret")
    t = signed_tracker(forged, active_loop="order_status_form")
    required = asyncio.run(ValidateOrderStatusForm().required_slots(["order_number", "verification"], None, t,
                                                                    domain()))
    assert required == ["order_number", "verification"]
    messages, _ = run(ActionOrderStatus(), signed_tracker(forged))
    assert texts(messages) == ["utter_ask_order_number"]


def test_a_customer_without_orders_is_told_how_to_go_on(app_database):
    messages, _ = run(ActionOrderStatus(), signed_tracker(token_for("new.customer@example.com")))
    assert texts(messages) == ["utter_no_orders_signed_in"]


def test_cancelling_still_asks_which_order(app_database):
    email, _, _ = customer_with_orders(app_database)
    t = signed_tracker(token_for(email), text="cancel my order", intent="cancel_order",
                       active_loop="cancel_order_form")
    required = asyncio.run(ValidateCancelOrderForm().required_slots(["order_number", "verification"], None, t,
                                                                    domain()))
    assert required == ["order_number", "verification"]


def test_can_i_return_this_on_a_product_page_answers_for_that_product(app_database, knowledge):
    def ask(text, page_product):
        t = tracker(text, "ask_return_policy")
        t.events = [{"event": "user", "text": text, "metadata": {"page": {"product": page_product}}}]
        return run(ActionAnswerFromKnowledgeBase(), t)[0][0]["text"]

    sneaker = knowledge.kb.products["TS-SNK-001"]
    assert sneaker.name in ask("can I return this?", "TS-SNK-001")
    # A product named in the message wins over the page; a made-up SKU is ignored.
    assert "Alpine Parka" in ask("can I return the alpine parka?", "TS-SNK-001")
    assert sneaker.name not in ask("can I return this?", "TS-XXX-999")


def test_signing_in_on_a_shared_computer_forgets_an_anonymous_verification(app_database):
    """Someone verified an order anonymously; the next person signs in on the same browser session.
    Neither the order's status nor its cancellation is theirs."""
    from actions.conversation import ActionAnswerYesNo
    from actions.orders import ActionCheckCancellation

    email, numbers, stranger_order = customer_with_orders(app_database)
    slots = {"order_number": stranger_order, "verification": "verified", "verified_order": stranger_order,
             "verified_identity": ANONYMOUS}
    messages, _ = run(ActionCheckCancellation(), signed_tracker(token_for(email), "cancel my order", "cancel_order",
                                                                slots=slots))
    assert texts(messages) == ["utter_ask_order_number"]
    messages, _ = run(ActionAnswerYesNo(), signed_tracker(token_for(email), "yes", "affirm",
                                                          slots={**slots, "pending_question": "cancel_order"}))
    assert "utter_cancelled" not in texts(messages)
    with session_scope(app_database) as session:
        assert session.execute(select(Order.status).where(Order.number == stranger_order)).scalar_one().value \
            != "cancelled"
