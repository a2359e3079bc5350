"""What the agent console's browser tests share (tests/browser/test_console_*.py): their servers, the
desk's people (two agents and a supervisor, each in a browser context of their own), a queue of tickets
seeded in the database with their conversations in Rasa's tracker store, and the console as an agent
sees it (the hooks the console's HTML promises: views, filters, cards, dialogs, toast).

Times: the database holds naive UTC datetimes, the tracker store epoch seconds (Rasa's clock); both are
the same machine's clock as the browser's Date.now(), so arrival times compare directly."""
import json
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, List, Optional

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from bot.database_urls import for_application
from bot.db import session_scope
from bot.db.models import Order, OrderStatus, Role, Shipment, Ticket
from bot.desk.accounts import create_user
from bot.environments import rasa_child_environment, rasa_python
from bot.handoff.queue import Summary, claim, open_ticket, resolve
from bot.settings import PROJECT_ROOT
from tests.browser.conftest import AGENT_PASSWORD, Screens

CONSOLE_SIZE = {"width": 1280, "height": 800}
API_HEADERS = {"X-Requested-With": "desk"}


# -- the database ------------------------------------------------------------------------------------

def in_database(servers, work: Callable):
    engine = create_engine(for_application(servers.database_url))
    try:
        with session_scope(engine) as session:
            return work(session)
    finally:
        engine.dispose()


def epoch(moment: datetime) -> float:
    """A naive UTC datetime from the database as epoch seconds."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def ticket_of(servers, conversation_id: str) -> int:
    return in_database(servers, lambda s: s.execute(
        select(Ticket.id).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc())).scalars().first())


def ticket_row(servers, ticket_id: int) -> dict:
    """The ticket's columns as stored (plain values)."""
    def read(session):
        ticket = session.get(Ticket, ticket_id)
        return {column.name: getattr(ticket, column.key) for column in Ticket.__table__.columns}
    return in_database(servers, read)


# -- people ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    key: str
    email: str
    name: str
    role: Role
    id: int = 0


PEOPLE = (("ana", "Ana", Role.agent), ("ben", "Ben", Role.agent), ("sue", "Sue", Role.supervisor))


def add_people(servers) -> Dict[str, Person]:
    """Two agents (Ana, Ben) and a supervisor (Sue), as `python -m bot user add` creates them."""
    def add(session):
        people = {}
        for key, name, role in PEOPLE:
            email = f"{key}.console@shop.example"
            user = create_user(session, email=email, password=AGENT_PASSWORD, role=role, name=name)
            session.flush()
            people[key] = Person(key, email, name, role, user.id)
        return people
    return in_database(servers, add)


# -- the seeded queue ------------------------------------------------------------------------------

# Shopper text the cards must clamp, wrap and escape: markup, emoji, a word longer than any card.
MARKUP = "<img src=x onerror=alert(1)><b>bold?</b>"
LONG_LINES = {
    "markup": (f"{MARKUP} WHERE is my parcel?? I have waited for three weeks now 😡📦 and nobody answers. "
               + "Every day I check the tracking and every day it says the same thing 😤 " * 4),
    "spaceless": "pleasepleasepleasehelpme" * 12,
    "emoji": "😡" * 60 + " refund now",
}
SEARCH_WORD = "quokkaplush"  # in one seeded conversation's earlier line only: found through the transcript
PREVIEW_WORD = "marmalade"  # in one seeded ticket's latest line (its preview)


@dataclass
class Seeded:
    id: int
    conversation_id: str
    reason: str
    level: str
    minutes: int
    state: str  # waiting, ana, ben, resolved:<tag>
    verified_order: Optional[str]
    lines: List[str] = field(default_factory=list)


# reason, peak level, minutes waiting, state, verified order?, latest line (or a LONG_LINES key)
QUEUE = (
    ("requested", "none", 1, "waiting", False, "Can I talk to a person please"),
    ("anger", "furious", 3, "waiting", True, "markup"),
    ("repeated", "annoyed", 7, "waiting", False, "I asked three times where my refund is"),
    ("late_order", "angry", 12, "waiting", True, "My order is a week late, this is unacceptable"),
    ("requested", "none", 18, "waiting", False, "spaceless"),
    ("anger", "angry", 25, "waiting", False, "emoji"),
    ("verification", "annoyed", 33, "waiting", False, "I can't verify my order, the postcode is right"),
    ("requested", "none", 41, "waiting", True, f"Do you sell {PREVIEW_WORD} gift boxes? I need a person"),
    ("offline_message", "none", 52, "waiting", False, "Please email me about my exchange"),
    ("anger", "furious", 64, "waiting", False, "markup"),
    ("repeated", "none", 75, "waiting", False, "Which size should I take, I asked before"),
    ("requested", "annoyed", 88, "waiting", False, "A human please, the bot does not get it"),
    ("late_order", "annoyed", 95, "waiting", True, "Still no parcel after the estimate"),
    ("anger", "angry", 110, "waiting", False, "spaceless"),
    ("requested", "none", 130, "waiting", False, "Can someone check my address change"),
    ("repeated", "annoyed", 150, "waiting", False, "emoji"),
    ("requested", "none", 170, "waiting", False, "I want to speak to an agent"),
    ("anger", "annoyed", 190, "waiting", False, "Your delivery partner lost my parcel"),
    ("requested", "none", 205, "waiting", False, "Could a person look at my return"),
    ("verification", "none", 220, "waiting", False, "The order number is on the receipt"),
    ("anger", "furious", 235, "waiting", True, "emoji"),
    ("requested", "annoyed", 250, "waiting", False, "Hello?? Anyone there?"),
    ("late_order", "none", 14, "ana", True, "When will the courier come"),
    ("requested", "none", 6, "ana", True, "Ana, can you check the tracking again"),
    ("anger", "angry", 22, "ana", False, "markup"),
    ("repeated", "none", 40, "ben", False, "Is the exchange on its way"),
    ("requested", "none", 55, "ben", True, "Thanks, waiting for the label"),
    ("requested", "none", 240, "resolved:answered", False, "Thanks for the help"),
    ("anger", "angry", 300, "resolved:refund_arranged", True, "I want my money back"),
    ("late_order", "annoyed", 360, "resolved:exchange", True, "Swap it for a size M"),
    ("requested", "none", 420, "resolved:spam", False, "buy cheap watches"),
    ("repeated", "annoyed", 480, "resolved:escalated", False, "Nobody helps me"),
)
SCORES = {"none": 0.05, "annoyed": 0.3, "angry": 0.6, "furious": 0.9}  # lexicons/anger.yml levels


def _latest_line(text: str) -> str:
    return LONG_LINES.get(text, text)


def _orders_in_transit(session) -> List[tuple]:
    return list(session.execute(
        select(Order.number, Order.shipping_postcode).join(Shipment, Shipment.order_id == Order.id)
        .where(Order.status == OrderStatus.in_transit).order_by(Order.number)).all())


def seed_queue(servers, people: Dict[str, Person]) -> List[Seeded]:
    """The queue a busy morning leaves (QUEUE): tickets opened as the handoff opens them, some claimed by
    Ana or Ben, some resolved with a tag; each with its conversation in the tracker store (the first one
    with SEARCH_WORD in an earlier line), so the console reads it as it reads a real one."""
    now = utcnow()
    seeded: List[Seeded] = []
    conversations: Dict[str, list] = {}

    def add(session):
        orders = _orders_in_transit(session)
        for index, (reason, level, minutes, state, verified, text) in enumerate(QUEUE):
            at = now - timedelta(minutes=minutes)
            conversation_id = f"seed-{index:02d}-{reason}"
            order = orders[index % len(orders)][0] if verified else None
            lines = [f"Hello, I have a question about my {SEARCH_WORD} order" if index == 0 else "hello",
                     _latest_line(text)]
            slots = {"order_number": order, "verified_order": order, "order_verified": True} if order else {}
            summary = Summary([lines[-1]], slots, [{"from": "shopper", "text": line} for line in lines])
            ticket = open_ticket(session, conversation_id=conversation_id, reason=reason, peak_anger=SCORES[level],
                                 peak_level=level, summary=summary, now=at)
            session.flush()
            if state in ("ana", "ben") or state.startswith("resolved"):
                holder = people["ana" if state != "ben" else "ben"].id
                claim(session, ticket_id=ticket.id, agent_id=holder, now=at + timedelta(minutes=1))
                if state.startswith("resolved"):
                    resolve(session, ticket_id=ticket.id, agent_id=holder, now=at + timedelta(minutes=9),
                            tag=state.split(":")[1])
            seeded.append(Seeded(ticket.id, conversation_id, reason, level, minutes, state, order, lines))
            conversations[conversation_id] = _conversation(lines, level, epoch(at))

    in_database(servers, add)
    store_conversations(servers.database_url, conversations)
    return seeded


def _conversation(lines: List[str], level: str, end: float) -> List[dict]:
    """The tracker events of a handed-off conversation whose last shopper line was at `end`."""
    from bot.chat.events import handoff_message

    events: List[dict] = []
    start = end - 60 * len(lines)
    for number, line in enumerate(lines):
        at = end if number == len(lines) - 1 else start + 60 * number
        events.append({"event": "user", "text": line, "timestamp": at,
                       "parse_data": {"intent": {"name": "human_handoff", "confidence": 0.93}, "entities": [],
                                      "text": line,
                                      "anger": {"score": SCORES[level] if number else 0.05,
                                                "level": level if number else "none", "cues": []}}})
        if number < len(lines) - 1:
            events.append({"event": "bot", "text": "I can help with orders, returns and sizes.", "timestamp": at + 1,
                           "data": {}})
    message = handoff_message("I'm connecting you with a person from our team.", position=1, open_now=True)
    events.append({"event": "bot", "text": None, "timestamp": end + 0.5, "data": {"custom": {"data": message}}})
    events.append({"event": "pause", "timestamp": end + 0.6})
    return events


WRITER = """
import asyncio, json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from bot.settings import PROJECT_ROOT
from bot.tracker_store import DatabaseUrlTrackerStore

conversations = json.load(sys.stdin)
store = DatabaseUrlTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")), url=sys.argv[1])
async def save_all():
    for sender, events in conversations.items():
        await store.save(DialogueStateTracker.from_events(sender, [Event.from_parameters(e) for e in events]))
asyncio.run(save_all())
store.engine.dispose()
"""


def store_conversations(database_url: str, conversations: Dict[str, list]) -> None:
    """Save conversations through Rasa's own SQL tracker store, in the Rasa environment, in one process
    (tests/rasa/tracker_writer.py does one conversation per process)."""
    subprocess.run([rasa_python(), "-c", WRITER, database_url], input=json.dumps(conversations), text=True,
                   cwd=PROJECT_ROOT, env=rasa_child_environment(), check=True, capture_output=True, timeout=300)


# -- the console ---------------------------------------------------------------------------------

# Records when elements first appear (Date.now(), the same clock as the servers'), so that a test can
# compare an arrival with the time the database stored it, without polling from the test.
ARRIVALS = """
window.__arrivals = {};
window.__watches = [];
window.__watch = (key, selector, text) => { window.__watches.push({key, selector, text}); window.__check(); };
window.__check = () => {
  for (const watch of window.__watches) {
    if (window.__arrivals[watch.key]) continue;
    const found = [...document.querySelectorAll(watch.selector)]
      .some(element => !watch.text || (element.textContent || "").includes(watch.text));
    if (found) window.__arrivals[watch.key] = Date.now();
  }
};
window.__cards = {};  // ticket id -> when a card or line of it was first on screen
window.__seeCards = () => {
  for (const element of document.querySelectorAll('#ticket-list [data-ticket]')) {
    if (!window.__cards[element.dataset.ticket]) window.__cards[element.dataset.ticket] = Date.now();
  }
};
new MutationObserver(() => { window.__check(); window.__seeCards(); })
  .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
// The live feed's events as they reach the page, for saying where an arrival's time went.
window.__live = [];
if (window.EventSource) {
  const Original = window.EventSource;
  window.EventSource = function (...args) {
    const source = new Original(...args);
    for (const type of ["ticket", "message", "alert"]) {
      source.addEventListener(type, event => window.__live.push({type, data: event.data, at: Date.now()}));
    }
    return source;
  };
  window.EventSource.prototype = Original.prototype;
}
// Desktop notifications are asked for with a click, never on load: count the asks; keep the notices shown.
window.__permissionAsks = 0;
window.__notifications = [];
if (window.Notification) {
  const Original = window.Notification;
  const ask = Original.requestPermission.bind(Original);
  const Recorded = function (title, options) {
    window.__notifications.push({title, body: (options || {}).body || "", at: Date.now()});
    return new Original(title, options);
  };
  Recorded.prototype = Original.prototype;
  Object.defineProperty(Recorded, "permission", {get: () => Original.permission});
  Recorded.requestPermission = (...args) => { window.__permissionAsks += 1; return ask(...args); };
  window.Notification = Recorded;
}
"""


class Console:
    """One person's console in a browser context of their own."""

    def __init__(self, page: Page, person: Person, servers):
        self.page, self.person, self.servers = page, person, servers

    def locator(self, selector: str):
        return self.page.locator(selector)

    # inbox
    def view(self, name: str):
        return self.page.locator(f'#views [data-view="{name}"]')

    def count(self, name: str) -> int:
        text = self.view(name).locator(".count").inner_text().strip()
        return int(text) if text.isdigit() else 0

    def show(self, name: str) -> None:
        self.view(name).click()
        expect(self.view(name)).to_have_attribute("aria-current", re.compile(r"page|true"))

    @property
    def cards(self):
        return self.page.locator("#ticket-list li[data-ticket]")

    def card(self, ticket_id: int):
        return self.page.locator(f'#ticket-list li[data-ticket="{ticket_id}"]')

    def shown_ids(self) -> List[int]:
        return [int(i) for i in self.cards.evaluate_all("items => items.map(i => i.dataset.ticket)")]

    def open(self, ticket_id: int) -> None:
        self.card(ticket_id).click()
        expect(self.page.locator("#conversation")).to_be_visible()

    # the API the console uses, with this person's cookie
    def api(self, path: str) -> dict:
        response = self.page.request.get(self.servers.desk_url + path, headers=API_HEADERS)
        assert response.ok, f"{path}: {response.status} {response.text()[:200]}"
        return response.json()

    def arrivals(self) -> dict:
        return self.page.evaluate("() => window.__arrivals")

    def watch(self, key: str, selector: str, text: str = "") -> None:
        self.page.evaluate("([key, selector, text]) => window.__watch(key, selector, text)", [key, selector, text])

    def toast(self, pattern):
        toast = self.page.locator("#toast")
        expect(toast).to_be_visible()
        expect(toast).to_contain_text(pattern)
        return toast


def open_console(browser, request, servers, person: Person, size: Optional[dict] = None,
                 permissions: Optional[List[str]] = None) -> Console:
    """`person` logged in on the console, in a browser context of their own (closed after the test, with a
    screenshot if the test failed); `permissions` the browser has granted the desk (e.g. notifications)."""
    # Only when asked: a list, even empty, turns every permission not in it from "ask" into "denied".
    context = browser.new_context(viewport=size or CONSOLE_SIZE, **({"permissions": permissions} if permissions else {}))
    context.add_init_script(ARRIVALS)
    page = context.new_page()
    page.errors, page.dialogs = [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))

    def finish():
        if getattr(request.node, "failed_call", False):
            Screens(f"{request.node.name}-failed-{person.key}").take(page, "at-failure")
        context.close()

    request.addfinalizer(finish)
    page.goto(f"{servers.desk_url}/console")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("#email", person.email)
    page.fill("#password", AGENT_PASSWORD)
    page.press("#password", "Enter")
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator("#me")).to_contain_text(person.name)
    # Loaded: the counts are in and the list shows its view (a view picked before would be replaced).
    expect(page.locator('#views [data-view="mine"] .count')).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator('#views [aria-current="page"], #views [aria-current="true"]')).to_have_count(1)
    return Console(page, person, servers)


def boxes_inside(page: Page, selector: str) -> List[str]:
    """The elements under `selector` whose content overflows their own box, is cut off sideways without an
    ellipsis, or whose box sticks out of the card that holds them: a description of each, empty when
    everything fits."""
    return page.evaluate("""selector => {
        const problems = [];
        for (const card of document.querySelectorAll(selector)) {
            const outer = card.getBoundingClientRect();
            if (card.scrollWidth > card.clientWidth + 1) problems.push(`#${card.dataset.ticket} scrolls sideways`);
            for (const element of card.querySelectorAll('*')) {
                const box = element.getBoundingClientRect();
                if (box.width === 0 && box.height === 0) continue;
                if (box.left < outer.left - 1 || box.right > outer.right + 1 || box.bottom > outer.bottom + 1)
                    problems.push(`#${card.dataset.ticket} ${element.tagName}.${element.className} sticks out`);
                const style = getComputedStyle(element);
                if (element.scrollWidth > element.clientWidth + 1 && style.overflowX === 'visible')
                    problems.push(`#${card.dataset.ticket} ${element.tagName}.${element.className} overflows`);
                // Text cut off sideways without an ellipsis reads as a different word ("Unassigne"); a flex
                // or grid box draws no ellipsis whatever its text-overflow says.
                const ownText = [...element.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                const ellipsis = style.textOverflow === 'ellipsis' && !/flex|grid/.test(style.display);
                if (ownText && element.scrollWidth > element.clientWidth + 1 && style.overflowX !== 'visible'
                        && !ellipsis)
                    problems.push(`#${card.dataset.ticket} ${element.tagName}.${element.className} cut off: ${element.textContent.trim().slice(0, 30)}`);
            }
        }
        return problems;
    }""", selector)



def shopper_line_stored_at(servers, conversation_id: str, text: str) -> float:
    """When Rasa logged the shopper's message `text` (its user event's timestamp, epoch seconds): no later
    than the moment the tracker store wrote it."""
    from sqlalchemy import text as sql

    return in_database(servers, lambda s: s.execute(sql(
        "SELECT timestamp FROM events WHERE sender_id = :sender AND type_name = 'user' AND data LIKE :text "
        "ORDER BY id DESC"), {"sender": conversation_id, "text": f"%{text}%"}).scalars().first())


@contextmanager
def console_servers(tmp_path_factory, kb, knowledge_base: Optional[Callable] = None, seed: bool = True):
    """The real servers for the console's journeys (the team on duty around the clock unless
    `knowledge_base` makes another one; mail to a local SMTP server; the SLA sweep every second), with
    Ana, Ben and Sue, and the seeded queue (`running.queue`)."""
    from tests.conftest import always_on_duty_knowledge_base, seeded_servers

    directory = tmp_path_factory.mktemp("console")
    knowledge_base = (knowledge_base or always_on_duty_knowledge_base)(directory)
    with seeded_servers(directory, kb, knowledge_base, {"SLA_SWEEP_SECONDS": "1"}) as running:
        running.people = add_people(running)
        running.queue = seed_queue(running, running.people) if seed else []
        yield running


# -- what each view and filter should hold, read from the database on its own terms ----------------

def anger_level_of(peak_anger: int) -> str:
    """The level of a peak anger (0-100) by lexicons/anger.yml's lower bounds."""
    import yaml

    bounds = yaml.safe_load((PROJECT_ROOT / "lexicons" / "anger.yml").read_text())["levels"]
    level = "none"
    for name in ("annoyed", "angry", "furious"):
        if peak_anger / 100 >= float(bounds[name]):
            level = name
    return level


def tickets_where(servers, keep: Callable) -> set:
    """Ids of the tickets for which keep(ticket, now) is true, as stored now."""
    def read(session):
        now = utcnow()
        return {ticket.id for ticket in session.execute(select(Ticket)).scalars() if keep(ticket, now)}
    return in_database(servers, read)


def is_open(ticket) -> bool:
    return ticket.status.value in ("waiting", "assigned")


def in_view(view: str, me_id: int) -> Callable:
    rules = {
        "unassigned": lambda t: t.status.value == "waiting",
        "mine": lambda t: t.status.value == "assigned" and t.assigned_agent_id == me_id,
        "open": is_open,
        "resolved": lambda t: t.status.value in ("resolved", "abandoned"),
        "waiting": lambda t: is_open(t) and (t.last_agent_at is None or (t.last_shopper_at or t.created_at)
                                            > t.last_agent_at),
    }
    return lambda ticket, now: rules[view](ticket)
