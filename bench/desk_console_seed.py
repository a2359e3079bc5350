"""The desk a console benchmark runs against (bench/desk_console.py): a shop's demo orders, agent and
supervisor accounts, and open tickets, each with the conversation that led to it in Rasa's tracker store.

Conversations are scripted per scenario (a late order, anger, a request for a person, a repeated
question, a failed verification, an out-of-hours message, an exchange), each ending in its handoff
reason, worded with the seeded orders' numbers, products and customers, and scored by our anger scorer
as the NLU pipeline scores them. They are saved by Rasa's own SQL tracker store in the Rasa environment (bench/tracker_seed.py); the tickets are
opened, claimed and assigned through the queue's functions, as the action server and the desk do, so each
has its history. Deterministic for a given seed value."""
import json
import random
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from bot.chat.events import agent_joined, agent_message, bot_event, handoff_message
from bot.db import create_schema, session_scope
from bot.db.models import Order, Role, Ticket, User
from bot.email_masking import mask_email
from bot.handoff.anger import AngerScorer
from bot.handoff.history import record
from bot.handoff.queue import PREVIEW_LENGTH, assign_waiting, claim, open_ticket, resolve
from bot.handoff.summary import build_summary, peak_anger

PASSWORD = "bench console password 1"
# Rasa's SQLTrackerStore.SQLEvent: what a row written outside Rasa (a shopper's message during the run)
# must fill, as Rasa's own save does.
EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
               Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
               Column("action_name", String(255)), Column("data", Text))
AGENT_NAMES = ["Alex", "Sam", "Priya", "Jordan", "Mei", "Tomás", "Aisha", "Lukas", "Nora", "Diego", "Hana",
               "Omar", "Elif", "Ben", "Chiara", "Kofi", "Ines", "Ravi", "Sofia", "Mateo", "Yara", "Finn",
               "Leila", "Jonas", "Marta"]
WAITING_LINES = ["hello? is anyone there?", "still waiting...", "ok I'll wait but please hurry",
                 "my email is {email} if that helps", "any news?", "I've been waiting for ages now",
                 "can someone please answer, this is getting ridiculous"]
AGENT_LINES = ["Hi {first}, I'm looking at order {order} now, one moment please.",
               "Thanks for waiting! I've checked with the carrier and I'll have an update for you shortly.",
               "I'm sorry about this. I can offer a free upgrade to express on a replacement.",
               "I've asked the warehouse; I'll get back to you within the hour."]
NOTES = ["Carrier says the parcel is held at the depot; asked for a redelivery.",
         "Offered store credit, waiting for the shopper to confirm.",
         "Second complaint this month, handle with care.", "Exchange label sent by email."]


@dataclass
class Line:
    """One shopper turn and the assistant's answer."""
    shopper: str
    intent: str
    bot: Optional[str] = None
    utter: str = "utter_default"
    slots: Dict[str, object] = field(default_factory=dict)


@dataclass
class Context:
    order: str
    postcode: str
    product: str
    email: str
    first: str
    country: str
    eta: str


def _scripts(c: Context, rng: random.Random) -> Dict[str, List[Line]]:
    """A conversation per scenario (SCENARIOS), in a few wordings."""
    verified = {"order_number": c.order, "verified_order": c.order, "verification": "verified"}
    pick = rng.choice
    return {
        "late_order": [
            Line(pick([f"hi, where is my order {c.order}?", f"order {c.order} hasn't arrived yet",
                       f"Where's my package? Order number {c.order}"]), "order_status",
                 "I can check that. What's the postcode on the order?", "utter_ask_postcode", {"order_number": c.order}),
            Line(c.postcode, "inform", f"Thanks! Order {c.order} is delayed; the carrier's new estimate is {c.eta}.",
                 "utter_order_status", verified),
            Line(pick(["it was supposed to arrive days ago, this is really frustrating",
                       "that's way too late, I paid for express", "seriously? again delayed?"]), "complain",
                 "I'm sorry it's late. I can pass you to a person who can look into it.", "utter_sorry_delay"),
            Line(pick([f"I need the {c.product} for a wedding on Saturday, can someone do something?",
                       "yes please, I need this sorted today"]), "affirm"),
        ],
        "anger": [
            Line(pick([f"my {c.product} arrived damaged", f"the {c.product} I got is torn",
                       f"you sent me a broken {c.product}"]), "complain",
                 "I'm sorry to hear that. Returns are free within 30 days; I can start one for you.", "utter_returns"),
            Line(pick(["this is the second time this happens, absolutely ridiculous",
                       "I don't want a return, I want it fixed, this is unacceptable"]), "complain",
                 "I understand this is frustrating.", "utter_acknowledge"),
            Line(pick(["I am furious, I want my money back NOW!!", "worst shop ever, give me a refund immediately!!!",
                       "this is a joke. REFUND. NOW.",
                       "This is absolutely UNACCEPTABLE!!! worst service ever, you are scammers, I will report you",
                       "are you kidding me?? this is a disgrace, I am done with this useless shop"]), "complain"),
        ],
        "requested": [
            Line(pick(["hello", "hi there", "hey"]), "greet",
                 "Hi! I can help with orders, returns, shipping and sizing.", "utter_greet"),
            Line(pick([f"can I change the delivery address for order {c.order}?",
                       f"I moved, can order {c.order} go to my new address in {c.country}?"]),
                 "change_shipping_address", "Let me check whether the order has left the warehouse.",
                 "utter_checking", {"order_number": c.order}),
            Line(pick(["I'd rather talk to a person please", "can I speak to a human?", "agent please"]),
                 "request_human"),
        ],
        "repeated": [
            Line(f"do you ship to {c.country}?", "ask_shipping",
                 "We ship to the US, Canada, the UK, the EU and Australia.", "utter_shipping"),
            Line(f"but how long does express shipping to {c.country} take?", "ask_shipping",
                 "Standard shipping takes 3-7 business days.", "utter_shipping"),
            Line(f"how long does EXPRESS take to {c.country}??", "ask_shipping",
                 "Standard shipping takes 3-7 business days.", "utter_shipping"),
            Line(f"express. to {c.country}. how long", "ask_shipping"),
        ],
        "verification": [
            Line(f"where is order {c.order}", "order_status", "What's the postcode on the order?",
                 "utter_ask_postcode", {"order_number": c.order}),
            Line("12345", "inform", "That postcode doesn't match the order. Could you check it?",
                 "utter_postcode_mismatch"),
            Line("54321", "inform", "That doesn't match either, sorry.", "utter_postcode_mismatch"),
            Line("I don't remember the exact one, it's my work address", "inform"),
        ],
        "exchange": [
            Line(f"I ordered the wrong size of the {c.product}, can I exchange it?", "ask_return_policy",
                 "Exchanges are free within 30 days. Start one from your order page.", "utter_returns",
                 {"product": c.product}),
            Line(f"the order page says order {c.order} can't be exchanged", "inform",
                 "I can pass you to a person who can do it for you.", "utter_offer_person"),
            Line("yes please, a person", "request_human"),
        ],
        "offline_message": [
            Line(pick(["is anyone there? my parcel never arrived", f"nobody answers the phone about {c.order}"]),
                 "order_status", "Our team is offline right now; leave your email and they'll write to you.",
                 "utter_handoff_offline"),
            Line(f"{c.email}, please email me about order {c.order}", "inform"),
        ],
    }


# scenario: (the handoff reason it ends in, how often it comes)
SCENARIOS = {"late_order": ("late_order", 5), "anger": ("anger", 4), "requested": ("requested", 4),
             "repeated": ("repeated", 2), "verification": ("verification", 2), "exchange": ("requested", 2),
             "offline_message": ("offline_message", 1)}


class Conversations:
    """Builds conversations as Rasa stores them: the events of a session up to the handoff."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.scorer = _scorer()

    def user(self, text: str, intent: str, at: float) -> dict:
        anger = self.scorer.score(text).as_dict()
        message_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        return {"event": "user", "timestamp": at, "text": text, "input_channel": "socketio", "message_id": message_id,
                "metadata": {}, "parse_data": {"intent": {"name": intent, "confidence": 0.91},
                                               "intent_ranking": [{"name": intent, "confidence": 0.91}],
                                               "entities": [], "text": text, "message_id": message_id,
                                               "anger": anger, "language": "en"}}

    def conversation(self, scenario: str, context: Context, started: float, handoff_at: float) -> List[dict]:
        """About twenty events: the session's start, the turns, and the handoff with the pause."""
        script = _scripts(context, self.rng)[scenario]
        reason = SCENARIOS[scenario][0]
        events: List[dict] = [{"event": "action", "name": "action_session_start", "timestamp": started},
                              {"event": "session_started", "timestamp": started},
                              {"event": "action", "name": "action_listen", "timestamp": started}]
        step = max(1.0, (handoff_at - started) / (len(script) + 1))
        at = started
        for line in script:
            at += step
            events.append(self.user(line.shopper, line.intent, at))
            for name, value in line.slots.items():
                events.append({"event": "slot", "name": name, "value": value, "timestamp": at + 0.2})
            if line.bot:
                events.append({"event": "action", "name": line.utter, "policy": "RulePolicy", "confidence": 1.0,
                               "timestamp": at + 0.3})
                events.append({"event": "bot", "text": line.bot, "data": {}, "metadata": {"utter_action": line.utter},
                               "timestamp": at + 0.3})
                events.append({"event": "action", "name": "action_listen", "timestamp": at + 0.4})
        position = self.rng.randint(1, 12)
        text = (f"I'm connecting you with a person from our team; you're number {position} in the queue."
                if reason != "offline_message" else
                "Our team is offline right now; someone will answer here tomorrow at 9:00.")
        events += [{"event": "slot", "name": "handoff_reason", "value": reason, "timestamp": handoff_at},
                   {"event": "action", "name": "action_handoff", "policy": "HandoffPolicy", "confidence": 1.0,
                    "timestamp": handoff_at},
                   dict(bot_event(handoff_message(text, position=position, open_now=reason != "offline_message")),
                        timestamp=handoff_at),
                   {"event": "slot", "name": "handoff_reason", "value": None, "timestamp": handoff_at},
                   {"event": "pause", "timestamp": handoff_at}]
        return events


@dataclass
class Seeded:
    """What the benchmark needs to know of the seeded desk."""
    agents: List[Tuple[int, str, str]]  # (user id, email, role), supervisors included
    open_ticket_ids: List[int]
    search_words: List[str]
    tracker_events: int
    tickets_by_status: Dict[str, int]
    contexts: List[Context]


def _contexts(session: Session, rng: random.Random) -> List[Context]:
    orders = session.execute(select(Order).options(selectinload(Order.customer), selectinload(Order.lines),
                                                   selectinload(Order.shipments))).scalars().all()
    contexts = []
    for order in orders:
        eta = order.shipments[0].estimated_delivery.strftime("%A %d %B") if order.shipments else "next week"
        contexts.append(Context(order=order.number, postcode=order.shipping_postcode,
                                product=order.lines[0].name if order.lines else "order",
                                email=order.customer.email, first=order.customer.name.split()[0],
                                country={"US": "the US", "CA": "Canada", "GB": "the UK", "DE": "Germany",
                                         "FR": "France", "AU": "Australia"}.get(order.shipping_country, "Norway"),
                                eta=eta))
    rng.shuffle(contexts)
    return contexts


def _users(session: Session, count: int) -> List[Tuple[int, str, str]]:
    """`count` desk accounts; one in ten a supervisor. Created with the desk's own account function."""
    from bot.desk.accounts import create_user

    made = []
    for number in range(count):
        role = Role.supervisor if number % 10 == 9 else Role.agent
        name = f"{AGENT_NAMES[number % len(AGENT_NAMES)]} {chr(65 + number // len(AGENT_NAMES))}."
        user = create_user(session, email=f"agent{number:02d}@desk.example", password=PASSWORD, role=role, name=name)
        made.append((user.id, user.email, role.value))
    return made


def utcnow() -> datetime:
    """The database's clock: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _epoch(moment: datetime) -> float:
    return (moment - datetime(1970, 1, 1)).total_seconds()


def seed(engine: Engine, database_url: str, *, agents: int, open_tickets: int, resolved_tickets: int,
         now: datetime, rasa_python: str, rasa_env: dict, cwd: str, seed_value: int = 13) -> Seeded:
    """Orders, accounts, tickets and their conversations, into an empty database."""
    from bot.db.seed import seed as seed_orders
    from bot.desk import sla
    from bot.desk.tickets import add_note
    from bot.knowledge import get_knowledge

    rng = random.Random(seed_value)
    builder = Conversations(rng)
    create_schema(engine)
    conversations: Dict[str, List[dict]] = {}
    by_status: Dict[str, int] = {}
    with session_scope(engine) as session:
        seed_orders(session, get_knowledge().kb, now.date())
    with session_scope(engine) as session:
        contexts = _contexts(session, rng)
        users = _users(session, agents)
    weights = [weight for _, weight in SCENARIOS.values()]
    plan = [(scenario, False) for scenario in rng.choices(list(SCENARIOS), weights=weights, k=open_tickets)]
    plan += [(scenario, True) for scenario in rng.choices(list(SCENARIOS), k=resolved_tickets)]
    open_ids: List[int] = []
    for index, (scenario, resolved) in enumerate(plan):
        reason = SCENARIOS[scenario][0]
        # Customers come back: a few of them have an earlier, resolved ticket besides the open one.
        context = contexts[index % (len(contexts) // 2) if resolved else index % len(contexts)]
        created = now - (timedelta(hours=rng.uniform(3, 44)) if resolved else timedelta(minutes=rng.uniform(1, 180)))
        conversation_id = uuid.UUID(int=rng.getrandbits(128)).hex
        handoff_at = _epoch(created)
        events = builder.conversation(scenario, context, handoff_at - rng.uniform(60, 600), handoff_at)
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
        score, level = peak_anger(events)
        with session_scope(engine) as session:
            ticket = open_ticket(session, conversation_id=conversation_id, reason=reason, peak_anger=score,
                                 peak_level=level, summary=build_summary(events, slots), now=created,
                                 client=f"10.{index // 250}.{index % 250}.7",
                                 customer_email=context.email if slots.get("verification") == "verified" else None)
            if reason == "offline_message":
                ticket.contact_email = context.email
            events += _after_handoff(session, ticket, users, context, builder, created, now, resolved)
            if rng.random() < 0.15:
                add_note(session, ticket_id=ticket.id, author_id=rng.choice(users)[0], text=rng.choice(NOTES),
                         now=min(now, created + timedelta(minutes=rng.uniform(1, 30))))
            sla.refresh_clock(session, ticket, now)
            session.flush()
            by_status[ticket.status.value] = by_status.get(ticket.status.value, 0) + 1
            if not resolved:
                open_ids.append(ticket.id)
        conversations[conversation_id] = events
    stored = subprocess.run([rasa_python, "-m", "bench.tracker_seed", database_url], input=json.dumps(conversations),
                            text=True, capture_output=True, cwd=cwd, env=rasa_env, timeout=600)
    if stored.returncode != 0:
        raise RuntimeError(f"saving the conversations through Rasa's tracker store failed: {stored.stderr[-2000:]}")
    words = ["refund", "damaged", "wedding", "exchange", "express", "address", "furious", "postcode",
             contexts[0].order, contexts[1].product.split()[0].lower()]
    return Seeded(agents=users, open_ticket_ids=open_ids, search_words=words,
                  tracker_events=int(stored.stdout.strip().splitlines()[-1]), tickets_by_status=by_status,
                  contexts=contexts)


def _after_handoff(session: Session, ticket: Ticket, users: Sequence[Tuple[int, str, str]], context: Context,
                   builder: Conversations, created: datetime, now: datetime, resolved: bool) -> List[dict]:
    """What happened since the handoff: a claim or an assignment, the agent's answers, the shopper's
    lines while waiting; the conversation's events for them."""
    rng = builder.rng
    events: List[dict] = []
    at = created
    taken = resolved or rng.random() < 0.45
    if taken:
        agent_id = rng.choice(users)[0]
        at = min(now, created + timedelta(minutes=rng.uniform(0.5, 20)))
        if rng.random() < 0.7:
            claim(session, ticket_id=ticket.id, agent_id=agent_id, now=at)
        else:
            assign_waiting(session, ticket_id=ticket.id, agent_id=agent_id, now=at, actor_id=users[9 % len(users)][0])
        session.refresh(ticket)  # the queue's functions change the row with an UPDATE
        name = session.get(User, agent_id).name
        events.append(dict(agent_joined(agent_id=agent_id, agent_name=name), timestamp=_epoch(at)))
        if resolved or rng.random() < 0.6:
            at = min(now, at + timedelta(minutes=rng.uniform(0.2, 4)))
            text = rng.choice(AGENT_LINES).format(first=context.first, order=context.order)
            events.append(dict(agent_message(text, agent_id=agent_id, agent_name=name), timestamp=_epoch(at)))
            ticket.first_reply_at = ticket.last_agent_at = at
            record(session, ticket_id=ticket.id, kind="replied", at=at, actor_id=agent_id)
        if resolved:
            at = min(now, at + timedelta(minutes=rng.uniform(2, 40)))
            session.flush()
            resolve(session, ticket_id=ticket.id, agent_id=agent_id, now=at,
                    tag=rng.choice(["answered", "refund_arranged", "exchange", "escalated"]))
            session.refresh(ticket)
            return events
    if rng.random() < 0.5:  # the shopper wrote again while waiting (or after the agent's answer)
        at = min(now, at + timedelta(minutes=rng.uniform(0.2, 10)))
        text = rng.choice(WAITING_LINES).format(email=context.email)
        events.append(builder.user(text, "inform", _epoch(at)))
        ticket.last_shopper_at, ticket.preview = at, mask_email(text)[:PREVIEW_LENGTH]
    return events


def new_conversation_ticket(engine: Engine, *, index: int, context: Context, now: datetime) -> int:
    """A shopper asks for a person during the run: the conversation's events (rows as Rasa writes them) and
    the ticket, opened as the action server opens it. Returns the ticket id."""
    rng = random.Random(10_000 + index)
    conversation_id = uuid.UUID(int=rng.getrandbits(128)).hex
    handoff_at = _epoch(now)
    scenario = rng.choice(["requested", "anger", "late_order", "exchange"])
    reason = SCENARIOS[scenario][0]
    events = Conversations(rng).conversation(scenario, context, handoff_at - 120, handoff_at)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    score, level = peak_anger(events)
    with session_scope(engine) as session:
        session.execute(insert(EVENTS), [_row(conversation_id, event) for event in events])
        ticket = open_ticket(session, conversation_id=conversation_id, reason=reason, peak_anger=score,
                             peak_level=level, summary=build_summary(events, slots), now=now,
                             client=f"10.250.{index % 250}.9",
                             customer_email=context.email if slots.get("verification") == "verified" else None)
        return ticket.id


def shopper_writes(engine: Engine, *, ticket_id: int, text: str, now: datetime) -> None:
    """A shopper's new line on an open ticket, as the Rasa server stores it (one `events` row)."""
    with session_scope(engine) as session:
        conversation_id = session.execute(select(Ticket.conversation_id).where(Ticket.id == ticket_id)).scalar_one()
        event = Conversations(random.Random(ticket_id)).user(text, "inform", _epoch(now))
        session.execute(insert(EVENTS), [_row(conversation_id, event)])


def _row(sender: str, event: dict) -> dict:
    """The columns as Rasa's SQLTrackerStore fills them (it puts any event's "name" in action_name)."""
    return {"sender_id": sender, "type_name": event["event"], "timestamp": event.get("timestamp"),
            "intent_name": ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
            "action_name": event.get("name"), "data": json.dumps(event)}


@lru_cache(maxsize=1)
def _scorer() -> AngerScorer:
    return AngerScorer.from_file()
