"""The chat widget as a shopper uses it, through its visible controls only."""
import re

from playwright.sync_api import Page, expect

WIDGET = "#storefront-chat"


class Chat:
    def __init__(self, page: Page):
        self.page = page

    def locator(self, selector: str):
        return self.page.locator(f"{WIDGET} {selector}")

    @property
    def launcher(self):
        return self.locator(".launcher")

    @property
    def input(self):
        return self.locator("#sfc-input")

    @property
    def log(self):
        return self.locator(".log")

    @property
    def banner(self):
        return self.locator(".banner")

    def open(self) -> None:
        self.launcher.click()
        expect(self.locator(".panel")).to_be_visible()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def bot_message(self, pattern, timeout: float = 30_000):
        """The latest assistant message matching `pattern` (a string or regex), once it is there."""
        message = self.locator(".message.from-bot").filter(has_text=pattern).last
        expect(message).to_be_visible(timeout=timeout)
        return message

    def message(self, sender: str, pattern, timeout: float = 30_000):
        message = self.locator(f".message.from-{sender}").filter(has_text=pattern).last
        expect(message).to_be_visible(timeout=timeout)
        return message

    def quick_reply(self, title: str):
        return self.locator(".quick-reply").filter(has_text=re.compile(rf"^{re.escape(title)}$"))

    def session_id(self) -> str:
        return self.page.evaluate("""() => {
            const key = Object.keys(localStorage).find(k => k.startsWith('storefront-chat:'));
            return JSON.parse(localStorage.getItem(key)).sessionId;
        }""")
