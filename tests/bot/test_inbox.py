"""The console's inbox (bot/desk/inbox.py through tickets.list_tickets) on SQLite and PostgreSQL: views and their
counts, filters, the priority order, pages, search over notes, previews and Rasa's stored transcripts,
and a page costing the same few queries whatever the queue holds."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from bot.db import session_scope
from bot.db.models import Role, Ticket, TicketNote, TicketStatus, User
from bot.desk import inbox
from bot.desk.tickets import list_tickets
from bot.handoff.queue import Summary, claim, open_ticket, resolve
from tests.tracker import bot_said, store_events, user_said

NOW = datetime(2026, 11, 23, 15, 0)


def people(engine, *names, role=Role.agent):
    with session_scope(engine) as session:
        users = [User(email=f"{name}@shop.example", name=name, password_hash="x", role=role) for name in names]
        session.add_all(users)
        session.flush()
        return [user.id for user in users]


def ticket(engine, conversation, *, reason="requested", level="none", minutes_ago=0, said="where is my parcel",
           slots=None):
    with session_scope(engine) as session:
        return open_ticket(session, conversation_id=conversation, reason=reason, peak_anger=0.5, peak_level=level,
                           summary=Summary([said], slots or {}, [{"from": "shopper", "text": said}]),
                           now=NOW - timedelta(minutes=minutes_ago)).id


def change(engine, ticket_id, **values):
    with session_scope(engine) as session:
        row = session.get(Ticket, ticket_id)
        for name, value in values.items():
            setattr(row, name, value)


def page(engine, viewer, **query):
    with session_scope(engine) as session:
        return list_tickets(session, query=inbox.read_query({k: str(v) for k, v in query.items()}), user_id=viewer,
                            now=NOW)


def ids(answer):
    return [t["id"] for t in answer["tickets"]]


@pytest.fixture()
def queue(engine):
    """Ana holds two tickets (one answered), Ben one; one waits for anybody; one resolved, one abandoned."""
    ana, ben = people(engine, "ana", "ben")
    waiting = ticket(engine, "w", minutes_ago=10)
    mine_unanswered = ticket(engine, "m1", minutes_ago=20)
    mine_answered = ticket(engine, "m2", minutes_ago=30)
    bens = ticket(engine, "b", minutes_ago=40)
    done = ticket(engine, "r", minutes_ago=50)
    gone = ticket(engine, "g", minutes_ago=300)
    with session_scope(engine) as session:
        for ticket_id, agent in ((mine_unanswered, ana), (mine_answered, ana), (bens, ben), (done, ana)):
            assert claim(session, ticket_id=ticket_id, agent_id=agent, now=NOW - timedelta(minutes=5))
        assert resolve(session, ticket_id=done, agent_id=ana, now=NOW - timedelta(minutes=1), tag="answered")
    change(engine, mine_answered, last_agent_at=NOW - timedelta(minutes=2))
    change(engine, gone, status=TicketStatus.abandoned)
    return dict(ana=ana, ben=ben, waiting=waiting, mine_unanswered=mine_unanswered, mine_answered=mine_answered,
                bens=bens, done=done, gone=gone)


def test_views_and_their_counts(engine, queue):
    q = queue
    answer = page(engine, q["ana"], view="open")
    assert set(ids(answer)) == {q["waiting"], q["mine_unanswered"], q["mine_answered"], q["bens"]}
    assert set(ids(page(engine, q["ana"], view="waiting"))) == {q["waiting"], q["mine_unanswered"], q["bens"]}
    assert set(ids(page(engine, q["ana"], view="mine"))) == {q["mine_unanswered"], q["mine_answered"]}
    assert ids(page(engine, q["ben"], view="mine")) == [q["bens"]]
    assert ids(page(engine, q["ana"], view="unassigned")) == [q["waiting"]]
    assert ids(page(engine, q["ana"], view="resolved")) == [q["done"], q["gone"]]  # newest first
    assert answer["counts"] == {"waiting": 3, "mine": 2, "unassigned": 1, "open": 4, "resolved": 2}
    assert page(engine, q["ben"], view="open")["counts"]["mine"] == 1
    # The older list names still work (the console's first version and its tests use them).
    assert ids(page(engine, q["ana"], status="waiting")) == [q["waiting"]]
    assert set(ids(page(engine, q["ana"], status="assigned"))) == {q["mine_unanswered"], q["mine_answered"],
                                                                         q["bens"]}
    assert ids(page(engine, q["ana"], status="resolved")) == [q["done"]]
    assert ids(page(engine, q["ana"], status="abandoned")) == [q["gone"]]
    assert ids(page(engine, q["ana"])) == ids(page(engine, q["ana"], view="waiting"))


def test_list_items_say_it_in_words_and_carry_the_console_columns(engine, queue):
    q = queue
    angry = ticket(engine, "angry", reason="anger", level="angry",
                   said="WHERE is it?? write to jane.doe@example.com", slots={"verified_order": "TS100004",
                                                                               "order_verified": True})
    items = {t["id"]: t for t in page(engine, q["ana"], view="open", per_page=100)["tickets"]}
    item = items[angry]
    assert item["reason_text"] == "Anger detected" and item["anger_level"] == "angry"
    assert item["preview"] == "WHERE is it?? write to j***@e***.com"  # one line, the email masked
    assert item["verified_order"] == "TS100004" and item["awaiting_reply"] and item["unread"]
    assert item["sla"] is None or set(item["sla"]) >= {"state", "due_at"}
    assert items[q["mine_answered"]]["awaiting_reply"] is False
    assert items[q["waiting"]]["reason_text"] == "Asked for a person"
    resolved = page(engine, q["ana"], view="resolved")["tickets"][0]
    assert resolved["resolution_tag"] == "answered" and resolved["resolved_at"] == "2026-11-23T14:59:00Z"
    assert resolved["handle_seconds"] == 4 * 60 and resolved["csat"] is None
    assert inbox.reason_text("repeated") == "Asked 3 times"
    assert inbox.reason_text("offline_message") == "Out of hours message"


def test_unread_counts_unassigned_tickets_and_my_unseen_shopper_messages(engine, queue):
    q = queue
    # Ana has seen everything in one of hers; the other has a shopper message after what she saw.
    seen = (NOW - datetime(1970, 1, 1)).total_seconds()
    change(engine, q["mine_answered"], last_shopper_at=NOW - timedelta(minutes=3), seen_until=seen)
    change(engine, q["mine_unanswered"], last_shopper_at=NOW, seen_until=seen - 600)
    answer = page(engine, q["ana"], view="mine")
    assert answer["unread"] == 1 + 1  # the unassigned one and her unseen message
    assert {t["id"]: t["unread"] for t in answer["tickets"]} == {q["mine_answered"]: False,
                                                                 q["mine_unanswered"]: True}
    assert page(engine, q["ben"], view="mine")["unread"] == 1 + 1  # Ben never opened his


def test_filters(engine):
    ana, = people(engine, "ana")
    furious = ticket(engine, "f", reason="anger", level="furious", minutes_ago=2)
    annoyed = ticket(engine, "a", reason="repeated", level="annoyed", minutes_ago=30)
    verified = ticket(engine, "v", reason="requested", minutes_ago=12,
                      slots={"verified_order": "TS100004", "order_verified": True})
    offline = ticket(engine, "o", reason="offline_message", minutes_ago=45)
    change(engine, offline, first_reply_at=NOW - timedelta(minutes=40))  # answered: not waiting
    assert ids(page(engine, ana, view="open", reason="anger")) == [furious]
    assert ids(page(engine, ana, view="open", reason="offline")) == [offline]
    assert ids(page(engine, ana, view="open", anger="furious")) == [furious]
    assert ids(page(engine, ana, view="open", anger="annoyed")) == [annoyed]
    assert set(ids(page(engine, ana, view="open", anger="none"))) == {verified, offline}
    assert set(ids(page(engine, ana, view="open", waiting_over=10))) == {annoyed, verified}
    assert ids(page(engine, ana, view="open", waiting_over=10, verified=1)) == [verified]
    filtered = page(engine, ana, view="open", reason="anger")
    assert filtered["total"] == 1 and filtered["counts"]["open"] == 4  # counts are the views', unfiltered


def test_sla_filter_and_priority_order(engine):
    ana, = people(engine, "ana")
    calm_old = ticket(engine, "c1", minutes_ago=50)
    calm_new = ticket(engine, "c2", minutes_ago=5)
    calm_due = ticket(engine, "c3", minutes_ago=1)
    angry = ticket(engine, "x", reason="anger", level="angry", minutes_ago=1)
    furious = ticket(engine, "y", reason="anger", level="furious", minutes_ago=0)
    for ticket_id, due in ((calm_old, NOW + timedelta(hours=3)), (calm_new, NOW - timedelta(minutes=1)),
                           (calm_due, NOW + timedelta(hours=1)), (angry, None), (furious, None)):
        change(engine, ticket_id, sla_clock="resolution" if due else None, sla_due_at=due)
    # Anger first; among the calm ones the SLA clock due soonest, then (no clock) the longest wait.
    assert ids(page(engine, ana, view="open")) == [furious, angry, calm_new, calm_due, calm_old]
    assert ids(page(engine, ana, view="open", sla="breached")) == [calm_new]
    assert ids(page(engine, ana, view="open", sla="ok")) == [calm_due, calm_old]


def test_pages(engine):
    ana, = people(engine, "ana")
    made = [ticket(engine, f"p{n}", minutes_ago=100 - n) for n in range(23)]  # oldest first
    first = page(engine, ana, view="unassigned", per_page=10)
    last = page(engine, ana, view="unassigned", per_page=10, page=3)
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (23, 3, 1, 10)
    assert ids(first) == made[:10] and ids(last) == made[20:]
    assert page(engine, ana, view="unassigned", per_page=10, page=4)["tickets"] == []
    assert first["now"] == "2026-11-23T15:00:00Z"


def test_search_reads_previews_and_notes_with_wildcards_taken_literally(engine):
    ana, = people(engine, "ana")
    parcel = ticket(engine, "s1", said="My parcel to Zürich is late")
    percent = ticket(engine, "s2", said="I want 100% of my money back")
    underscore = ticket(engine, "s3", said="order_number is wrong")
    noted = ticket(engine, "s4", said="hello")
    with session_scope(engine) as session:
        session.add(TicketNote(ticket_id=noted, author_id=ana, text="Carrier trace opened with DHL", created_at=NOW))
    assert ids(page(engine, ana, view="open", q="zürich")) == [parcel]
    assert ids(page(engine, ana, view="open", q="100%")) == [percent]
    assert ids(page(engine, ana, view="open", q="%")) == [percent]  # not a wildcard
    assert ids(page(engine, ana, view="open", q="y_m")) == []  # "_" is not any character ("my money")
    assert ids(page(engine, ana, view="open", q="order_number")) == [underscore]
    assert ids(page(engine, ana, view="open", q="carrier TRACE")) == [noted]
    assert ids(page(engine, ana, view="open", q=f"#{noted}")) == [noted]
    assert ids(page(engine, ana, view="open", q="nothing like this")) == []
    # The summary's JSON keys are not words anybody wrote.
    assert ids(page(engine, ana, view="open", q="asked")) == ids(page(engine, ana, view="open", q="slots")) == []


def test_search_reads_the_transcripts_rasa_stored(engine):
    ana, = people(engine, "ana")
    # Before Rasa ever ran there is no events table: searching still works.
    assert ids(page(engine, ana, view="open", q="crème")) == []
    brulee = ticket(engine, "conv-brulee", said="hello")
    other = ticket(engine, "conv-other", said="hello")
    resolved = ticket(engine, "conv-old", said="hello")
    change(engine, resolved, status=TicketStatus.abandoned)
    intent = {"intent": {"name": "order_status", "confidence": 0.9}}
    store_events(engine, "conv-brulee", [user_said("Is the Crème jacket \"waterproof\"?", intent, 1.0e9),
                                                 bot_said("Yes, it is 100% waterproof.", 1.0e9 + 1)])
    store_events(engine, "conv-other", [user_said("where is my order", intent, 1.0e9)])
    store_events(engine, "conv-old", [user_said("crème again", intent, 1.0e9)])
    assert ids(page(engine, ana, view="open", q="crème")) == [brulee]  # non-ASCII, as Rasa escapes it
    assert ids(page(engine, ana, view="open", q='"waterproof"')) == [brulee]  # quotes too
    assert ids(page(engine, ana, view="open", q="100% waterproof")) == [brulee]  # the bot's line
    assert ids(page(engine, ana, view="open", q="order_status")) == []  # an intent name is not text
    assert ids(page(engine, ana, view="resolved", q="crème")) == [resolved]
    assert set(ids(page(engine, ana, view="open", q="is"))) == {brulee, other}


def test_bad_queries_are_refused_with_the_parameter_named():
    for query, named in (({"view": "everything"}, "view"), ({"status": "open"}, "status"),
                         ({"anger": "livid"}, "anger"), ({"reason": "bored"}, "reason"),
                         ({"waiting_over": "-1"}, "waiting_over"), ({"waiting_over": "ten"}, "waiting_over"),
                         ({"page": "0"}, "page"), ({"per_page": "1000"}, "per_page"), ({"sla": "late"}, "sla"),
                         ({"verified": "maybe"}, "verified"), ({"q": "x" * 201}, "q")):
        with pytest.raises(inbox.BadQuery, match=named):
            inbox.read_query(query)


def test_a_page_costs_the_same_few_queries_however_many_tickets_wait(sqlite_engine):
    ana, ben = people(sqlite_engine, "ana", "ben")

    def statements(**query):
        seen = []

        def count(*args):
            seen.append(args[2])
        event.listen(sqlite_engine, "before_cursor_execute", count)
        try:
            answer = page(sqlite_engine, ana, **query)
        finally:
            event.remove(sqlite_engine, "before_cursor_execute", count)
        return len(seen), answer

    def fill(start, n):
        for number in range(start, start + n):
            made = ticket(sqlite_engine, f"n{number}", minutes_ago=number % 50)
            if number % 3 == 0:
                with session_scope(sqlite_engine) as session:
                    claim(session, ticket_id=made, agent_id=ana if number % 2 else ben, now=NOW)
    fill(0, 10)
    few, answer = statements(view="open")
    assert len(answer["tickets"]) == 10
    fill(10, 200)
    many, answer = statements(view="open")
    assert len(answer["tickets"]) == 25 and answer["total"] == 210
    assert many == few <= 5
    filtered, _ = statements(view="open", q="parcel", anger="none", sla="ok", waiting_over=1)
    assert filtered <= 8
