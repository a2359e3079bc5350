"""The agent console's inbox in a real browser (1280x800), on the real servers and a queue of 32 seeded
tickets (27 open): views and their counts, each filter and the full-text search, cards that clamp and
escape the shopper's text, Mine without scrolling, the keyboard; then live arrival: a shopper hands off in
the widget and writes again, and another agent's console shows both within a second of their storing,
with the unread count in the title. Screenshots in test-artifacts/browser/console-*/."""
import re
import uuid
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.chat import Chat
from tests.browser.conftest import AGENT_PASSWORD, Screens
from tests.browser.console import (CONSOLE_SIZE, LONG_LINES, Console, MARKUP, PREVIEW_WORD, SEARCH_WORD, anger_level_of, boxes_inside,
                                   console_servers, epoch, in_view, is_open, open_console, shopper_line_stored_at,
                                   ticket_of, ticket_row, tickets_where)
from tests.browser.test_widget_expectations import new_shopper

pytestmark = [pytest.mark.integration, pytest.mark.browser]
VIEWS = ("waiting", "mine", "unassigned", "open", "resolved")
ANGRY_HANDOFF = "This is the third time I ask, you scammers!! I'm filing a chargeback"


@pytest.fixture(scope="module")
def desk(tmp_path_factory, kb):
    with console_servers(tmp_path_factory, kb) as running:
        yield running


def seeded(desk, **match):
    return [t for t in desk.queue if all(getattr(t, k) == v for k, v in match.items())]


def expect_ids(console, expected: set, timeout: float = 5_000) -> None:
    """The list shows exactly `expected` (all on its first page)."""
    console.page.wait_for_function(
        """ids => { const shown = [...document.querySelectorAll('#ticket-list li[data-ticket]')]
                      .map(li => Number(li.dataset.ticket)).sort((a, b) => a - b);
                    return JSON.stringify(shown) === JSON.stringify(ids); }""",
        arg=sorted(expected), timeout=timeout)


def shown_or_fail(console, expected: set, what: str) -> None:
    try:
        expect_ids(console, expected)
    except Exception:
        shown = set(console.shown_ids())
        raise AssertionError(f"{what}: missing {sorted(expected - shown)}, not expected {sorted(shown - expected)}")


def test_views_counts_filters_and_search(desk, browser, request):
    screens = Screens("console-inbox")
    ana = desk.people["ana"]
    console = open_console(browser, request, desk, ana)
    page = console.page

    for view in VIEWS:
        expected = len(tickets_where(desk, in_view(view, ana.id)))
        expect(console.view(view).locator(".count")).to_have_text(str(expected))
    # Mine is in sight on arrival, and the list opens on it (Ana holds tickets).
    assert page.evaluate("() => window.scrollY") == 0
    mine_box = console.view("mine").bounding_box()
    assert mine_box and 0 <= mine_box["y"] and mine_box["y"] + mine_box["height"] <= 800, mine_box
    console.show("mine")
    mine = tickets_where(desk, in_view("mine", ana.id))
    shown_or_fail(console, mine, "Mine")
    for ticket_id in mine:
        card = console.card(ticket_id)
        expect(card).to_have_attribute("data-status", "assigned")
        expect(card).not_to_contain_text("Unassigned")  # it reads as hers, not as still waiting for someone
        expect(card).to_contain_text("Yours")
        expect(card).to_be_in_viewport()
    screens.take(page, "mine")

    # All open: 27 and more, 25 a page.
    console.show("open")
    everything_open = tickets_where(desk, in_view("open", ana.id))
    assert len(everything_open) >= 27
    expect(console.cards).to_have_count(25)
    expect(page.locator("#page-info")).to_contain_text(str(len(everything_open)))
    first_page = set(console.shown_ids())
    screens.take(page, "all-open")
    page.click("#page-next")
    expect(console.cards).to_have_count(len(everything_open) - 25)
    second_page = set(console.shown_ids())
    assert not first_page & second_page and first_page | second_page == everything_open
    page.click("#page-prev")
    expect(console.cards).to_have_count(25)

    # Sorted by priority (anger, and anger as the reason) first, then the SLA clock due soonest.
    rows = [ticket_row(desk, i) for i in console.shown_ids()]
    order = [(-row["priority"], row["sla_due_at"] or datetime.max) for row in rows]
    assert order == sorted(order), [(row["id"], row["priority"], str(row["sla_due_at"])) for row in rows]

    # Each filter narrows the list to exactly the tickets that match it.
    page.select_option("#filter-reason", "anger")
    shown_or_fail(console, tickets_where(desk, lambda t, now: is_open(t) and t.reason == "anger"), "reason anger")
    screens.take(page, "filter-reason-anger")
    page.select_option("#filter-anger", "furious")
    shown_or_fail(console, tickets_where(desk, lambda t, now: is_open(t) and t.reason == "anger"
                                         and anger_level_of(t.peak_anger) == "furious"), "angry and furious")
    page.select_option("#filter-reason", "")
    shown_or_fail(console, tickets_where(desk, lambda t, now: is_open(t)
                                         and anger_level_of(t.peak_anger) == "furious"), "furious")
    page.select_option("#filter-anger", "")

    page.fill("#filter-waiting", "100")
    page.press("#filter-waiting", "Enter")
    over_100 = tickets_where(desk, lambda t, now: is_open(t) and t.first_reply_at is None
                             and (now - t.created_at).total_seconds() > 100 * 60)
    assert 0 < len(over_100) < len(everything_open)
    shown_or_fail(console, over_100, "waiting over 100 minutes")
    page.fill("#filter-waiting", "")
    page.press("#filter-waiting", "Enter")

    page.check("#filter-verified")
    verified = tickets_where(desk, lambda t, now: is_open(t) and t.verified_order is not None)
    assert 0 < len(verified) < len(everything_open)
    shown_or_fail(console, verified, "verified order")
    screens.take(page, "filter-verified")
    page.uncheck("#filter-verified")

    # SLA: the breached set only grows while the test reads it.
    before = tickets_where(desk, lambda t, now: is_open(t) and t.sla_due_at is not None and t.sla_due_at <= now)
    assert before, "no ticket has a breached SLA clock (is the SLA sweep running?)"
    with page.expect_response(lambda r: "/api/tickets?" in r.url and "sla=breached" in r.url) as answer:
        page.select_option("#filter-sla", "breached")
    answered = {t["id"] for t in answer.value.json()["tickets"]}
    after = tickets_where(desk, lambda t, now: is_open(t) and t.sla_due_at is not None and t.sla_due_at <= now)
    shown_or_fail(console, answered, "SLA breached")
    assert len(answered) == min(25, answer.value.json()["total"])
    assert answered <= after and (before <= answered or len(answered) == 25), \
        (sorted(before), sorted(answered), sorted(after))
    for state in console.cards.locator(".sla-clock").evaluate_all("els => els.map(e => e.dataset.state)"):
        assert state == "breached"
    screens.take(page, "filter-sla-breached")
    page.select_option("#filter-sla", "")

    # Full-text search: a word only in an earlier line of one conversation (the transcript), a word of
    # one ticket's latest line.
    page.fill("#search", SEARCH_WORD)
    page.press("#search", "Enter")
    shown_or_fail(console, {seeded(desk, conversation_id="seed-00-requested")[0].id}, "search in transcripts")
    screens.take(page, "search-transcript")
    page.fill("#search", PREVIEW_WORD)
    page.press("#search", "Enter")
    shown_or_fail(console, {t.id for t in desk.queue if PREVIEW_WORD in t.lines[-1]}, "search in previews")

    # Resolved, with its own search.
    page.fill("#search", "")
    page.press("#search", "Enter")
    console.show("resolved")
    shown_or_fail(console, tickets_where(desk, in_view("resolved", ana.id)), "Resolved")
    page.fill("#search", "watches")
    page.press("#search", "Enter")
    spam = [t for t in desk.queue if t.state == "resolved:spam"][0]
    shown_or_fail(console, {spam.id}, "search in Resolved")
    expect(console.card(spam.id)).to_contain_text("Spam")
    screens.take(page, "resolved-search")
    assert page.errors == [] and page.dialogs == []


def test_cards_clamp_wrap_and_escape_the_shoppers_text(desk, browser, request):
    screens = Screens("console-cards")
    console = open_console(browser, request, desk, desk.people["ben"])
    page = console.page
    console.show("unassigned")
    long_ones = [t.id for t in desk.queue if t.lines[-1] in LONG_LINES.values() and t.state == "waiting"]
    short = [t.id for t in desk.queue if t.lines[-1] == "Can I talk to a person please"][0]
    for ticket_id in long_ones + [short]:
        expect(console.card(ticket_id)).to_be_visible()
    screens.take(page, "unassigned")

    problems = boxes_inside(page, "#ticket-list li[data-ticket]")
    assert problems == [], problems
    list_box = page.locator("#ticket-list").bounding_box()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    short_height = console.card(short).bounding_box()["height"]
    for ticket_id in long_ones:
        box = console.card(ticket_id).bounding_box()
        assert box["x"] + box["width"] <= list_box["x"] + list_box["width"] + 1
        assert box["height"] <= short_height * 1.6, f"#{ticket_id} is {box['height']}px high, a short one {short_height}px"

    # Markup is text: shown as written, never run or drawn.
    markup_card = console.card([t.id for t in desk.queue if t.lines[-1] == LONG_LINES["markup"]
                                and t.state == "waiting"][0])
    expect(markup_card).to_contain_text(MARKUP)
    assert page.locator("#ticket-list img, #ticket-list b").count() == 0
    assert page.dialogs == [] and page.errors == []


def test_keyboard_moves_claims_and_explains(desk, browser, request):
    screens = Screens("console-keyboard")
    ana = desk.people["ana"]
    console = open_console(browser, request, desk, ana)
    page = console.page
    console.show("unassigned")
    expect(console.cards.first).to_be_visible()
    ids = console.shown_ids()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no field takes the letters

    def current():
        """The card under the keyboard cursor (the listbox's selected option): its place in the list."""
        return page.evaluate("""() => [...document.querySelectorAll('#ticket-list li[data-ticket]')]
            .findIndex(item => item.getAttribute('aria-selected') === 'true')""")

    start = current()
    page.keyboard.press("j")
    page.wait_for_function(f"() => document.querySelectorAll('#ticket-list li[aria-selected=\"true\"]')[0]"
                           f" === document.querySelectorAll('#ticket-list li[data-ticket]')[{start + 1}]")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current() == start + 2
    claimed = ids[start + 2]
    screens.take(page, "cursor-moved")

    page.keyboard.press("c")
    console.toast(re.compile("claimed|yours", re.I))
    expect(console.card(claimed)).to_be_hidden()  # no longer unassigned
    row = ticket_row(desk, claimed)
    assert row["status"].value == "assigned" and row["assigned_agent_id"] == ana.id
    expect(console.view("mine").locator(".count")).to_have_text(
        str(len(tickets_where(desk, in_view("mine", ana.id)))))

    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    keys = [k.strip() for k in page.locator("#keys-help kbd").all_inner_texts()]
    for key in ("j", "k", "c", "r", "e", "/", "?", "Esc"):
        assert any(k == key or k.startswith(key) for k in keys), (key, keys)
    screens.take(page, "keys-help")
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    assert page.errors == []


def test_a_view_clicked_while_the_console_starts_stays(desk, browser, request):
    """The first list answer opens Mine when the agent holds conversations, unless the agent picked a view
    meanwhile: Waiting clicked while that first answer is still on its way stays Waiting."""
    ana = desk.people["ana"]
    assert tickets_where(desk, in_view("mine", ana.id)), "Ana holds nothing: Waiting would be picked anyway"
    context = browser.new_context(viewport=CONSOLE_SIZE)
    request.addfinalizer(context.close)
    page = context.new_page()
    held = []

    def hold_the_first_list(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/tickets?*", hold_the_first_list)
    page.goto(f"{desk.desk_url}/console")
    page.fill("#email", ana.email)
    page.fill("#password", AGENT_PASSWORD)
    page.press("#password", "Enter")
    expect(page.locator("#me")).to_contain_text(ana.name)  # the first list request is on its way
    page.click('#views [data-view="waiting"]')
    assert held, "the console's first list request never left"
    console = Console(page, ana, desk)
    expect(console.cards.first).to_be_visible()
    expect(page.locator("#list-title")).to_have_text("Waiting")
    expect(console.view("waiting")).to_have_attribute("aria-current", "true")
    with page.expect_request_finished(lambda r: r.url == held[0].request.url):
        held[0].continue_()
    page.evaluate("() => new Promise(done => setTimeout(done, 0))")  # the late answer handled
    expect(page.locator("#list-title")).to_have_text("Waiting")
    expect(console.view("waiting")).to_have_attribute("aria-current", "true")
    assert set(console.shown_ids()) <= tickets_where(desk, in_view("waiting", ana.id))


def test_notifications_are_asked_for_with_a_click_only(desk, browser, request):
    console = open_console(browser, request, desk, desk.people["ben"])
    page = console.page
    expect(console.cards.first).to_be_visible()
    assert page.evaluate("() => window.__permissionAsks") == 0
    page.click("#notifications")
    page.wait_for_function("() => window.__permissionAsks === 1")
    sound = page.locator("#sound")
    pressed = sound.get_attribute("aria-pressed")
    sound.click()
    expect(sound).not_to_have_attribute("aria-pressed", pressed or "")


def test_a_desktop_notification_only_while_the_tab_is_in_the_background(desk, browser, request):
    console = open_console(browser, request, desk, desk.people["ben"], permissions=["notifications"])
    page = console.page
    page.click("#notifications")
    expect(page.locator("#notifications")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => window.__permissionAsks") == 0  # granted already: nothing to ask

    def hand_off() -> int:
        sender = f"console-{uuid.uuid4().hex}"
        desk.say(sender, "I want to talk to a human")
        ticket_id = ticket_of(desk, sender)
        page.wait_for_function("""id => window.__live.some(e => e.type === "ticket"
            && JSON.parse(e.data).id === id && JSON.parse(e.data).kind === "created")""", arg=ticket_id)
        return ticket_id

    unassigned = console.count("unassigned")
    in_front = hand_off()  # the agent is looking at the console: the list says it, no notice
    expect(console.view("unassigned").locator(".count")).to_have_text(str(unassigned + 1))  # taken in
    page.evaluate("""() => {
        Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
        Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    behind = hand_off()
    page.wait_for_function("id => window.__notifications.some(n => n.body.includes('#' + id))", arg=behind)
    notices = page.evaluate("() => window.__notifications")
    assert not any(f"#{in_front}" in n["body"] for n in notices), notices
    assert any("New conversation" in n["title"] for n in notices), notices


def live_events(page, since: float) -> list:
    """The live feed's events that reached the page after `since` (epoch s): (type, data, seconds after)."""
    return [(e["type"], e["data"], round(e["at"] / 1000 - since, 3)) for e in page.evaluate("() => window.__live")
            if e["at"] / 1000 >= since - 1]


def test_a_new_ticket_and_a_new_message_arrive_live(desk, browser, request):
    """Ben watches Unassigned; a shopper hands off in the widget, then writes again while Ben has the
    ticket open. Both reach Ben's screen through the live feed, without a reload: the console polls only
    while its stream is down, every 30 s, so arriving within 5 s is the push. How fast (the issue's 1 s)
    is a figure, not an assertion: printed and saved with the screenshots, and measured under load by
    `make bench` (bench/desk_console.py, delivery p95)."""
    screens = Screens("console-live")
    ben = desk.people["ben"]
    console = open_console(browser, request, desk, ben)
    page = console.page
    console.show("unassigned")
    expect(console.cards.first).to_be_visible()
    unread = console.api("/api/tickets?view=unassigned")["unread"]
    expect(page).to_have_title(re.compile(rf"^\({unread}\) "))

    shopper = new_shopper(browser, request)
    shopper.goto(desk.desk_url + "/")
    chat = Chat(shopper)
    chat.open()
    chat.say(ANGRY_HANDOFF)
    expect(chat.banner).to_contain_text(re.compile(r"(number \d+|next) in the queue"), timeout=30_000)
    ticket_id = ticket_of(desk, chat.session_id())
    stored = epoch(ticket_row(desk, ticket_id)["created_at"])

    card = console.card(ticket_id)
    expect(card).to_be_visible(timeout=5_000)
    arrived = page.evaluate("id => window.__cards[id]", str(ticket_id)) / 1000
    screens.note(f"new ticket on screen {arrived - stored:.3f} s after its row")
    print(f"new ticket on screen {arrived - stored:.3f} s after its row; live events: {live_events(page, stored)}")
    expect(page).to_have_title(re.compile(rf"^\({unread + 1}\) "))
    screens.take(page, "new-ticket-arrived")

    console.open(ticket_id)
    expect(page.locator("#transcript")).to_contain_text("filing a chargeback")
    words = "Are you still there? The parcel never came"
    console.watch("message", '#transcript .line[data-from="shopper"]', words)
    chat.say(words)
    line = page.locator('#transcript .line[data-from="shopper"]').filter(has_text=words)
    expect(line).to_be_visible(timeout=5_000)
    expect(line.locator("time")).to_have_count(1)
    said = shopper_line_stored_at(desk, chat.session_id(), words)
    arrived = console.arrivals()["message"] / 1000
    screens.note(f"new message on screen {arrived - said:.3f} s after Rasa logged it")
    print(f"new message on screen {arrived - said:.3f} s after Rasa logged it; live events: {live_events(page, said)}")
    expect(card).to_contain_text("never came")  # the card's preview follows
    screens.take(page, "new-message-arrived")
    assert page.errors == [] and shopper.errors == []
