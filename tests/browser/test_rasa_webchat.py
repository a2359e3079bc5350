"""rasa-webchat 1.x, the chat widget many Rasa shops already embed, against the real Rasa, action and desk
servers: a shop that uses it switches to this assistant by configuration only.

The bundle is rasa-webchat's own UMD build from npm (`make var/vendor/rasa-webchat-1.0.1.js`), loaded
unchanged. The test page and the bundle are served from the desk's origin (through Playwright's
routing, nothing is added to the desk) because the socket.io channel accepts only the shop's origins,
and by default that is the desk's."""
import json
import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.chat.acknowledgement import PASSED_ON_TEXT
from bot.chat.limits import NOT_TEXT_REPLY
from bot.db import Order, OrderStatus
from bot.settings import PROJECT_ROOT
from tests.browser.conftest import _page
from tests.browser.test_journeys import agent_opens, in_database, ticket_of
from tests.integration.servers import CLIENT_HEADER

pytestmark = [pytest.mark.integration, pytest.mark.browser]

RASA_WEBCHAT_VERSION = "1.0.1"
BUNDLE = PROJECT_ROOT / "var" / "vendor" / f"rasa-webchat-{RASA_WEBCHAT_VERSION}.js"
PAGE_PATH = "/rasa-webchat-test.html"
BUNDLE_PATH = "/rasa-webchat.js"
SIZES = {"desktop": {"width": 1200, "height": 800}, "phone": {"width": 390, "height": 844}}
# rasa-webchat keeps its session (id and the messages shown) in localStorage under this key.
SESSION_KEY = "chat_session"
RASA_ERRORS = re.compile(r"GraphComponentException|Traceback")
# What the channel answers when it refuses a message or fails on it (bot/chat/limits.py, channels.py).
REFUSALS = re.compile(re.escape(NOT_TEXT_REPLY) + "|something went wrong on our side")
# rasa-webchat turns a bot message without text into the text "undefined" (String(message.text)).
UNDEFINED = re.compile(r"^\s*undefined\s*$")


@pytest.fixture(scope="module")
def bundle() -> str:
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(PROJECT_ROOT)} is missing: run "
                    f"`make var/vendor/rasa-webchat-{RASA_WEBCHAT_VERSION}.js` (npm fetches rasa-webchat "
                    f"{RASA_WEBCHAT_VERSION} and unpacks its bundle; `make test` does it first)")
    return BUNDLE.read_text()


@pytest.fixture(params=list(SIZES))
def shopper(browser, request):
    """The shopper's browser at a desktop or a phone size (overrides the desktop-only `shopper`), from a
    network address of its own: the assistant's limits (tickets per hour, messages per second) count per
    address, and the other browser tests open tickets from the same machine."""
    options = {"viewport": SIZES[request.param], "locale": "en-US",
               "extra_http_headers": {CLIENT_HEADER: f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}."
                                                     f"{secrets.randbelow(250) + 1}"}}
    if request.param == "phone":
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    yield from _page(browser, request, "shopper", **options)


def shop_page(servers, config: dict) -> str:
    """A shop's page embedding rasa-webchat the way rasa-webchat's README shows: the bundle, one call."""
    settings = json.dumps({"socketUrl": servers.rasa_url, "socketPath": "/socket.io/", "title": "Trailhead help",
                           "params": {"storage": "local"}, **config})
    settings = settings.replace("<", "\\u003c")  # nothing in the config can close the script element
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A shop with rasa-webchat</title></head>
<body><h1>A shop with rasa-webchat {RASA_WEBCHAT_VERSION}</h1>
<script src="{BUNDLE_PATH}"></script>
<script>window.WebChat.default({settings}, null);</script>
</body></html>"""


class WebChat:
    """rasa-webchat on the shop's page, through its visible controls (its own `rw-` class names)."""

    def __init__(self, page):
        self.page = page

    @property
    def launcher(self):
        return self.page.locator(".rw-launcher")

    @property
    def conversation(self):
        return self.page.locator(".rw-conversation-container")

    @property
    def input(self):
        return self.page.locator(".rw-new-message")

    def open(self) -> None:
        # rasa-webchat shows its launcher only once the socket is connected (hideWhenNotConnected).
        expect(self.launcher, "rasa-webchat did not connect; its console said:\n"
               + "\n".join(self.page.console_lines)).to_be_visible(timeout=15_000)
        self.launcher.click()
        expect(self.conversation).to_be_visible()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")
        self.shopper_message(text)

    def bot_message(self, pattern, timeout: float = 30_000):
        """The latest message from the assistant's side (bot or agent) matching `pattern`."""
        message = self.page.locator(".rw-message .rw-response").filter(has_text=pattern).last
        expect(message).to_be_visible(timeout=timeout)
        return message

    def shopper_message(self, pattern, timeout: float = 10_000):
        message = self.page.locator(".rw-message .rw-client").filter(has_text=pattern).last
        expect(message).to_be_visible(timeout=timeout)
        return message

    def assert_every_message_is_text(self) -> None:
        """No refusal and no text-less message ("undefined") among the assistant's side's bubbles."""
        responses = self.page.locator(".rw-message .rw-response")
        expect(responses.filter(has_text=REFUSALS)).to_have_count(0)
        expect(responses.filter(has_text=UNDEFINED)).to_have_count(0)

    def session_id(self) -> str:
        session = self.page.evaluate(f"() => JSON.parse(localStorage.getItem({SESSION_KEY!r}) || 'null')")
        assert session and session.get("session_id"), f"rasa-webchat stored no session: {session!r}"
        return session["session_id"]


def open_shop_page(page, servers, bundle: str, config: dict) -> WebChat:
    """Serve the shop's page and the bundle from the desk's origin and open the page."""
    page.route(servers.desk_url + PAGE_PATH,
               lambda route: route.fulfill(status=200, content_type="text/html", body=shop_page(servers, config)))
    page.route(servers.desk_url + BUNDLE_PATH,
               lambda route: route.fulfill(status=200, content_type="application/javascript", body=bundle))
    # The bundle's stylesheet imports a web font from Google; this machine's network refuses it.
    # Chromium counts a page fulfilled by Playwright as a public one, and a public page reaching a
    # loopback address (Rasa on 127.0.0.1) needs the shopper's permission (Local Network Access). A
    # real shop's page and Rasa server are both public, so no shopper is ever asked; here it is granted.
    page.context.grant_permissions(["local-network-access"], origin=servers.desk_url)
    page.route(re.compile(r"^https?://fonts\.(googleapis|gstatic)\.com/"), lambda route: route.abort())
    # rasa-webchat reports socket errors on the console only.
    page.console_lines = []
    page.on("console", lambda message: page.console_lines.append(f"{message.type}: {message.text}"))
    page.goto(servers.desk_url + PAGE_PATH)
    return WebChat(page)


class RasaLog:
    """What the Rasa server logs from now on (rasa.log of the `servers` fixture)."""

    def __init__(self, servers):
        self.path = servers.log_dir / "rasa.log"
        self.start = self.path.stat().st_size

    def since_start(self) -> str:
        with open(self.path, encoding="utf-8", errors="replace") as log:
            log.seek(self.start)
            return log.read()


def test_rasa_webchat_with_a_null_init_payload_keeps_answering(bundle, servers, shopper, screens):
    rasa_log = RasaLog(servers)
    chat = open_shop_page(shopper, servers, bundle, {"initPayload": None, "customData": {"language": "en"}})
    screens.take(shopper, "shop-page")
    chat.open()  # opening sends the init payload: a null message
    screens.take(shopper, "opened")
    chat.say("how much is express shipping to canada")
    chat.bot_message("Express shipping to Canada")
    screens.take(shopper, "answered")
    # The empty message is nothing to answer: no unprompted "I'm not sure I understood", nothing refused.
    chat.assert_every_message_is_text()
    expect(shopper.locator(".rw-message .rw-response").filter(has_text="not sure I understood")).to_have_count(0)
    expect(shopper.locator(".rw-message .rw-response")).to_have_count(1)
    assert chat.session_id().startswith("web-")
    errors = [line for line in rasa_log.since_start().splitlines() if RASA_ERRORS.search(line)]
    assert errors == [], "the Rasa server failed on this conversation:\n" + "\n".join(errors)
    assert shopper.errors == []


def test_rasa_webchat_page_product_in_custom_data(bundle, servers, kb, shopper, screens):
    jacket = kb.products["TS-JKT-001"]
    days = kb.return_window_days(jacket.category)
    chat = open_shop_page(shopper, servers, bundle, {"initPayload": "/greet",
                                                     "customData": {"page": {"product": jacket.sku}}})
    chat.open()
    chat.say("can I return this?")
    chat.bot_message(f"You can return the {jacket.name} within {days} days")
    screens.take(shopper, "product-answer")
    assert shopper.errors == []


def test_rasa_webchat_handoff_to_an_agent_and_back(bundle, servers, shopper, agent_page, agent_account, screens):
    chat = open_shop_page(shopper, servers, bundle, {"initPayload": None, "customData": {}})
    chat.open()
    chat.say("I want to talk to a person")
    chat.bot_message(re.compile(r"connecting you with a person from our team; you're number \d+ in the queue"))
    screens.take(shopper, "handed-off")
    # While nobody has joined, Rasa stays silent; a text client is told its message was passed on.
    chat.say("It's the order I placed last week")
    chat.bot_message(PASSED_ON_TEXT)
    ticket_id = ticket_of(servers, chat.session_id())

    agent_opens(agent_page, servers, agent_account, ticket_id, screens)
    expect(agent_page.locator("#transcript")).to_contain_text("the order I placed last week")
    agent_page.click("#claim")
    expect(agent_page.locator("#reply-box")).to_be_visible()
    chat.bot_message("Alex from our team has joined the chat.")
    agent_page.fill("#reply", "Hi, I'm Alex. I've looked at your order and refunded the shipping.")
    agent_page.click("#send")
    expect(chat.bot_message("I've looked at your order")).to_have_text(
        "Hi, I'm Alex. I've looked at your order and refunded the shipping.")
    screens.take(shopper, "agent-reply")

    agent_page.click("#resolve")
    agent_page.click("#resolve-confirm")  # the resolution tag's dialog (Answered)
    chat.bot_message("You're back with the assistant")
    screens.take(shopper, "back-with-the-assistant")
    chat.say("how much is express shipping to canada")
    chat.bot_message("Express shipping to Canada")
    screens.take(shopper, "bot-answers-again")
    chat.assert_every_message_is_text()
    assert shopper.errors == []


def test_rasa_webchat_reload_keeps_the_conversation(bundle, servers, shopper, screens):
    number = in_database(servers, lambda s: s.execute(
        select(Order.number).where(Order.status == OrderStatus.in_transit).order_by(Order.number)).scalars().first())
    config = {"initPayload": None, "customData": {}}
    chat = open_shop_page(shopper, servers, bundle, config)
    chat.open()
    chat.say("where is my order?")
    chat.bot_message("What's your order number?")
    session_id = chat.session_id()

    shopper.reload()
    chat = WebChat(shopper)
    # rasa-webchat shows what it kept in localStorage and rejoins the same conversation on the server,
    # which still waits for the order number asked before the reload.
    expect(chat.conversation).to_be_visible(timeout=15_000)
    chat.bot_message("What's your order number?")
    chat.shopper_message("where is my order?")
    screens.take(shopper, "after-reload")
    assert chat.session_id() == session_id
    chat.say(number)
    chat.bot_message("email address or the delivery postcode")
    screens.take(shopper, "conversation-goes-on")
    assert shopper.errors == []
