"""Canned replies (bot/desk/canned.py): the seed file, its good practice and its consistency with the
knowledge base, validation, and the table's queries on a real database."""
import dataclasses
import re
from datetime import datetime
from decimal import Decimal

import pytest

from bot.db import session_scope
from bot.db.models import CannedReply
from bot.desk import canned
from bot.knowledge.answers import returns

NOW = datetime(2026, 11, 23, 15, 0)
ORDER = {"number": "TS100004", "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
         "estimated_delivery": "2026-11-24"}


@pytest.fixture(scope="module")
def seeded_file():
    return {reply["shortcode"]: reply for reply in canned.load_seed()}


def expanded(kb, reply, order=ORDER):
    return canned.expand(reply["text"], canned.ticket_variables(kb, name="Ava Nguyen", order=order, agent_name="Sam"))


def test_the_seed_file_has_the_late_parcel_ladder_the_anger_levels_and_the_usual_topics(seeded_file):
    assert {"delay", "delay2", "delay3", "annoyed", "angry", "furious"} <= set(seeded_file)
    topics = {reply["topic"] for reply in seeded_file.values()}
    assert {"greeting", "late parcel", "lost parcel", "damaged item", "wrong item", "refund timing", "returns",
            "address change", "closing"} <= topics


def test_late_parcel_replies_rise_in_strength_with_the_stores_own_compensation(kb, seeded_file):
    gentle, stronger, strongest = (expanded(kb, seeded_file[code]) for code in ("delay", "delay2", "delay3"))
    for text in (gentle, stronger, strongest):
        assert "sorry" in text.lower() or "apologise" in text.lower()
        assert "TS100004" in text and "UPS" in text  # the facts of the shopper's own order
    assert "free Express shipping" in gentle
    assert "$10.00 store credit" in stronger and "12 months" in stronger
    assert "refunding 15% of your order's total" in strongest and kb.shipping.late_parcel in strongest


def test_the_amounts_come_from_the_knowledge_base(kb, seeded_file):
    offer = kb.store.compensation
    richer = kb.store.model_copy(update={"compensation": offer.model_copy(update={
        "store_credit": Decimal("25.50"), "refund_percent": 20, "free_upgrade": "next_day"})})
    other_kb = dataclasses.replace(kb, store=richer)
    assert "$25.50 store credit" in expanded(other_kb, seeded_file["delay2"])
    assert "refunding 20% of" in expanded(other_kb, seeded_file["delay3"])
    assert "free Next Day shipping" in expanded(other_kb, seeded_file["delay"])


def test_no_seeded_reply_states_an_amount_or_a_period_of_its_own(seeded_file):
    """Money, percentages and days only arrive through variables, so they cannot drift from the knowledge base."""
    for reply in seeded_file.values():
        assert not re.search(r"\$\s?\d|\d\s?%|\d+\s+(business\s+)?(days|months|hours)", reply["text"]), reply["shortcode"]


def test_anger_replies_acknowledge_then_give_facts_then_a_solution(kb, seeded_file):
    for code, feeling, remedy in (("annoyed", "annoying", "trace"), ("angry", "upset", "$10.00 store credit"),
                                  ("furious", "angry", "refunding 15%")):
        text = expanded(kb, seeded_file[code])
        # The feeling is named first, then the facts, then what we do about it.
        assert text.index(feeling) < text.index("TS100004") < text.index(remedy)
        assert "Tuesday, November 24" in text


def test_topic_replies_say_what_the_knowledge_base_says(kb, seeded_file):
    for code, policy in (("lost", kb.shipping.lost_parcel), ("damaged", kb.returns.damaged),
                         ("wrong", kb.returns.wrong_item), ("refund", returns.refund_timing(kb)),
                         ("return", kb.returns.how_to_start), ("address", kb.shipping.address_change),
                         ("exchange", kb.returns.exchanges)):
        assert policy in expanded(kb, seeded_file[code]), code
    assert f"within {kb.returns.standard_window_days} days" in expanded(kb, seeded_file["return"])


def test_every_variable_has_a_value_from_the_store_or_the_ticket(kb, seeded_file):
    values = canned.ticket_variables(kb, name="Ava Nguyen", order=ORDER, agent_name="Sam")
    assert set(values) == set(canned.VARIABLES)
    assert values["first_name"] == "Ava" and values["eta"] == "Tuesday, November 24"
    for reply in seeded_file.values():
        assert "{" not in canned.expand(reply["text"], values), reply["shortcode"]


def test_unknown_values_stay_visible_for_the_agent(kb, seeded_file):
    values = canned.ticket_variables(kb, name=None, order=None, agent_name="Sam")
    assert "first_name" not in values and "order_number" not in values
    text = canned.expand(seeded_file["delay"]["text"], values)
    assert "{order_number}" in text and "{first_name}" in text and "Express" in text


@pytest.mark.parametrize("fields, problem", [
    ({"shortcode": "x", "title": "t", "text": "hello"}, "shortcode must be 2 to 30"),
    ({"shortcode": "Delay", "title": "t", "text": "hello"}, "shortcode must be"),
    ({"shortcode": "a" * 31, "title": "t", "text": "hello"}, "shortcode must be"),
    ({"shortcode": "ok", "title": "", "text": "hello"}, "title is required"),
    ({"shortcode": "ok", "title": "t" * 121, "text": "hello"}, "title is longer than 120"),
    ({"shortcode": "ok", "title": "t", "text": "  "}, "text is required"),
    ({"shortcode": "ok", "title": "t", "text": "x" * 2001}, "text is longer than 2000"),
    ({"shortcode": "ok", "title": "t", "text": "Hi {frist_name}"}, "unknown variable {frist_name}"),
    ({"shortcode": "ok", "title": "t", "topic": 3, "text": "hi"}, "topic must be text"),
])
def test_validation_says_what_is_wrong(fields, problem):
    with pytest.raises(canned.InvalidReply) as caught:
        canned.validated(fields)
    assert problem in str(caught.value)


def test_a_typed_slash_is_not_part_of_the_shortcode_and_topic_defaults():
    assert canned.validated({"shortcode": "/late-1", "title": " Late ", "text": "Sorry {first_name}"}) == \
        {"shortcode": "late-1", "title": "Late", "topic": "general", "text": "Sorry {first_name}"}


def test_a_broken_seed_file_names_the_entry(tmp_path):
    path = tmp_path / "canned.yml"
    path.write_text("replies:\n  - {shortcode: hi, title: Hi, text: Hello}\n  - {shortcode: hi, title: Again, text: x}\n")
    with pytest.raises(canned.InvalidReply, match=r"replies\[1\]: shortcode /hi is used twice"):
        canned.load_seed(path)
    path.write_text("replies:\n  - {shortcode: hi, title: Hi, text: 'Hello {nme}'}\n")
    with pytest.raises(canned.InvalidReply, match=r"replies\[0\]: unknown variable \{nme\}"):
        canned.load_seed(path)


def test_seeding_fills_an_empty_table_once_and_keeps_supervisors_edits(sqlite_engine, seeded_file):
    replies = canned.load_seed()
    with session_scope(sqlite_engine) as session:
        assert canned.seed_if_empty(session, replies=replies, now=NOW) == len(replies)
    with session_scope(sqlite_engine) as session:
        first = canned.list_replies(session)[0]
        canned.update_reply(session, reply_id=first["id"], fields={**first, "text": "Hello there"}, user_id=None,
                            now=NOW)
    with session_scope(sqlite_engine) as session:
        assert canned.seed_if_empty(session, replies=replies, now=NOW) == 0
        listed = canned.list_replies(session)
    assert [r["shortcode"] for r in listed] == [r["shortcode"] for r in replies]  # in the file's order
    assert listed[0]["text"] == "Hello there"


def test_create_update_delete_and_unique_shortcodes(sqlite_engine):
    fields = {"shortcode": "thanks", "title": "Thanks", "topic": "closing", "text": "Thanks, {first_name}!"}
    with session_scope(sqlite_engine) as session:
        made = canned.create_reply(session, fields=fields, user_id=None, now=NOW)
        other = canned.create_reply(session, fields={**fields, "shortcode": "ty"}, user_id=None, now=NOW)
    assert made["shortcode"] == "thanks" and made["updated_at"] == "2026-11-23T15:00:00Z"
    with session_scope(sqlite_engine) as session, pytest.raises(canned.DuplicateShortcode):
        canned.create_reply(session, fields=fields, user_id=None, now=NOW)
    with session_scope(sqlite_engine) as session, pytest.raises(canned.DuplicateShortcode):
        canned.update_reply(session, reply_id=other["id"], fields=fields, user_id=None, now=NOW)
    with session_scope(sqlite_engine) as session:
        changed = canned.update_reply(session, reply_id=other["id"], fields={**fields, "shortcode": "thx"},
                                      user_id=None, now=NOW)
        assert changed["shortcode"] == "thx"
        canned.delete_reply(session, reply_id=made["id"])
    with session_scope(sqlite_engine) as session:
        assert [r.shortcode for r in session.query(CannedReply)] == ["thx"]
        with pytest.raises(canned.NoSuchReply):
            canned.delete_reply(session, reply_id=made["id"])
