"""The widget against what shoppers know from other shops' chats, in a real browser on the demo storefront,
on a desktop and a phone-sized screen: scrolling, the welcome, seen and passed-on marks, photos,
languages, the offline form, and the page beside the open chat. Screenshots in test-artifacts/browser/."""
import io
import re
import secrets
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select

from bot.db.models import Ticket
from bot.settings import PROJECT_ROOT
from tests.browser.chat import Chat
from tests.browser.conftest import Screens
from tests.browser.test_journeys import agent_opens, in_database, ticket_of
from tests.conftest import seeded_servers
from tests.integration.servers import CLIENT_HEADER

pytestmark = [pytest.mark.integration, pytest.mark.browser]
SIZES = {"desktop": {"width": 1200, "height": 800}, "phone": {"width": 390, "height": 844}}
HANDOFF = "get me a real person"
AT_BOTTOM = """log => log.scrollTop + log.clientHeight >= log.scrollHeight - 24"""


def new_shopper(browser, request, size="desktop", locale="en-US", storage_state=None, address=None):
    """A browser context of its own, from a network address of its own (the assistant's limits count per
    address, and every test here opens tickets)."""
    address = address or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    options = {"viewport": SIZES[size], "locale": locale, "extra_http_headers": {CLIENT_HEADER: address}}
    if storage_state is not None:
        options["storage_state"] = storage_state
    if size == "phone":
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    request.addfinalizer(context.close)
    return page


def open_chat(browser, request, url, size="desktop", **options):
    """A new shopper on `url` with the chat open: (page, chat)."""
    page = new_shopper(browser, request, size, **options)
    page.goto(url)
    chat = Chat(page)
    chat.open()
    return page, chat


@pytest.fixture(params=sorted(SIZES))
def size(request):
    return request.param


def log_locator(chat):
    return chat.locator(".log")


def wait_at_bottom(chat, timeout=5_000):
    log_locator(chat).element_handle().wait_for_element_state("visible")
    chat.page.wait_for_function(f"() => ({AT_BOTTOM})(document.querySelector('#storefront-chat').shadowRoot"
                                ".querySelector('.log'))", timeout=timeout)


def is_at_bottom(chat) -> bool:
    return log_locator(chat).evaluate(AT_BOTTOM)


def ask_and_wait(chat, text, answer):
    chat.say(text)
    chat.bot_message(answer)


def fill_the_log(chat):
    for question, answer in (("how much is express shipping to canada", "Express shipping to Canada costs"),
                             ("can I return worn sneakers?", "Shoes worn outside can't be returned"),
                             ("I'm 182 cm and 80 kg, which size Trail Jacket?", "I'd recommend size L"),
                             ("does the alpin parka run small?", "Alpine Parka runs small")):
        ask_and_wait(chat, question, answer)
    assert log_locator(chat).evaluate("log => log.scrollHeight > log.clientHeight"), "the log does not overflow"


def hand_off(chat):
    chat.say(HANDOFF)
    expect(chat.banner).to_contain_text(re.compile(r"You're (number \d+|next) in the queue"), timeout=30_000)


# -- defect 1: a return visit opens at the latest message and follows new ones ----------------------

def test_a_return_visit_opens_at_the_latest_message(servers, browser, request, size):
    screens = Screens(f"return-visit-{size}")
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    fill_the_log(chat)
    wait_at_bottom(chat)

    # The browser is closed and opened again: a cold start from the stored conversation, the panel open.
    stored = page.context.storage_state()
    page.context.close()
    page = new_shopper(browser, request, size, storage_state=stored)
    page.goto(servers.desk_url + "/")
    chat = Chat(page)
    expect(chat.locator(".panel")).to_be_visible()
    expect(chat.locator(".message.from-shopper")).to_have_count(4)
    wait_at_bottom(chat)
    screens.take(page, "reopened-at-the-latest-message")

    chat.say("how much is standard shipping to canada")
    chat.bot_message("Standard shipping to Canada")
    wait_at_bottom(chat)
    # The list is drawn anew on every change, so measure in one go inside the page.
    below_the_fold = page.evaluate("""() => {
        const root = document.querySelector('#storefront-chat').shadowRoot;
        const log = root.querySelector('.log').getBoundingClientRect();
        const replies = root.querySelectorAll('.message.from-bot');
        return replies[replies.length - 1].getBoundingClientRect().bottom - log.bottom;
    }""")
    assert below_the_fold <= 1, f"the reply ends {below_the_fold}px below the fold"
    screens.take(page, "reply-in-view")
    assert page.errors == []


def test_a_new_messages_pill_when_scrolled_up(servers, browser, request, size):
    from bot.desk.rasa_client import RasaClient
    from tests.integration.servers import TOKEN

    screens = Screens(f"new-messages-pill-{size}")
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    fill_the_log(chat)
    hand_off(chat)
    rasa = RasaClient(servers.rasa_url, TOKEN)

    log_locator(chat).evaluate("log => { log.scrollTop = 0; }")
    log_locator(chat).dispatch_event("scroll")
    rasa.say_as_agent(chat.session_id(), "Hi, I'm Sam. Let me look at this.", agent_id=1, agent_name="Sam")
    pill = chat.locator(".new-messages")
    expect(pill).to_be_visible(timeout=15_000)
    expect(pill).to_contain_text("New messages")
    assert log_locator(chat).evaluate("log => log.scrollTop") == 0, "reading earlier messages was interrupted"
    screens.take(page, "pill-while-reading-back")

    pill.click()
    wait_at_bottom(chat)
    expect(pill).to_be_hidden()
    chat.message("agent", "Let me look at this")

    rasa.say_as_agent(chat.session_id(), "Found it: your parcel left the warehouse today.", agent_id=1, agent_name="Sam")
    chat.message("agent", "left the warehouse today")
    wait_at_bottom(chat)
    expect(pill).to_be_hidden()
    screens.take(page, "following-at-the-bottom")
    assert page.errors == []


# -- defect 4 and marks: passed on while waiting, seen once the agent has read -------------------

def test_messages_while_waiting_are_passed_on_then_seen(servers, browser, request, agent_page, agent_account, size):
    screens = Screens(f"passed-on-then-seen-{size}")
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    hand_off(chat)
    chat.say("My parcel arrived with a torn box, is anyone there?")
    expect(chat.message("shopper", HANDOFF).locator(".delivery")).to_have_count(0)
    mine = chat.message("shopper", "torn box")
    expect(mine.locator(".delivery")).to_have_text(re.compile("Passed on to the team"), timeout=15_000)
    chat.message("system", re.compile("passed (this|that|it) on", re.I))
    screens.take(page, "passed-on")

    ticket_id = ticket_of(servers, chat.session_id())
    agent_opens(agent_page, servers, agent_account, ticket_id, Screens(f"passed-on-then-seen-agent-{size}"))
    agent_page.click("#claim")
    expect(agent_page.locator("#reply-box")).to_be_visible()
    expect(mine.locator(".delivery")).to_have_text(re.compile("Seen"), timeout=20_000)
    screens.take(page, "seen-by-the-agent")
    assert page.errors == []


# -- defect 3: the product named in the message wins over the page, also after a hand-back --------

def test_a_product_named_in_the_message_wins_over_the_page_after_a_hand_back(servers, kb, browser, request,
                                                                             agent_page, agent_account, size):
    screens = Screens(f"product-named-wins-{size}")
    jacket = kb.products["TS-JKT-001"]
    page, chat = open_chat(browser, request, f"{servers.desk_url}/products/{jacket.sku}", size)
    hand_off(chat)
    agent_opens(agent_page, servers, agent_account, ticket_of(servers, chat.session_id()), screens)
    agent_page.click("#claim")
    expect(agent_page.locator("#reply-box")).to_be_visible()
    agent_page.click("#resolve")
    agent_page.click("#resolve-confirm")  # the resolution tag's dialog (Answered)
    chat.message("system", "You're back with the assistant")

    chat.say("what's your return window for sneakers?")
    answer = chat.bot_message(re.compile("return", re.I))
    expect(answer).to_contain_text(re.compile("sneaker", re.I))
    expect(answer).not_to_contain_text(jacket.name)
    screens.take(page, "sneakers-not-the-jacket")

    chat.say("can I return this?")
    chat.bot_message(f"You can return the {jacket.name}")
    assert page.errors == []


# -- defect 5 and languages ------------------------------------------------------------------

@pytest.mark.parametrize("locale, launcher, welcome", [
    ("de-DE", "Chat starten", "Rücksendungen"), ("fr-FR", "Discuter avec nous", "retours"),
    ("es-ES", "Chatea con nosotros", "devoluciones"), ("zh-CN", "联系我们", "退货"), ("en-GB", "Chat with us", "returns")])
def test_the_widget_speaks_the_shoppers_language(servers, browser, request, locale, launcher, welcome, size):
    page = new_shopper(browser, request, size, locale=locale)
    page.goto(servers.desk_url + "/")
    chat = Chat(page)
    expect(chat.launcher).to_contain_text(launcher)
    chat.launcher.click()
    expect(chat.locator(".message.from-bot").first).to_contain_text(welcome)
    Screens(f"language-{locale}-{size}").take(page, "welcome")


def test_a_german_question_gets_an_honest_german_answer(servers, browser, request, size):
    screens = Screens(f"german-{size}")
    page = new_shopper(browser, request, size, locale="de-DE")
    page.goto(servers.desk_url + "/")
    chat = Chat(page)
    chat.launcher.click()
    chat.say("Was kostet der Versand nach Deutschland?")
    reply = chat.bot_message(re.compile("Englisch"))
    expect(reply).not_to_contain_text("$")
    expect(reply).not_to_contain_text("shipping")
    expect(chat.locator(".quick-reply").last).to_be_visible()
    screens.take(page, "honest-answer-in-german")
    assert page.errors == []


# -- defect 2: a masked email in an order reply is text as written ------------------------------

def test_a_masked_email_in_an_order_reply_stays_text(servers, browser, request, size):
    from bot.db import Order, OrderStatus

    number, postcode = in_database(servers, lambda s: s.execute(
        select(Order.number, Order.shipping_postcode).where(Order.status == OrderStatus.in_transit)
        .order_by(Order.number.desc())).first())
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    chat.quick_reply("Where is my order?").click()
    chat.bot_message("What's your order number?")
    chat.say(number)
    chat.bot_message("email address or the delivery postcode")
    chat.say(postcode)
    reply = chat.bot_message(f"Order {number} is on its way")
    expect(reply).to_contain_text(re.compile(r"Updates go to \w\*\*\*@\w\*\*\*\.\w+"))
    assert reply.locator("strong").count() == 0
    Screens(f"masked-email-{size}").take(page, "order-reply")
    assert page.errors == []


# -- defect 6: the welcome stays; the page stays readable; the size chart fits a phone ----------

def test_the_welcome_and_its_quick_replies_stay_after_the_first_message(servers, browser, request, size):
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    ask_and_wait(chat, "how much is express shipping to canada", "Express shipping to Canada")
    welcome = chat.locator(".message.from-bot").first
    expect(welcome).to_contain_text("Hi! I can help")
    expect(welcome.locator(".quick-reply")).to_have_count(4)
    log_locator(chat).evaluate("log => { log.scrollTop = 0; }")
    Screens(f"welcome-stays-{size}").take(page, "welcome-after-the-first-answer")
    welcome.locator(".quick-reply").filter(has_text="Shipping").click()
    chat.message("shopper", "Shipping")
    expect(chat.locator(".message.from-bot")).to_have_count(3, timeout=30_000)
    assert page.errors == []


def test_the_welcome_stays_and_the_open_chat_sits_beside_the_page(servers, kb, browser, request):
    screens = Screens("welcome-and-docking")
    page = new_shopper(browser, request, "desktop")
    page.goto(f"{servers.desk_url}/products/TS-SNK-001")
    text_box = page.locator("main").bounding_box()
    chat = Chat(page)
    chat.open()
    ask_and_wait(chat, "how much is express shipping to canada", "Express shipping to Canada")
    welcome = chat.locator(".message.from-bot").first
    expect(welcome).to_contain_text("Hi! I can help")
    expect(welcome.locator(".quick-reply")).to_have_count(4)

    panel = chat.locator(".panel").bounding_box()
    for block in page.locator("main p, main h1, main table").all():
        box = block.bounding_box()
        assert box["x"] + box["width"] <= panel["x"] + 1, f"the chat covers {block.inner_text()[:40]!r}"
    screens.take(page, "chat-beside-the-page")

    chat.locator(".close").click()
    assert page.locator("main").bounding_box()["width"] == pytest.approx(text_box["width"], abs=1)
    screens.take(page, "page-back-to-full-width")

    welcome.page.locator("#storefront-chat .launcher").click()
    chat.locator(".quick-reply").filter(has_text="Shipping").first.click()
    chat.message("shopper", "Shipping")
    expect(chat.locator(".message.from-bot")).to_have_count(3, timeout=30_000)
    assert page.errors == []


def test_the_size_chart_fits_a_phone(servers, browser, request):
    page = new_shopper(browser, request, "phone")
    page.goto(f"{servers.desk_url}/products/TS-SNK-001")
    expect(page.locator(".size-chart")).to_be_visible()
    # A phone browser widens its layout to fit a page that is too wide (and zooms out): compare with the
    # screen's width, not window.innerWidth.
    overflow = page.evaluate("() => document.documentElement.scrollWidth") - SIZES["phone"]["width"]
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    Screens("size-chart-phone").take(page, "size-chart")


# -- photos ----------------------------------------------------------------------------------

def jpeg_photo() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (640, 480), (180, 40, 40))
    for x in range(100, 540):
        image.putpixel((x, 240), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_a_photo_of_a_damaged_item_reaches_the_agent(servers, browser, request, agent_page, agent_account, size):
    screens = Screens(f"photo-{size}")
    page, chat = open_chat(browser, request, servers.desk_url + "/", size)
    hand_off(chat)
    picker = chat.locator("input[type=file]")

    picker.set_input_files(files=[{"name": "manual.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}])
    expect(chat.locator(".input-help")).to_have_text("Only photos (JPEG, PNG, WebP or HEIC) can be sent.")
    # A file that claims to be a photo but is not: the desk refuses it after trying to decode it.
    picker.set_input_files(files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"<script>alert(1)</script>"}])
    expect(chat.locator(".input-help")).to_have_text("Only photos (JPEG, PNG, WebP or HEIC) can be sent.")
    screens.take(page, "refused-file")

    chat.input.fill("The box was crushed")
    picker.set_input_files(files=[{"name": "damaged.jpg", "mimeType": "image/jpeg", "buffer": jpeg_photo()}])
    sent = chat.message("shopper", "The box was crushed")
    photo = sent.locator("img")
    expect(photo).to_be_visible(timeout=15_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    expect(sent.locator(".delivery")).to_have_text(re.compile("Passed on"), timeout=15_000)
    screens.take(page, "photo-sent")

    ticket_id = ticket_of(servers, chat.session_id())
    agent_opens(agent_page, servers, agent_account, ticket_id, Screens(f"photo-agent-{size}"))
    shown = agent_page.locator("#transcript img")
    expect(shown).to_have_count(1, timeout=10_000)
    agent_page.wait_for_function("img => img.complete && img.naturalWidth === 640", arg=shown.element_handle())
    screens.take(agent_page, "agent-sees-the-photo")

    page.reload()  # the photo comes back with the conversation
    expect(chat.message("shopper", "The box was crushed").locator("img")).to_be_visible(timeout=15_000)
    assert page.errors == []


# -- a message whose acknowledgement was lost is delivered once -------------------------------

def test_a_message_whose_acknowledgement_was_lost_is_delivered_once(servers, browser, request, size):
    page = new_shopper(browser, request, size)
    dropped = {"acks": 0, "drop": False}

    def route(socket):
        server = socket.connect_to_server()

        def from_server(message):
            # socket.io acknowledgements are packets of type 3 ("43<id>[...]" over engine.io).
            if dropped["drop"] and isinstance(message, str) and message.startswith("43"):
                dropped["acks"] += 1
                return
            socket.send(message)

        server.on_message(from_server)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    page.goto(servers.desk_url + "/")
    chat = Chat(page)
    chat.open()
    ask_and_wait(chat, "how much is express shipping to canada", "Express shipping to Canada")
    dropped["drop"] = True
    chat.say("how much is express shipping to the UK?")
    chat.bot_message(re.compile(r"Express shipping to (the )?(UK|United Kingdom)"))
    assert dropped["acks"] >= 1
    expect(chat.message("shopper", "to the UK?").locator(".delivery")).to_have_text(re.compile("^Sending"))

    page.reload()  # the message was still "on its way": it goes again with the same key
    dropped["drop"] = False
    expect(chat.locator(".message.from-shopper")).to_have_count(2, timeout=15_000)
    expect(chat.locator(".message.from-shopper .delivery")).to_have_count(0, timeout=15_000)
    page.reload()
    expect(chat.locator(".message.from-shopper")).to_have_count(2, timeout=15_000)
    assert len(chat.locator(".message.from-bot").filter(
        has_text=re.compile(r"Express shipping to (the )?(UK|United Kingdom)")).all()) == 1
    assert page.errors == []


# -- out of support hours: the offline form becomes a ticket ----------------------------------

def never_on_duty_knowledge_base(directory: Path) -> Path:
    """The store's knowledge base with the team on duty on one day three days from now only, so the tests
    run out of hours whatever the time."""
    target = directory / "knowledge_base"
    shutil.copytree(PROJECT_ROOT / "knowledge_base", target)
    store = yaml.safe_load((target / "store.yml").read_text())
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(date.today() + timedelta(days=3)).weekday()]
    store["support"]["schedule"].update(days=[day], opens="09:00", closes="17:00")
    (target / "store.yml").write_text(yaml.safe_dump(store, sort_keys=False))
    return target


@pytest.fixture(scope="module")
def closed_servers(tmp_path_factory, kb):
    directory = tmp_path_factory.mktemp("closed")
    with seeded_servers(directory, kb, never_on_duty_knowledge_base(directory)) as running:
        yield running


def test_out_of_hours_the_offline_form_becomes_a_ticket(closed_servers, browser, request, size):
    screens = Screens(f"offline-form-{size}")
    page, chat = open_chat(browser, request, closed_servers.desk_url + "/", size)
    chat.say(HANDOFF)
    expect(chat.banner).to_contain_text("Our team is offline", timeout=30_000)
    offline = chat.locator(".offline-form")
    expect(offline).to_be_hidden()
    chat.locator(".offline-toggle").click()
    expect(offline).to_be_visible()
    expect(chat.locator("#sfc-offline-email")).to_be_focused()
    screens.take(page, "offline-form")

    chat.locator("#sfc-offline-email").fill("not an email")
    chat.locator("#sfc-offline-text").fill("My order arrived without the belt.")
    chat.locator(".offline-send").click()
    expect(chat.locator(".offline-form .form-help")).to_have_text("Please enter a valid email address.")
    expect(chat.locator("#sfc-offline-email")).to_be_focused()

    chat.locator("#sfc-offline-email").fill("ana.shopper@example.com")
    chat.locator(".offline-send").click()
    chat.message("system", "we'll reply to ana.shopper@example.com")
    expect(offline).to_be_hidden()
    expect(chat.locator(".offline-toggle")).to_be_hidden()
    screens.take(page, "offline-message-sent")

    # The hand-over opened the conversation's ticket: the message and the address join it.
    contact, summary = in_database(closed_servers, lambda s: s.execute(
        select(Ticket.contact_email, Ticket.summary).where(Ticket.conversation_id == chat.session_id())).one())
    assert contact == "ana.shopper@example.com"
    assert "My order arrived without the belt." in summary
    assert any(m["To"] == "ana.shopper@example.com" for m in closed_servers.mailbox.messages)

    # An email written into the chat itself is acknowledged too.
    chat.say("you can also reach me at ana.shopper@example.com")
    chat.message("system", re.compile(r"by email", re.I))
    screens.take(page, "email-in-the-chat-acknowledged")
    assert page.errors == []
