"""What trainers may see, and an inbox that no single message can break.

Trainers label shoppers' wording; they never see an email, a postcode, an order or tracking number, nor the
widget session id that names a conversation (with it anyone can read and join that chat). The inbox is
copied from Rasa's tracker store, which any channel writes to: a row that cannot be read is skipped and
counted, not a 500 for every trainer from then on. Real desk, real database (SQLite and PostgreSQL), rows
written by Rasa's own SQL tracker store."""
import asyncio
import json
import uuid

import aiohttp
import pytest
from sqlalchemy import create_engine, select, text

from bot.db import session_scope
from bot.db.models import Customer, InboxMessage, Order, Role, Shipment
from bot.orders.masking import mask_personal_data
from tests.security.desk_helpers import HEADERS, add_user, desk_app, login, run
from tests.tracker import bot_said, store_events, user_said

TRAINER = "tia@shop.example"
ORDINARY = "I am 182 cm, size 42 fits, 2 pairs for $120 in 2024"


def said(words, *, entities=(), start=1.9e9, intent="inform"):
    parse = {"text": words, "intent": {"name": intent, "confidence": 0.5},
             "anger": {"score": 0.0, "level": "none", "cues": []}}
    return user_said(words, parse, start, list(entities))


def personal_values(engine):
    """Real values of the seeded shop, one per format it generates."""
    values = {}
    with session_scope(engine) as session:
        for carrier, number in session.execute(select(Shipment.carrier, Shipment.tracking_number)):
            kind = "ups" if number.startswith("1Z") else f"{len(number)} digits"
            values.setdefault(f"tracking ({kind})", number)
        for country, postcode in session.execute(select(Order.shipping_country, Order.shipping_postcode)):
            values.setdefault(f"postcode ({country})", postcode)
        values["order"] = session.execute(select(Order.number).limit(1)).scalar_one()
        values["email"] = session.execute(select(Customer.email).limit(1)).scalar_one()
    assert {"tracking (ups)", "tracking (20 digits)", "tracking (12 digits)"} <= set(values)
    assert {"postcode (US)", "postcode (CA)", "postcode (GB)", "postcode (DE)", "postcode (AU)"} <= set(values)
    return values


def shopper_messages(values):
    """What shoppers type, with each personal value in it."""
    messages = [f"my tracking number is {values[k]}" for k in values if k.startswith("tracking")]
    messages += [f"the postcode is {values[k]}" for k in values if k.startswith("postcode")]
    messages += [f"order {values['order']} for {values['email']}", f"it's order {values['order'][2:]}",
                 f"{values['postcode (AU)']}", f"zip {values['postcode (US)']} and {values['tracking (ups)'].lower()}"]
    return messages


def forms(value):
    """How a value could show up: as typed, lowercased (row keys were the lowercased text), without spaces."""
    return {value, value.lower(), value.replace(" ", ""), value.lower().replace(" ", "")}


@pytest.fixture()
def trainer_desk(engine, knowledge, tmp_path):
    add_user(engine, TRAINER, Role.trainer)
    return desk_app(engine, knowledge, tmp_path)


def test_personal_data_is_masked_in_text_but_sizes_and_heights_are_not():
    for words in ("size 42", "182 cm", "EU 44 / UK 9.5", "2 pairs for $120", "back in 2024", "10.5 wide"):
        assert mask_personal_data(words) == words
    assert mask_personal_data("1Z9A8B7C6D5E4F3G2H") == "1Z" + "*" * 16
    assert mask_personal_data("postcode M5V 2T6, SW1A 1AA or 10115") == "postcode *** ***, **** *** or *****"
    assert mask_personal_data("zip code 3000") == "zip code ****"


def test_trainers_never_see_personal_data_or_session_ids(engine, trainer_desk):
    values = personal_values(engine)
    session_id = f"web-{uuid.uuid4().hex}"
    messages = shopper_messages(values)
    events = [said(words, start=1.9e9 + index) for index, words in enumerate(messages)]
    events.append(said(f"where is {values['order']}", start=1.95e9, entities=[
        {"entity": "order_number", "value": values["order"], "start": 9, "end": 17},
        {"entity": "postcode", "value": values["postcode (AU)"]}]))
    events.append(bot_said(f"Your parcel {values['tracking (ups)']} ships to {values['postcode (GB)']}.", 1.96e9,
                           {"buttons": [{"title": f"Track {values['tracking (20 digits)']}",
                                         "payload": f'/track{{"number": "{values["tracking (20 digits)"]}"}}'}]}))
    events.append(said(ORDINARY, start=1.97e9))
    store_events(engine, session_id, events)

    def assert_nothing_personal(body):
        for name, value in values.items():
            for form in forms(value):
                assert form not in body, f"{name} {value!r} is shown to trainers"
        assert session_id not in body and session_id[4:] not in body, "the widget session id is shown to trainers"

    async def scenario(client):
        assert (await login(client, TRAINER)).status == 200
        inbox = await client.get("/api/inbox", params={"status": "all"})
        assert inbox.status == 200
        assert_nothing_personal(await inbox.text())
        # The session id does not open the conversation either.
        refused = await client.get(f"/api/inbox/conversations/{session_id}")
        assert refused.status == 404 and "error" in await refused.json()
        rows = (await inbox.json())["rows"]
        assert len(rows) == len(messages) + 2
        assert ORDINARY in [row["text"] for row in rows]  # ordinary numbers stay readable
        entities = next(row for row in rows if row["entities"])["entities"]
        assert {e["entity"] for e in entities} == {"order_number", "postcode"}
        references = {row.get("conversation") for row in rows}
        assert len(references) == len(rows) and all(references)  # one per row, all of one conversation
        for reference in references:
            view = await client.get(f"/api/inbox/conversations/{reference}")
            assert view.status == 200
            assert_nothing_personal(await view.text())
        transcript = (await view.json())["transcript"]
        assert [line["from"] for line in transcript].count("bot") == 1
        page = await client.get("/workbench")
        assert_nothing_personal(await page.text())
    run(trainer_desk, scenario)


def test_search_does_not_tell_whether_a_shopper_wrote(engine, trainer_desk):
    values = personal_values(engine)
    store_events(engine, f"web-{uuid.uuid4().hex}", [said(words, start=1.9e9 + index)
                                                     for index, words in enumerate(shopper_messages(values))])

    async def scenario(client):
        await login(client, TRAINER)
        probes = [values["email"], values["email"].split("@")[0], values["order"], values["order"][:6],
                  values["tracking (ups)"][:8], values["tracking (20 digits)"][:10], values["postcode (GB)"]]
        for probe in probes:
            found = (await (await client.get("/api/inbox", params={"q": probe, "status": "all"})).json())["rows"]
            assert found == [], f"searching {probe!r} finds what trainers see masked"
        words = (await (await client.get("/api/inbox", params={"q": "tracking number", "status": "all"})).json())
        assert len(words["rows"]) == 3  # the wording stays searchable
    run(trainer_desk, scenario)


def test_a_forged_or_unknown_reference_is_a_404(engine, trainer_desk):
    store_events(engine, f"web-{uuid.uuid4().hex}", [said("where is my parcel")])

    async def scenario(client):
        await login(client, TRAINER)
        reference = (await (await client.get("/api/inbox")).json())["rows"][0].get("conversation")
        assert reference, "rows name their conversation by reference"
        number, tag = reference.split("-")
        flipped = tag[:-1] + ("0" if tag[-1] != "0" else "1")
        for forged in (f"{number}-{flipped}", f"{int(number) + 1}-{tag}", f"{number}-{tag}0", number, "x" * 40,
                       "%F0%9F%98%80-" + tag, f"{number}-" + "é" * 16):
            response = await client.get(f"/api/inbox/conversations/{forged}")
            assert response.status == 404, forged
            assert response.content_type == "application/json" and "error" in await response.json()
        assert (await client.get(f"/api/inbox/conversations/{reference}")).status == 200
    run(trainer_desk, scenario)


def test_imported_messages_have_no_conversation_to_open(engine, trainer_desk):
    async def scenario(client):
        await login(client, TRAINER)
        form = aiohttp.FormData()
        form.add_field("file", b"text,conversation_id\nwhere is my parcel,web-abc\n", filename="log.csv")
        assert (await client.post("/api/inbox/import", data=form, headers=HEADERS)).status == 200
        rows = (await (await client.get("/api/inbox")).json())["rows"]
        assert [row.get("conversation", "absent") for row in rows] == [None]
        with session_scope(engine) as session:
            message_id = session.execute(select(InboxMessage.id)).scalar_one()
        assert (await client.get(f"/api/inbox/conversations/{message_id}-{'0' * 16}")).status == 404
    run(trainer_desk, scenario)


def insert_raw_event(engine, *, sender, data, timestamp=1.9e9):
    """A row in Rasa's events table that no well-behaved writer would produce."""
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                                "VALUES (:sender, 'user', :timestamp, NULL, NULL, :data)"),
                           {"sender": sender, "timestamp": timestamp, "data": data})


def test_a_poison_message_is_skipped_and_the_inbox_keeps_working(engine, trainer_desk):
    # The message of the report, as Rasa's REST channel stores it: JSON escapes keep the lone surrogate.
    store_events(engine, "x", [said("\ud800 hi", start=1.9e9)])
    store_events(engine, "web-after", [said("after the poison", start=1.91e9)])

    async def scenario(client):
        await login(client, TRAINER)
        first = await client.get("/api/inbox")
        assert first.status == 200
        body = await first.json()
        assert [row["text"] for row in body["rows"]] == ["after the poison"] and body["skipped"] == 1
        await asyncio.to_thread(store_events, engine, "web-later", [said("and later still", start=1.92e9)])
        again = await (await client.get("/api/inbox")).json()
        assert sorted(row["text"] for row in again["rows"]) == ["after the poison", "and later still"]
        assert again["skipped"] == 1  # the mark moved past the bad row: it is not read again
    run(trainer_desk, scenario)


def test_every_kind_of_bad_row_is_skipped_and_counted(engine, trainer_desk, caplog):
    store_events(engine, "web-first", [said("first good message", start=1.9e9)])
    good = json.dumps({"event": "user", "text": "fine words", "parse_data": {}})
    bad_rows = [
        dict(sender="web-bad1", data="{not json"),
        dict(sender="web-bad2", data=json.dumps({"event": "user", "text": ["a", "list"]})),
        dict(sender="web-bad3", data=json.dumps({"event": "user", "text": "no time"}), timestamp=None),
        dict(sender="web-bad4", data=json.dumps({"event": "user", "text": "nul \x00 inside"})),
        dict(sender="web-bad5", data=json.dumps({"event": "user", "text": "huge", "metadata": "y" * 1_100_000})),
        dict(sender="web-bad6", data=json.dumps({"event": "user", "text": "bad", "parse_data": {"intent": "x"}})),
        dict(sender="web-bad7", data="[" * 100_000 + "]" * 100_000),
        dict(sender="web-bad8", data=json.dumps({"event": "user", "text": "t", "parse_data": {
            "intent": {"name": "i" * 500, "confidence": 0.5}}})),
        dict(sender="web-bad9", data=json.dumps({"event": "user", "text": "t"}), timestamp=float("inf")),
    ]
    for row in bad_rows:
        insert_raw_event(engine, **row)
    if engine.dialect.name == "sqlite":  # bytes that are not UTF-8 at all: SQLite stores them as given
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES ('web-bytes', 'user', 1.9e9, CAST(x'7b22ff22fe7d' AS TEXT))"))
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES (:sender, 'user', 1.9e9, :data)"), {"sender": "s" * 300, "data": good})
        bad_count = len(bad_rows) + 2
    else:
        bad_count = len(bad_rows)
    insert_raw_event(engine, sender="web-last", data=json.dumps({"event": "user", "text": "last good message"}),
                     timestamp=1.93e9)

    async def scenario(client):
        await login(client, TRAINER)
        response = await client.get("/api/inbox")
        assert response.status == 200
        body = await response.json()
        assert sorted(row["text"] for row in body["rows"]) == ["first good message", "last good message"]
        assert body["skipped"] == bad_count
        assert (await (await client.get("/api/inbox")).json())["skipped"] == bad_count
    run(trainer_desk, scenario)
    skipped_lines = [r.getMessage() for r in caplog.records if "skipped tracker event" in r.getMessage()]
    assert len(skipped_lines) == bad_count
    # The log says which event and why, never what it said (it may hold personal data).
    assert not any(words in line for line in skipped_lines for words in ("no time", "inside", "yyy", "iiii"))


@pytest.mark.integration
def test_the_reported_poison_message_through_rasa_leaves_the_inbox_working(servers):
    """The report's own steps on the real servers: the message is posted to Rasa's REST channel, the next
    shopper writes, and the trainer's inbox still answers, naming that shopper's chat by reference only."""
    engine = create_engine(servers.database_url)
    trainer = f"tia.{uuid.uuid4().hex[:8]}@shop.example"
    add_user(engine, trainer, Role.trainer)
    # Letters only: a run of digits in the marker would be masked as a postcode or tracking number,
    # and the search (which sees what trainers see) would not find it.
    marker = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])
    poisoner, shopper = f"x-{uuid.uuid4().hex[:8]}", f"web-{uuid.uuid4().hex}"
    try:
        servers.say(poisoner, "\ud800 hi")  # json.dumps writes it as the escape \ud800, as an attacker would
    except Exception:
        pass  # whether Rasa answers it is not the point here; what it stored is
    servers.say(shopper, f"where is my parcel zq{marker}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                                    {"s": poisoner}).scalars().all()
    engine.dispose()
    # The channel may clean the text on the way in; if the lone surrogate was stored, the sync must skip it.
    poisoned = sum(1 for data in stored if "\ud800" in json.loads(data).get("text", ""))

    async def scenario():
        async with aiohttp.ClientSession(servers.desk_url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            assert (await login(client, trainer)).status == 200
            inbox = await client.get("/api/inbox", params={"q": f"zq{marker}"})
            assert inbox.status == 200
            body = await inbox.text()
            assert shopper not in body and shopper[4:] not in body
            page = json.loads(body)
            assert [row["text"] for row in page["rows"]] == [f"where is my parcel zq{marker}"]
            assert page["skipped"] >= poisoned  # skipped, not fatal
            reference = page["rows"][0]["conversation"]
            view = await client.get(f"/api/inbox/conversations/{reference}")
            assert view.status == 200 and shopper not in await view.text()
            assert (await client.get(f"/api/inbox/conversations/{shopper}")).status == 404
    asyncio.run(scenario())
