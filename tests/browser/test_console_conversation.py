"""The agent console's conversation journeys in real browsers (1280x800): two agents (Ana, Ben) and a
supervisor (Sue) each in a context of their own, a shopper in the widget in another; real Rasa, action
and desk servers, the SLA sweep every second. Assignment and transfer with a note, an SLA breach with the
ticket's clock set forward, a canned reply with the ticket's variables, resolve with a tag and the
shopper's rating from the widget. Screenshots in test-artifacts/browser/console-*/."""
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot.db.models import (CannedReply, Customer, DeskAlert, FollowUp, Order, Shipment, SlaBreach, Ticket,
                           TicketEvent)
from tests.browser.chat import Chat
from tests.browser.conftest import Screens
from tests.browser.console import console_servers, in_database, open_console, ticket_of, ticket_row, utcnow
from tests.browser.test_widget_expectations import new_shopper

pytestmark = [pytest.mark.integration, pytest.mark.browser]
HANDOFF = "I want to talk to a human"


@pytest.fixture(scope="module")
def desk(tmp_path_factory, kb):
    with console_servers(tmp_path_factory, kb) as running:
        yield running


def word() -> str:
    """A word nobody else wrote, to find one conversation with the console's search (letters only: digits
    could be masked as a postcode)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def find(console, words: str, ticket_id: int) -> None:
    """The agent searches for a conversation and opens it, as one does in a queue of more than a page."""
    console.page.fill("#search", words)
    console.page.press("#search", "Enter")
    expect(console.cards).to_have_count(1)
    console.open(ticket_id)


def rest_handoff(desk, words: str) -> int:
    """A shopper over the REST channel asks for a person: the ticket's id."""
    sender = f"console-{uuid.uuid4().hex}"
    desk.say(sender, f"hi, where can I find the size chart for boots? {words}")
    desk.say(sender, HANDOFF)
    ticket_id = ticket_of(desk, sender)
    assert ticket_id is not None, "the handoff opened no ticket"
    return ticket_id


def widget_handoff(desk, browser, request, first: str = "") -> tuple:
    """A shopper in the widget (a browser context of their own) asks for a person: (page, chat, ticket)."""
    page = new_shopper(browser, request)
    page.goto(desk.desk_url + "/")
    chat = Chat(page)
    chat.open()
    if first:
        chat.say(first)
    chat.say(HANDOFF)
    expect(chat.banner).to_contain_text(re.compile(r"(number \d+|next) in the queue"), timeout=30_000)
    return page, chat, ticket_of(desk, chat.session_id())


def choose_agent(page, name: str) -> None:
    select_box = page.locator("#assign-agent")
    value = select_box.locator("option").filter(has_text=name).first.get_attribute("value")
    select_box.select_option(value)


def events_of(desk, ticket_id: int) -> list:
    return in_database(desk, lambda s: [(e.kind, e.actor_id, e.detail) for e in s.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).scalars()])


def test_claim_transfer_with_a_note_reassign_and_unassign(desk, browser, request):
    screens = Screens("console-assignment")
    ana_p, ben_p, sue_p = (desk.people[k] for k in ("ana", "ben", "sue"))
    words = word()
    ticket_id = rest_handoff(desk, words)
    ana = open_console(browser, request, desk, ana_p)
    ben = open_console(browser, request, desk, ben_p)
    sue = open_console(browser, request, desk, sue_p)
    ben.show("mine")
    ben_mine = int(ben.view("mine").locator(".count").inner_text())

    # Ana claims it.
    ana.show("unassigned")
    find(ana, words, ticket_id)
    expect(ana.locator("#transcript")).to_contain_text(HANDOFF)
    screens.take(ana.page, "ana-opens-the-ticket")
    ana.page.click("#claim")
    ana.toast(re.compile("claimed|yours", re.I))
    row = ticket_row(desk, ticket_id)
    assert row["status"].value == "assigned" and row["assigned_agent_id"] == ana_p.id

    # Ana transfers it to Ben with a note.
    note = "Shopper wants the boots size chart in EU sizes; promised an answer today."
    ana.page.click("#assign")
    dialog = ana.locator("#assign-dialog")
    expect(dialog).to_be_visible()
    choose_agent(ana.page, "Ben")
    ana.page.fill("#assign-note", note)
    screens.take(ana.page, "transfer-dialog")
    ana.page.click("#assign-submit")
    expect(dialog).to_be_hidden()
    ana.toast(re.compile("Ben"))
    assert ticket_row(desk, ticket_id)["assigned_agent_id"] == ben_p.id
    transfer = [e for e in events_of(desk, ticket_id) if e[0] == "transferred"]
    assert transfer and transfer[-1][1] == ana_p.id and note in transfer[-1][2]

    # Ben sees it in Mine without reloading, with Ana's note.
    expect(ben.card(ticket_id)).to_be_visible(timeout=5_000)
    expect(ben.view("mine").locator(".count")).to_have_text(str(ben_mine + 1))
    ben.open(ticket_id)
    noted = ben.locator("#notes li").filter(has_text=note)
    expect(noted).to_be_visible()
    expect(noted).to_contain_text("Ana")
    expect(noted.locator("time")).to_have_count(1)
    screens.take(ben.page, "ben-has-it-with-the-note")

    # An agent cannot take a colleague's ticket away; the supervisor can reassign anything.
    refused = ana.page.request.post(f"{desk.desk_url}/api/tickets/{ticket_id}/assign",
                                    headers={"X-Requested-With": "desk"}, data={"agent_id": ana_p.id})
    assert refused.status in (403, 409) and "error" in refused.json()
    sue.show("open")
    find(sue, words, ticket_id)
    sue.page.click("#assign")
    expect(sue.locator("#assign-dialog")).to_be_visible()
    choose_agent(sue.page, "Ana")
    sue.page.fill("#assign-note", "Ben is off at noon; Ana takes it over.")
    sue.page.click("#assign-submit")
    sue.toast(re.compile("Ana"))
    assert ticket_row(desk, ticket_id)["assigned_agent_id"] == ana_p.id
    expect(ben.card(ticket_id)).to_be_hidden(timeout=5_000)  # gone from Ben's Mine, live
    screens.take(sue.page, "supervisor-reassigned")

    # Unassign: back in the queue for anyone.
    sue.page.click("#unassign")
    sue.toast(re.compile("unassigned|queue", re.I))
    row = ticket_row(desk, ticket_id)
    assert row["status"].value == "waiting" and row["assigned_agent_id"] is None
    ana.show("unassigned")  # the search for it still applies
    expect(ana.card(ticket_id)).to_be_visible(timeout=5_000)
    kinds = [kind for kind, _, _ in events_of(desk, ticket_id)]
    assert kinds[:1] == ["created"] and {"claimed", "transferred", "unassigned"} <= set(kinds)
    for console in (ana, ben, sue):
        assert console.page.errors == [] and console.page.dialogs == []


def test_agents_set_themselves_away_and_back(desk, browser, request):
    ben = open_console(browser, request, desk, desk.people["ben"])
    button = ben.locator("#availability")
    before = ben.api("/api/me")["availability"]
    button.click()
    after = "away" if before == "available" else "available"
    expect(button).to_have_text(re.compile(after, re.I))
    expect(button).to_have_attribute("aria-pressed", "true" if after == "available" else "false")
    assert ben.api("/api/me")["availability"] == after
    agents = {a["name"]: a for a in ben.api("/api/agents")["agents"]}
    assert agents["Ben"]["availability"] == after
    button.click()
    expect(button).to_have_text(re.compile(before, re.I))


def test_an_sla_breach_turns_the_clock_red_flags_and_alerts_the_supervisor(desk, browser, request):
    screens = Screens("console-sla")
    words = word()
    ticket_id = rest_handoff(desk, words)
    ana = open_console(browser, request, desk, desk.people["ana"])
    sue = open_console(browser, request, desk, desk.people["sue"])
    ana.show("unassigned")
    ana.page.fill("#search", words)
    ana.page.press("#search", "Enter")
    card = ana.card(ticket_id)
    clock = card.locator(".sla-clock")
    expect(clock).to_have_attribute("data-state", re.compile("ok|due_soon"))
    ok_colour = clock.evaluate("e => getComputedStyle(e).color + ' ' + getComputedStyle(e).backgroundColor")
    expect(sue.locator(f"#alerts li[data-alert]").filter(has_text=f"#{ticket_id}")).to_have_count(0)

    # Set the ticket's clock forward: it was opened ten minutes ago (its first reply was due at 5).
    def ten_minutes_earlier(session):
        ticket = session.get(Ticket, ticket_id)
        for column in ("created_at", "last_shopper_at", "sla_due_at"):
            if getattr(ticket, column) is not None:
                setattr(ticket, column, getattr(ticket, column) - timedelta(minutes=10))
    in_database(desk, ten_minutes_earlier)

    expect(clock).to_have_attribute("data-state", "breached", timeout=10_000)
    breached_colour = clock.evaluate("e => getComputedStyle(e).color + ' ' + getComputedStyle(e).backgroundColor")
    assert breached_colour != ok_colour
    reds = [tuple(int(n) for n in m) for m in re.findall(r"rgba?\((\d+), (\d+), (\d+)", breached_colour)]
    assert any(r > 150 and g < 110 and b < 110 for r, g, b in reds), f"not red: {breached_colour}"
    expect(card).to_have_attribute("data-flagged", "true")
    expect(ana.cards).to_have_count(1)
    ana.open(ticket_id)
    expect(ana.locator("#sla-clock")).to_have_attribute("data-state", "breached")
    screens.take(ana.page, "breached-clock")

    breaches = in_database(desk, lambda s: s.execute(select(SlaBreach.clock).where(
        SlaBreach.ticket_id == ticket_id)).scalars().all())
    assert breaches == ["first_reply"]
    assert ticket_row(desk, ticket_id)["flagged"] is True
    alert = sue.locator("#alerts li[data-alert]").filter(has_text=f"#{ticket_id}")
    expect(alert).to_have_count(1, timeout=10_000)
    expect(alert).to_contain_text(re.compile("first reply", re.I))
    sue.page.click("#alerts-toggle")
    expect(alert).to_be_visible()
    assert in_database(desk, lambda s: s.execute(select(DeskAlert.id).where(
        DeskAlert.ticket_id == ticket_id)).scalars().all())
    screens.take(sue.page, "supervisor-alerts")
    # Agents get no supervisor alerts.
    assert ana.page.request.get(f"{desk.desk_url}/api/alerts").status == 403


def order_facts(desk, number: str) -> dict:
    """An order as the database holds it: what the console should show and fill in."""
    def read(session):
        order, shipment, customer = session.execute(
            select(Order, Shipment, Customer).join(Shipment, Shipment.order_id == Order.id)
            .join(Customer, Customer.id == Order.customer_id).where(Order.number == number)).first()
        return {"number": order.number, "postcode": order.shipping_postcode, "carrier": shipment.carrier,
                "tracking": shipment.tracking_number, "eta": shipment.estimated_delivery, "name": customer.name,
                "email": customer.email, "first_name": customer.name.split()[0]}
    return in_database(desk, read)


def verified_conversation(desk, browser, request, number: str):
    """A shopper verifies the in-transit order `number` in the widget, then asks for a person: (page, chat,
    ticket, the order's facts from the database)."""
    facts = order_facts(desk, number)
    page = new_shopper(browser, request)
    page.goto(desk.desk_url + "/")
    chat = Chat(page)
    chat.open()
    facts["word"] = word()
    chat.say(f"hello {facts['word']}")
    expect(chat.locator(".message.from-bot").nth(1)).to_be_visible(timeout=30_000)  # answered after the welcome
    chat.say("where is my order?")
    chat.bot_message("What's your order number?")
    chat.say(facts["number"])
    chat.bot_message("email address or the delivery postcode")
    chat.say(facts["postcode"])
    chat.bot_message(f"Order {facts['number']} is on its way")
    chat.say(HANDOFF)
    expect(chat.banner).to_contain_text(re.compile(r"(number \d+|next) in the queue"), timeout=30_000)
    return page, chat, ticket_of(desk, chat.session_id()), facts


def test_a_returning_customer_the_panel_and_a_canned_reply_with_variables(desk, browser, request):
    """The shopper of an order that already had a (resolved) ticket verifies it and asks for a person: the
    console shows who they are, their orders and that earlier ticket; /delay fills in their facts."""
    screens = Screens("console-canned")
    earlier = [t for t in desk.queue if t.state == "resolved:refund_arranged"][0]
    shopper, chat, ticket_id, facts = verified_conversation(desk, browser, request, earlier.verified_order)
    ana = open_console(browser, request, desk, desk.people["ana"])
    ana.show("unassigned")
    find(ana, facts["word"], ticket_id)
    ana.page.click("#claim")
    expect(ana.locator("#reply")).to_be_editable()

    # Every line with its time; the anger curve; the customer from the verified order.
    lines = ana.locator("#transcript .line")
    expect(lines.filter(has_text=facts["postcode"])).to_be_visible()
    assert lines.count() >= 6 and ana.locator("#transcript .line time").count() == lines.count()
    expect(ana.locator("#anger-curve path").first).to_be_attached()
    expect(ana.locator("#customer")).to_contain_text(facts["name"])
    expect(ana.locator("#customer")).to_contain_text(facts["email"])
    order = ana.locator("#customer-orders li").filter(has_text=facts["number"])
    expect(order).to_contain_text(re.compile("in transit", re.I))
    expect(order).to_contain_text(facts["tracking"])
    expect(order).to_contain_text(facts["eta"].isoformat())
    before = ana.locator(f'#customer-tickets li a[data-ticket="{earlier.id}"]')
    expect(before).to_be_visible()
    screens.take(ana.page, "conversation")

    reply = ana.locator("#reply")
    reply.click()
    reply.press_sequentially("/delay")
    screens.take(ana.page, "shortcode-typed")
    reply.press("Tab")
    eta = f"{facts['eta']:%A}, {facts['eta']:%B} {facts['eta'].day}"
    for value in (facts["first_name"], facts["number"], facts["carrier"], eta):
        expect(reply).to_have_value(re.compile(re.escape(value)))
    text = reply.input_value()
    assert "/delay" not in text and not re.search(r"\{(first_name|order_number|carrier|eta)\}", text), text
    screens.take(ana.page, "canned-reply-expanded")

    reply.press("Enter")
    expect(reply).to_have_value("")
    sent = chat.message("agent", facts["number"])
    expect(sent).to_contain_text(facts["carrier"])
    expect(sent).to_contain_text(eta)
    expect(sent).to_contain_text(facts["first_name"])
    expect(ana.locator('#transcript .line[data-from="agent"]').filter(has_text=facts["number"])).to_be_visible()
    screens.take(shopper, "shopper-sees-the-reply")
    screens.take(ana.page, "reply-sent")
    # The picker is ready for the next reply, not stuck on the last choice.
    expect(ana.locator("#canned")).to_have_value("")

    # Knowledge search ranks by the words typed.
    ana.page.fill("#kb-query", "express shipping canada")
    ana.page.click("#kb-search")
    first = ana.locator("#kb-results li").first
    expect(first).to_contain_text("Canada")
    expect(first).to_contain_text(re.compile("express", re.I))
    screens.take(ana.page, "knowledge-search")

    # The earlier ticket is one click away.
    before.click()
    expect(ana.locator("#ticket-number")).to_contain_text(f"#{earlier.id}")
    expect(ana.locator("#transcript")).to_contain_text(earlier.lines[-1])
    expect(ana.locator("#conversation")).to_contain_text("Refund arranged")
    screens.take(ana.page, "earlier-ticket")
    assert ana.page.errors == [] and shopper.errors == []


def test_a_supervisor_manages_canned_replies_that_agents_use(desk, browser, request):
    screens = Screens("console-canned-manage")
    sue_p = desk.people["sue"]
    sue = open_console(browser, request, desk, sue_p)
    sue.page.click("#canned-manage")
    dialog = sue.locator("#canned-dialog")
    expect(dialog).to_be_visible()
    expect(sue.locator("#canned-list li[data-reply] .code").filter(has_text=re.compile(r"^/delay$"))).to_have_count(1)
    sue.page.click("#canned-add")
    sue.page.fill("#canned-shortcode", "belt")
    sue.page.fill("#canned-topic", "missing item")
    sue.page.fill("#canned-title-input", "Missing belt")
    sue.page.fill("#canned-text", "Hi {first_name}, the belt for order {order_number} ships today by {carrier}.")
    screens.take(sue.page, "new-canned-reply")
    sue.page.click("#canned-save")
    sue.toast("/belt")
    added = sue.locator("#canned-list li[data-reply] .code").filter(has_text=re.compile(r"^/belt$"))
    expect(added).to_have_count(1)
    stored = in_database(desk, lambda s: s.execute(select(CannedReply.updated_by_id, CannedReply.text).where(
        CannedReply.shortcode == "belt")).one())
    assert stored[0] == sue_p.id and "{first_name}" in stored[1]
    sue.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Agents use it; they cannot manage the replies.
    waiting = [t for t in desk.queue if t.state == "waiting" and t.verified_order and t.reason == "late_order"][-1]
    facts = order_facts(desk, waiting.verified_order)
    ana = open_console(browser, request, desk, desk.people["ana"])
    expect(ana.locator("#canned-manage")).to_be_hidden()
    refused = ana.page.request.post(f"{desk.desk_url}/api/canned-replies", headers={"X-Requested-With": "desk"},
                                    data={"shortcode": "mine", "title": "x", "text": "y"})
    assert refused.status == 403
    ana.show("unassigned")
    find(ana, facts["number"], waiting.id)
    ana.page.click("#claim")
    reply = ana.locator("#reply")
    expect(reply).to_be_editable()
    reply.click()
    reply.press_sequentially("/belt")
    menu = ana.locator("#shortcode-menu")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("Missing belt")
    screens.take(ana.page, "shortcode-menu")
    reply.press("Tab")
    expect(reply).to_have_value(f"Hi {facts['first_name']}, the belt for order {facts['number']} ships today by "
                                f"{facts['carrier']}.")

    # The supervisor deletes it again, after confirming.
    sue.page.click("#canned-manage")
    sue.locator("#canned-list li[data-reply]").filter(has_text="/belt").click()
    sue.page.click("#canned-delete")
    expect(sue.locator("#confirm-dialog")).to_be_visible()
    screens.take(sue.page, "confirm-delete")
    sue.page.click("#confirm-ok")
    sue.toast("Deleted /belt")
    assert in_database(desk, lambda s: s.execute(select(CannedReply.id).where(
        CannedReply.shortcode == "belt")).first()) is None
    assert sue.page.errors == [] and ana.page.errors == []


def test_resolve_with_a_tag_then_the_shopper_rates_it(desk, browser, request):
    screens = Screens("console-resolve-csat")
    words = word()
    shopper, chat, ticket_id = widget_handoff(desk, browser, request, first=f"my parcel arrived damaged {words}")
    ana = open_console(browser, request, desk, desk.people["ana"])
    ana.show("unassigned")
    find(ana, words, ticket_id)
    ana.page.click("#claim")
    ana.locator("#reply").fill("I'm sorry about the damage. I've arranged a refund to your card.")
    ana.locator("#reply").press("Enter")
    chat.message("agent", "arranged a refund")

    # Cancel first: nothing changes.
    ana.page.click("#resolve")
    dialog = ana.locator("#resolve-dialog")
    expect(dialog).to_be_visible()
    ana.page.click("#resolve-cancel")
    expect(dialog).to_be_hidden()
    assert ticket_row(desk, ticket_id)["status"].value == "assigned"

    ana.page.click("#resolve")
    expect(dialog).to_be_visible()
    tags = ana.locator("#resolve-tag option").all_inner_texts()
    for label in ("Answered", "Refund arranged", "Exchange", "Escalated", "Spam"):
        assert any(label in t for t in tags), tags
    ana.locator("#resolve-tag").select_option("refund_arranged")
    screens.take(ana.page, "resolve-dialog")
    ana.page.click("#resolve-confirm")
    expect(dialog).to_be_hidden()
    ana.toast(re.compile("resolved", re.I))
    screens.take(ana.page, "resolved-toast")
    row = ticket_row(desk, ticket_id)
    assert row["status"].value == "resolved" and row["resolution_tag"] == "refund_arranged"
    assert row["resolved_at"] >= row["assigned_at"]
    chat.message("system", "You're back with the assistant")

    ana.show("resolved")  # the search for it still applies
    card = ana.card(ticket_id)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Refund arranged")

    # The shopper's widget asks for a rating; 4 with a comment.
    csat = chat.locator(".csat")
    expect(csat).to_be_visible(timeout=30_000)
    expect(csat.locator("button[data-score]")).to_have_count(5)
    csat.scroll_into_view_if_needed()  # the long answer before left the log at its start, below the new ones
    screens.take(shopper, "widget-asks-for-a-rating")
    csat.locator('button[data-score="4"]').click()
    csat.locator("textarea").fill("Quick and kind, thank you <3")
    csat.locator("button[type=submit], .csat-send").first.click()
    expect(csat).to_contain_text(re.compile("thank", re.I), timeout=10_000)
    screens.take(shopper, "widget-rated")
    row = ticket_row(desk, ticket_id)
    assert row["csat_score"] == 4 and row["csat_comment"] == "Quick and kind, thank you <3"

    ana.open(ticket_id)
    shown = ana.locator("#csat")
    expect(shown).to_contain_text("4", timeout=10_000)
    expect(shown).to_contain_text("Quick and kind, thank you <3")
    screens.take(ana.page, "console-shows-the-rating")

    # 72 business hours later (the follow-up's due time set back): a task for Ana, who resolved it (the
    # shopper left no email).
    follow_up = in_database(desk, lambda s: s.execute(select(FollowUp).where(
        FollowUp.ticket_id == ticket_id)).scalar_one().assigned_agent_id)
    assert follow_up == desk.people["ana"].id
    moved_at = ana.page.evaluate("() => Date.now()")

    def due_now(session):
        session.execute(select(FollowUp).where(FollowUp.ticket_id == ticket_id)).scalar_one().due_at = \
            utcnow() - timedelta(minutes=1)
    in_database(desk, due_now)
    ana.page.wait_for_function("""([id, since]) => window.__live.some(e => e.type === "ticket" && e.at >= since
        && JSON.parse(e.data).id === id && JSON.parse(e.data).kind === "follow_up")""", arg=[ticket_id, moved_at],
        timeout=10_000)
    ana.show("follow-ups")
    task = ana.locator(f'#ticket-list li[data-follow-up][data-ticket="{ticket_id}"]')
    expect(task).to_be_visible()
    screens.take(ana.page, "follow-up-task")
    task.get_by_role("button", name="Done").click()
    ana.toast(re.compile("done", re.I))
    expect(task).to_be_hidden()
    assert in_database(desk, lambda s: s.execute(select(FollowUp.state).where(
        FollowUp.ticket_id == ticket_id)).scalar_one()) == "done"
    assert ana.page.errors == [] and shopper.errors == []
