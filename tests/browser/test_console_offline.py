"""Out of support hours in real browsers: a shopper leaves their email in the widget's offline form, an agent
finds it on the ticket and replies by email, and the local SMTP server (tests/mailbox.py, the desk's
SMTP_URL) receives the reply with the conversation's transcript; the shopper then asks for the
transcript from the widget. Screenshots in test-artifacts/browser/console-offline-email/."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.db.models import TicketEvent
from tests.browser.conftest import Screens
from tests.browser.console import console_servers, in_database, open_console, ticket_of, ticket_row
from tests.browser.test_widget_expectations import HANDOFF, never_on_duty_knowledge_base, open_chat

pytestmark = [pytest.mark.integration, pytest.mark.browser]
ADDRESS = "mia.shopper@example.com"
OTHER_ADDRESS = "mia.home@example.net"
LEFT = "My order arrived without the belt. Can you send it?"
REPLY = "Hi Mia, sorry about the missing belt: it goes out today by express, no charge."


@pytest.fixture(scope="module")
def closed_desk(tmp_path_factory, kb):
    with console_servers(tmp_path_factory, kb, never_on_duty_knowledge_base, seed=False) as running:
        yield running


def test_the_agent_answers_an_offline_message_by_email_with_the_transcript(closed_desk, browser, request):
    screens = Screens("console-offline-email")
    shopper, chat = open_chat(browser, request, closed_desk.desk_url + "/")
    chat.say(HANDOFF)
    expect(chat.banner).to_contain_text("Our team is offline", timeout=30_000)
    chat.locator(".offline-toggle").click()
    chat.locator("#sfc-offline-email").fill(ADDRESS)
    chat.locator("#sfc-offline-text").fill(LEFT)
    chat.locator(".offline-send").click()
    chat.message("system", f"we'll reply to {ADDRESS}")
    screens.take(shopper, "offline-form-sent")
    ticket_id = ticket_of(closed_desk, chat.session_id())
    assert ticket_row(closed_desk, ticket_id)["contact_email"] == ADDRESS
    confirmations = len([m for m in closed_desk.mailbox.messages if m["To"] == ADDRESS])

    ana = open_console(browser, request, closed_desk, closed_desk.people["ana"])
    ana.show("unassigned")
    ana.open(ticket_id)
    expect(ana.locator("#conversation")).to_contain_text(ADDRESS)  # the address is on the ticket
    expect(ana.locator("#conversation")).to_contain_text(LEFT)
    ana.page.click("#claim")
    email = ana.locator("#reply-email")
    expect(email).to_be_visible()
    email.check()
    ana.locator("#reply").fill(REPLY)
    screens.take(ana.page, "reply-by-email")
    ana.locator("#reply").press("Enter")
    ana.toast(re.compile("email", re.I))
    expect(ana.locator("#reply")).to_have_value("")
    screens.take(ana.page, "emailed")

    mails = [m for m in closed_desk.mailbox.messages if m["To"] == ADDRESS]
    assert len(mails) == confirmations + 1, [m["Subject"] for m in mails]
    body = mails[-1].get_body(("plain",)).get_content()
    assert REPLY in body
    for said in (HANDOFF, LEFT):  # the transcript: what the shopper wrote
        assert said in body, body
    kinds = in_database(closed_desk, lambda s: s.execute(select(TicketEvent.kind).where(
        TicketEvent.ticket_id == ticket_id)).scalars().all())
    assert "emailed" in kinds

    # The shopper asks for the conversation by email from the widget, to another address.
    chat.locator(".transcript-toggle").click()
    chat.locator("#sfc-transcript-email").fill(OTHER_ADDRESS)
    screens.take(shopper, "transcript-form")
    chat.locator(".transcript-send").click()
    chat.message("system", f"We've sent this conversation to {OTHER_ADDRESS}")
    screens.take(shopper, "transcript-sent")
    [transcript] = [m for m in closed_desk.mailbox.messages if m["To"] == OTHER_ADDRESS]
    body = transcript.get_body(("plain",)).get_content()
    for said in (HANDOFF, LEFT):
        assert said in body, body
    assert ana.page.errors == [] and shopper.errors == []
