"""The shopper's journeys in a real browser: the widget on the demo storefront, against the real Rasa,
action and desk servers; an agent in a second browser context where the journey needs one."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from bot.database_urls import for_application
from bot.db import Order, OrderStatus, session_scope
from bot.db.models import Ticket
from tests.browser.chat import Chat
from tests.browser.conftest import AGENT_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.browser]
XSS = "<img src=x onerror=alert(1)>"


def in_database(servers, query):
    engine = create_engine(for_application(servers.database_url))
    try:
        with session_scope(engine) as session:
            return query(session)
    finally:
        engine.dispose()


def ticket_of(servers, conversation_id):
    return in_database(servers, lambda s: s.execute(
        select(Ticket.id).where(Ticket.conversation_id == conversation_id)).scalar_one())


def agent_opens(agent_page, servers, agent_email, ticket_id, screens):
    agent_page.goto(f"{servers.desk_url}/console")
    expect(agent_page).to_have_url(re.compile(r"/login$"))
    agent_page.fill("#email", agent_email)
    agent_page.fill("#password", AGENT_PASSWORD)
    agent_page.press("#password", "Enter")
    expect(agent_page).to_have_url(re.compile(r"/console$"))
    # The console opens on Mine when the agent holds a conversation from an earlier journey; a new
    # ticket is in All open whoever holds what.
    every_open = agent_page.locator('#views [data-view="open"]')
    expect(every_open.locator(".count")).to_have_text(re.compile(r"^\d+$"), timeout=10_000)  # the console is up
    every_open.click()
    expect(every_open).to_have_attribute("aria-current", "true")
    item = agent_page.locator(f'li[data-ticket="{ticket_id}"]')
    expect(item).to_be_visible(timeout=10_000)
    screens.take(agent_page, "agent-queue")
    item.click()
    expect(agent_page.locator("#conversation")).to_be_visible()


def test_returns_for_the_product_on_the_page_then_a_quick_reply(servers, kb, shopper, screens):
    sneaker = kb.products["TS-SNK-001"]
    days = kb.return_window_days(sneaker.category)
    shopper.goto(f"{servers.desk_url}/products/{sneaker.sku}")
    screens.take(shopper, "product-page")
    chat = Chat(shopper)
    chat.open()
    chat.say("can I return this?")
    expect(chat.locator(".typing")).to_be_hidden(timeout=30_000)
    chat.bot_message(f"You can return the {sneaker.name} within {days} days")
    screens.take(shopper, "product-answer")

    chat.say("what's the return window for the harbor")
    harbor = [p.name for p in kb.products.values() if "Harbor" in p.name]
    chat.bot_message("Which one do you mean")
    for name in harbor:
        expect(chat.quick_reply(name)).to_be_visible()
    screens.take(shopper, "quick-replies")
    chat.quick_reply("Harbor Chelsea Boot").click()
    chat.message("shopper", re.compile(r"^\s*You.*Harbor Chelsea Boot\s*$", re.S))  # the title, not the payload
    chat.bot_message("You can return the Harbor Chelsea Boot within")
    expect(chat.locator(".quick-reply").filter(has_text="Harbor Wool Coat")).to_have_count(0)  # answered
    screens.take(shopper, "quick-reply-answer")
    assert shopper.errors == []


def test_order_status_with_verification_survives_a_reload(servers, shopper, screens):
    number, postcode = in_database(servers, lambda s: s.execute(
        select(Order.number, Order.shipping_postcode).where(Order.status == OrderStatus.in_transit)
        .order_by(Order.number)).first())
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.quick_reply("Where is my order?").click()
    chat.bot_message("What's your order number?")
    chat.say("TS12")
    chat.bot_message("doesn't look like one of our order numbers")
    chat.say(number)
    chat.bot_message("email address or the delivery postcode")
    screens.take(shopper, "asked-for-verification")

    shopper.reload()
    chat = Chat(shopper)
    # The chat reopens where it was, with the conversation so far, read back from the server.
    expect(chat.locator(".panel")).to_be_visible()
    chat.bot_message("email address or the delivery postcode")
    chat.message("shopper", number)
    screens.take(shopper, "after-reload")
    chat.say(postcode)
    reply = chat.bot_message(f"Order {number} is on its way")
    expect(reply).to_contain_text("Carrier")
    # The masked email (a***@e***.com) is text as written, not "**@e**" read as bold.
    expect(reply).to_contain_text(re.compile(r"Updates go to \w\*\*\*@\w\*\*\*\.\w+"))
    assert reply.locator("strong").count() == 0
    screens.take(shopper, "order-status")
    assert shopper.errors == []


def test_angry_shopper_is_handed_to_an_agent_and_back(servers, shopper, agent_page, agent_account, screens):
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("This is the third time I ask, you scammers!! I'm filing a chargeback 😡")
    expect(chat.banner).to_contain_text(re.compile(r"Connecting you to a person. You're (number \d+|next) in the queue"),
                                        timeout=30_000)
    chat.bot_message(re.compile(r"connecting you with a person from our team; you're number \d+ in the queue"))
    screens.take(shopper, "handed-off")
    ticket_id = ticket_of(servers, chat.session_id())

    agent_opens(agent_page, servers, agent_account, ticket_id, screens)
    expect(agent_page.locator("#transcript")).to_contain_text("filing a chargeback")
    agent_page.click("#claim")
    expect(agent_page.locator("#reply-box")).to_be_visible()
    chat.message("system", "Alex from our team has joined the chat")
    expect(chat.banner).to_contain_text("You're chatting with Alex", timeout=15_000)

    agent_page.fill("#reply", "Hi, I'm Alex. I'm sorry about this; I've refunded your order just now.")
    agent_page.click("#send")
    reply = chat.message("agent", "I've refunded your order")
    expect(reply.locator(".sender")).to_have_text("Alex (team)")
    screens.take(shopper, "agent-reply")
    screens.take(agent_page, "agent-console")

    agent_page.click("#resolve")
    agent_page.click("#resolve-confirm")  # the resolution tag's dialog (Answered)
    chat.message("system", "You're back with the assistant")
    expect(chat.banner).to_contain_text("You're back with the assistant")
    screens.take(shopper, "back-with-the-assistant")
    chat.say("how much is express shipping to canada")
    chat.bot_message("Express shipping to Canada")
    expect(chat.banner).to_be_hidden()
    screens.take(shopper, "bot-answers-again")
    assert shopper.errors == []


def test_markup_from_either_side_shows_as_text(servers, shopper, agent_page, agent_account, screens):
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("I want to talk to a human")
    expect(chat.banner).to_contain_text(re.compile(r"(number \d+|next) in the queue"), timeout=30_000)
    chat.say(XSS)
    expect(chat.message("shopper", XSS).locator(".bubble")).to_have_text(XSS)
    ticket_id = ticket_of(servers, chat.session_id())

    agent_opens(agent_page, servers, agent_account, ticket_id, screens)
    line = agent_page.locator("#transcript .line.shopper").filter(has_text=XSS)
    expect(line).to_be_visible(timeout=10_000)
    agent_page.click("#claim")
    agent_page.fill("#reply", "<b>bold?</b> <img src=y onerror=alert(2)> <script>alert(3)</script>")
    agent_page.click("#send")
    reply = chat.message("agent", "<b>bold?</b>")
    expect(reply.locator(".bubble")).to_have_text("<b>bold?</b> <img src=y onerror=alert(2)> <script>alert(3)</script>")
    screens.take(shopper, "shopper-side")
    screens.take(agent_page, "agent-side")

    assert chat.locator(".log img").count() == 0 and chat.locator(".log b").count() == 0
    assert agent_page.locator("#transcript img").count() == 0
    assert shopper.dialogs == [] and agent_page.dialogs == []
    agent_page.click("#resolve")
    agent_page.click("#resolve-confirm")  # the resolution tag's dialog (Answered)
    chat.message("system", "You're back with the assistant")
