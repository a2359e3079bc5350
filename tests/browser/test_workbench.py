"""The trainer workbench in a real browser, on the real servers' conversations."""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine

from bot.database_urls import for_application
from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user

pytestmark = [pytest.mark.integration, pytest.mark.browser]
PASSWORD = "trainer test password"


@pytest.fixture(scope="module")
def trainer_account(servers):
    engine = create_engine(for_application(servers.database_url))
    with session_scope(engine) as session:
        create_user(session, email="tia.browser@shop.example", password=PASSWORD, role=Role.trainer, name="Tia")
    engine.dispose()
    return "tia.browser@shop.example"


def test_trainer_labels_a_real_message_by_keyboard_and_imports_a_log(servers, browser, trainer_account, screens,
                                                                     tmp_path):
    # Letters only: digits in the marker could be masked (as a postcode) and then not be found by the search.
    marker = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:6])
    words = f"<b>zq{marker}</b> has my thing left, mail bob.r@example.com TS100004"
    session_id = f"web-{uuid.uuid4().hex}"
    servers.texts(session_id, words)  # a shopper's message, through the real Rasa server
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{servers.desk_url}/login")
        page.fill("#email", trainer_account)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        expect(page).to_have_url(re.compile(r"/workbench$"))
        page.fill("#q", f"zq{marker}")
        page.press("#q", "Enter")
        row = page.locator("#rows tr").filter(has_text=f"zq{marker}")
        expect(page.locator("#rows tr")).to_have_count(1)  # the search has been applied: the keys act on it
        expect(row).to_have_count(1)
        shown = row.locator(".message-text")
        expect(shown).to_have_text(f"<b>zq{marker}</b> has my thing left, mail b***@e***.com TS******")
        assert row.locator("b").count() == 0 and dialogs == []
        assert "TS100004" not in row.inner_text() and "bob.r@" not in row.inner_text()  # entities too
        screens.take(page, "inbox")

        row.get_by_role("button", name="Conversation").click()  # opened by an opaque reference
        panel = page.locator("#conversation-panel")
        expect(panel).to_be_visible()
        expect(panel).to_contain_text("mail b***@e***.com TS******")
        assert session_id[4:] not in page.content()
        page.click("#close-conversation")

        page.locator("h2#inbox-title").click()  # keyboard focus out of the search box
        page.keyboard.press("7")                  # the seventh intent in the key list
        seventh = page.locator("#intent-keys li").nth(6).inner_text()
        expect(row).to_have_count(0)              # labelled: off my to-do list
        page.select_option("#status", "labelled")
        page.click("#filters button[type=submit]")
        expect(page.locator("#rows tr").filter(has_text=f"zq{marker}").locator(".label-by")).to_have_text(
            f"Tia: {seventh}")
        screens.take(page, "labelled")

        log = tmp_path / "helpdesk.csv"
        log.write_text(f"text,timestamp\nwhere is parcel {marker},2026-10-01T10:00:00Z\n,2026-10-01\n")
        page.set_input_files("#import-file", str(log))
        page.click("#import-form button[type=submit]")
        expect(page.locator("#import-result")).to_contain_text("1 imported")
        expect(page.locator("#import-result")).to_contain_text("line 3: no text")
        screens.take(page, "imported")
    finally:
        context.close()
