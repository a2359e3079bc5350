"""Headless chromium from Debian's package, driven by Playwright, against the real servers.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Screenshots of every
journey are kept under test-artifacts/browser/ (git-ignored)."""
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot.database_urls import for_application
from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying to reach Google's hosts, which this
# machine's closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
AGENT_PASSWORD = "browser test password"


# Module scope: sync Playwright keeps an event loop running while it is started, and other tests'
# asyncio.run() refuses to run inside one.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Screens:
    """Numbered screenshots of one journey."""

    def __init__(self, name: str):
        self.directory = ARTIFACTS / re.sub(r"[^\w-]+", "_", name)
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in (*self.directory.glob("*.png"), *self.directory.glob("notes.txt")):
            old.unlink()
        self.count = 0

    def take(self, page, step: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.directory / f"{self.count:02d}-{step}.png"), full_page=False)

    def note(self, line: str) -> None:
        """A figure seen on the way (e.g. how fast something arrived), kept beside the screenshots."""
        with open(self.directory / "notes.txt", "a", encoding="utf-8") as notes:
            notes.write(line + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture()
def screens(request):
    return Screens(request.node.name)


def _page(browser, request, role: str, **options):
    """A browser context of its own (own localStorage and cookies); a screenshot if the test failed."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.dialogs, page.errors = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    if getattr(request.node, "failed_call", False):
        Screens(request.node.name + "-failed-" + role).take(page, "at-failure")
    context.close()


@pytest.fixture()
def shopper(browser, request):
    yield from _page(browser, request, "shopper", viewport={"width": 1200, "height": 800}, locale="en-US")


@pytest.fixture()
def agent_page(browser, request):
    yield from _page(browser, request, "agent", viewport={"width": 1300, "height": 900})


@pytest.fixture(scope="session")
def agent_account(servers):
    engine = create_engine(for_application(servers.database_url))
    email = "alex.browser@shop.example"
    with session_scope(engine) as session:
        create_user(session, email=email, password=AGENT_PASSWORD, role=Role.agent, name="Alex")
    engine.dispose()
    return email
