"""The widget's own promises, in a real browser: keyboard use and screen readers, phone screens,
readable colours, a dropped connection, and a signed-in customer."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.db import Customer, Order
from tests.browser.chat import Chat
from tests.browser.test_journeys import in_database

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def active_element(page) -> dict:
    """What has the keyboard focus, looking inside the widget's shadow root."""
    return page.evaluate("""() => {
        let element = document.activeElement;
        while (element && element.shadowRoot && element.shadowRoot.activeElement) {
            element = element.shadowRoot.activeElement;
        }
        return {tag: element.tagName.toLowerCase(), cls: element.className, text: element.textContent};
    }""")


def contrast(page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour against its background colour. The widget redraws
    a message when its marks change: an element replaced between the lookup and the reading has no
    computed style, and is looked up again."""
    for _ in range(5):
        ratio = _contrast_once(page, selector)
        if ratio is not None:
            return ratio
    raise AssertionError(f"{selector} kept being replaced while its colours were read")


def _contrast_once(page, selector: str):
    return page.locator(selector).evaluate(r"""(element) => {
        if (!element.isConnected) return null;
        const style = getComputedStyle(element);
        const channels = (value) => value.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
        const luminance = (rgb) => {
            const [r, g, b] = rgb.map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        // The background is the nearest one painted, up through the shadow root to the page.
        let node = element, background = null;
        while (node && !background) {
            const value = getComputedStyle(node).backgroundColor;
            if (!/^rgba\(.*,\s*0\)$/.test(value) && value !== "transparent") background = value;
            node = node.parentElement || (node.getRootNode() && node.getRootNode().host) || null;
        }
        const a = luminance(channels(style.color)), b = luminance(channels(background || "rgb(255,255,255)"));
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")


def test_keyboard_only_with_focus_management_and_a_live_region(servers, shopper, screens):
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.launcher.focus()
    shopper.keyboard.press("Enter")
    expect(chat.locator(".panel")).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    assert active_element(shopper)["tag"] == "textarea"  # focus moves into the chat
    shopper.keyboard.type("how long does shipping take?")
    shopper.keyboard.press("Enter")
    answer = chat.bot_message("business days")
    # New messages are read out by screen readers through the polite live region.
    live = chat.locator('[aria-live="polite"]').filter(has_text="business days")
    expect(live).to_have_count(1)
    assert chat.locator(".panel").get_attribute("role") == "dialog"
    screens.take(shopper, "answered-by-keyboard")
    assert answer is not None
    shopper.keyboard.press("Escape")
    expect(chat.locator(".panel")).to_be_hidden()
    assert "launcher" in active_element(shopper)["cls"]  # focus goes back where it came from


def test_quick_replies_by_keyboard(servers, shopper):
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.launcher.focus()
    shopper.keyboard.press("Enter")
    shopper.keyboard.type("what's the return window for the harbor")
    shopper.keyboard.press("Enter")
    chat.bot_message("Which one do you mean")
    expect(chat.quick_reply("Harbor Chinos")).to_be_visible()  # the buttons are there to tab back to
    for _ in range(10):
        shopper.keyboard.press("Shift+Tab")
        if active_element(shopper)["text"] == "Harbor Chinos":
            break
    assert active_element(shopper)["text"] == "Harbor Chinos"
    shopper.keyboard.press("Enter")
    chat.bot_message("You can return the Harbor Chinos within")
    assert active_element(shopper)["tag"] == "textarea"


def test_phone_sized_screen(servers, browser, screens):
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(servers.desk_url + "/products/TS-PRK-001")
        chat = Chat(page)
        launcher = chat.launcher.bounding_box()
        assert launcher["x"] + launcher["width"] <= 375 and launcher["y"] + launcher["height"] <= 667
        chat.open()
        panel = chat.locator(".panel").bounding_box()
        assert panel["width"] == pytest.approx(375, abs=1) and panel["height"] == pytest.approx(667, abs=1)
        chat.say("does it run small?")
        chat.bot_message(re.compile("Alpine Parka"))
        send = chat.locator(".send").bounding_box()
        assert send["height"] >= 44  # a comfortable touch target
        screens.take(page, "phone")
    finally:
        context.close()


def test_colours_keep_text_readable(servers, shopper):
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    assert contrast(shopper, "#storefront-chat .launcher") >= 4.5
    chat.open()
    chat.say("hi")
    chat.bot_message(re.compile("."))
    for selector in (".panel-header", ".message.from-shopper .bubble", ".message.from-bot .bubble", ".send",
                     ".meta"):
        assert contrast(shopper, f"#storefront-chat {selector} >> nth=0") >= 4.5, selector


def test_a_dropped_connection_keeps_what_the_shopper_writes(servers, shopper, screens):
    offline = {"on": False}
    live = []

    def route(socket):
        if offline["on"]:
            socket.close()
            return
        live.append(socket)
        socket.connect_to_server()

    shopper.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("how much is express shipping to canada")
    chat.bot_message("Express shipping to Canada")

    offline["on"] = True
    for socket in live:
        socket.close()
    expect(chat.locator(".connection")).to_contain_text("Reconnecting", timeout=10_000)
    chat.say("how much is express shipping to the UK?")
    pending = chat.message("shopper", "to the UK?")
    expect(pending.locator(".delivery")).to_contain_text("Not sent yet")
    screens.take(shopper, "offline-message-kept")

    offline["on"] = False
    expect(chat.locator(".connection")).to_be_hidden(timeout=15_000)
    chat.bot_message(re.compile(r"Express shipping to (the )?(UK|United Kingdom)"), timeout=30_000)
    expect(pending.locator(".delivery")).to_have_count(0)
    # Everything arrived once: the history read back after reconnecting has no duplicates.
    texts = chat.locator(".message.from-shopper .bubble").all_inner_texts()
    assert texts == ["how much is express shipping to canada", "how much is express shipping to the UK?"]
    screens.take(shopper, "sent-after-reconnecting")


def test_a_signed_in_customer_gets_their_order_without_verification(servers, shopper, screens):
    email, latest = in_database(servers, lambda s: s.execute(
        select(Customer.email, Order.number).join(Order.customer).order_by(Order.placed_at.desc())).first())
    shopper.goto(servers.desk_url + "/account")
    shopper.fill("#email", email)
    shopper.click("button[type=submit]")
    expect(shopper.locator(".shop-header")).to_contain_text(f"Signed in as {email}")
    chat = Chat(shopper)
    chat.open()
    chat.say("where is my order?")
    reply = chat.bot_message(re.compile(rf"[Oo]rder {latest}"))
    expect(chat.locator(".message.from-bot").filter(has_text="What's your order number")).to_have_count(0)
    screens.take(shopper, "signed-in-order-status")
    assert reply is not None


def test_signing_in_after_chatting_anonymously_starts_a_new_conversation(servers, shopper, screens):
    """A shared computer: what an anonymous shopper said (and verified) is not shown to whoever signs in next."""
    email = in_database(servers, lambda s: s.execute(select(Customer.email).order_by(Customer.id)).first()[0])
    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("how much is express shipping to canada")
    chat.bot_message("Express shipping to Canada")
    anonymous_session = chat.session_id()
    shopper.goto(servers.desk_url + "/account")
    shopper.fill("#email", email)
    shopper.click("button[type=submit]")
    expect(shopper.locator(".shop-header")).to_contain_text(f"Signed in as {email}")
    chat = Chat(shopper)
    if not chat.locator(".panel").is_visible():
        chat.open()
    expect(chat.locator(".message.from-shopper")).to_have_count(0)
    assert chat.session_id() != anonymous_session
    screens.take(shopper, "signed-in-after-anonymous-chat")


def test_a_message_written_while_the_conversation_is_read_back_is_kept(servers, shopper):
    """After a reload the read-back is slowed down; what the shopper writes meanwhile must not vanish."""
    import time

    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("hi")
    chat.bot_message("Trailhead Supply assistant")

    def slow_history(route):
        response = route.fetch()  # read now, delivered late: anything said meanwhile is not in it
        time.sleep(1.5)
        route.fulfill(response=response)

    shopper.route(re.compile(r".*/chat/web-[0-9a-f]+/history$"), slow_history)
    shopper.reload()
    chat = Chat(shopper)
    expect(chat.locator(".panel")).to_be_visible()
    chat.say("thanks")
    chat.bot_message("You're welcome")
    expect(chat.locator(".message.from-shopper .bubble")).to_have_text(["hi", "thanks"])
    expect(chat.locator(".message.from-bot").filter(has_text="Trailhead Supply assistant")).to_have_count(1)


def test_rich_bot_messages_links_bold_and_images_without_markup(servers, shopper, screens):
    """A bot message with formatting, links and an image, sent the way the desk sends agent messages:
    through Rasa's HTTP API to the shopper's socket.io session."""
    import json
    import urllib.request

    from tests.integration.servers import TOKEN

    shopper.goto(servers.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say("hi")
    chat.bot_message("Trailhead Supply assistant")
    session = chat.session_id()
    events = [{"event": "bot", "text": "See **our returns policy** at https://shop.example/returns or "
                                       "[ask us](https://shop.example/help). Not a link: javascript:alert(1) "
                                       "<script>alert(2)</script>"},
              {"event": "bot", "data": {"image": "https://shop.example/parka.png"}}]
    request = urllib.request.Request(
        f"{servers.rasa_url}/conversations/{session}/tracker/events?output_channel=socketio"
        f"&execute_side_effects=true&token={TOKEN}", data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()
    message = chat.bot_message("our returns policy")
    expect(message.locator("strong")).to_have_text("our returns policy")
    links = message.locator("a")
    expect(links).to_have_count(2)
    assert links.nth(0).get_attribute("href") == "https://shop.example/returns"
    assert links.nth(1).get_attribute("href") == "https://shop.example/help" and links.nth(1).inner_text() == "ask us"
    assert links.nth(1).get_attribute("rel") == "noopener noreferrer nofollow"
    expect(message.locator(".bubble")).to_contain_text("javascript:alert(1) <script>alert(2)</script>")
    expect(message.locator("script")).to_have_count(0)
    # The image, or (this machine cannot reach shop.example) the link the widget leaves when it cannot load.
    image = chat.locator(".message.from-bot img, .message.from-bot .bubble > a").filter(
        has_not_text="ask us").filter(has_not_text="shop.example/returns")
    expect(image).to_have_count(1)
    assert "https://shop.example/parka.png" in (image.get_attribute("src") or image.get_attribute("href"))
    assert shopper.dialogs == []
    screens.take(shopper, "rich-message")
