from datetime import datetime, timedelta

from bot.db import session_scope
from bot.orders.one_time_code import (CODE_LIFETIME, CODES_PER_ORDER, CONFIRMATION_LIFETIME, MAX_TRIES, CodeCheck,
                                      check_code, extract_code, is_confirmed, issue_code)

NOW = datetime(2026, 11, 23, 12, 0)
ORDER = dict(order_number="TS100010", conversation_id="web-a", purpose="cancel")


def issue(engine, now=NOW, **overrides):
    with session_scope(engine) as session:
        return issue_code(session, **{**ORDER, **overrides}, now=now)


def check(engine, answer, now=NOW, **overrides):
    with session_scope(engine) as session:
        return check_code(session, **{**ORDER, **overrides}, answer=answer, now=now)


def confirmed(engine, now=NOW, **overrides):
    with session_scope(engine) as session:
        return is_confirmed(session, **{**ORDER, **overrides}, now=now)


def other(code):
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def test_the_right_code_confirms_once(engine):
    code = issue(engine)
    assert len(code) == 6 and code.isdigit()
    assert check(engine, f"here: {code[:3]}-{code[3:]}") == CodeCheck.confirmed
    assert confirmed(engine) and not confirmed(engine, now=NOW + CONFIRMATION_LIFETIME + timedelta(seconds=1))
    assert check(engine, code) == CodeCheck.used_up  # spent


def test_three_tries_then_the_code_is_gone(engine):
    code = issue(engine)
    assert [check(engine, other(code)) for _ in range(MAX_TRIES)] == [CodeCheck.wrong] * (MAX_TRIES - 1) + \
        [CodeCheck.used_up]
    assert check(engine, code) == CodeCheck.used_up and not confirmed(engine)


def test_a_code_belongs_to_its_order_conversation_and_time(engine):
    code = issue(engine)
    assert check(engine, code, conversation_id="web-b") == CodeCheck.used_up
    assert check(engine, code, order_number="TS100011") == CodeCheck.used_up
    assert check(engine, code, now=NOW + CODE_LIFETIME + timedelta(seconds=1)) == CodeCheck.used_up
    assert check(engine, "no digits here") == CodeCheck.not_a_code
    assert check(engine, code) == CodeCheck.confirmed


def test_a_new_code_voids_the_old_one(engine):
    first = issue(engine)
    second = issue(engine, now=NOW + timedelta(minutes=1))
    assert check(engine, other(second), now=NOW + timedelta(minutes=2)) == CodeCheck.wrong  # the live one is new
    assert check(engine, second, now=NOW + timedelta(minutes=2)) == CodeCheck.confirmed
    assert first is not None


def test_an_order_gets_a_few_codes_an_hour_whatever_the_conversation(engine):
    codes = [issue(engine, conversation_id=f"web-{i}", now=NOW + timedelta(minutes=i))
             for i in range(CODES_PER_ORDER + 2)]
    assert all(codes[:CODES_PER_ORDER]) and codes[CODES_PER_ORDER:] == [None, None]
    assert issue(engine, conversation_id="web-later", now=NOW + timedelta(hours=1, minutes=1)) is not None


def test_codes_are_stored_only_as_keyed_hashes(engine):
    import hashlib

    from sqlalchemy import select

    from bot.db.models import OneTimeCode
    code = issue(engine)
    with session_scope(engine) as session:
        [stored] = session.execute(select(OneTimeCode.code_hash)).scalars().all()
    # Not the code, and not a plain hash that anyone reading the table could test a million codes against.
    plain = hashlib.sha256(f"cancel:TS100010:web-a:{code}".encode()).hexdigest()
    assert code not in stored and stored != plain and len(stored) == 64


def test_extract_code():
    assert extract_code("123 456") == "123456" and extract_code("1234567") is None and extract_code("") is None
