from datetime import datetime, timedelta

from bot.db import session_scope
from bot.mail import FolderMailer, compose, mailer_for
from bot.orders.one_time_code import (CODE_LIFETIME, CODES_PER_ORDER, CONFIRMATION_LIFETIME, MAX_TRIES, CodeCheck,
                                      check_code, extract_code, has_live_code, is_confirmed, issue_code)
from bot.settings import Settings

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


def test_a_new_code_voids_the_old_one_and_an_order_gets_few_per_hour(engine):
    first = issue(engine)
    second = issue(engine, now=NOW + timedelta(minutes=1))
    if first != second:
        assert check(engine, first, now=NOW + timedelta(minutes=2)) == CodeCheck.wrong
    codes = [issue(engine, now=NOW + timedelta(minutes=3), conversation_id=f"web-{i}") for i in range(3)]
    assert codes.count(None) == 3 - (CODES_PER_ORDER - 2)
    with session_scope(engine) as session:
        assert has_live_code(session, **ORDER, now=NOW + timedelta(minutes=2))


def test_codes_are_stored_only_as_hashes(engine):
    code = issue(engine)
    from sqlalchemy import select

    from bot.db.models import OneTimeCode
    with session_scope(engine) as session:
        stored = session.execute(select(OneTimeCode.code_hash)).scalars().all()
    assert stored and all(code not in value for value in stored)


def test_extract_code():
    assert extract_code("123 456") == "123456" and extract_code("1234567") is None and extract_code("") is None


def test_mail_goes_to_a_folder_in_development_and_nowhere_in_production(tmp_path):
    base = Settings.from_env({"STOREFRONT_ENV": "development"})
    assert isinstance(mailer_for(base), FolderMailer)
    production = Settings.from_env({"STOREFRONT_ENV": "production", "RASA_TOKEN": "t" * 40})
    assert mailer_for(production) is None
    FolderMailer(tmp_path).send(compose(sender="a@x.example", to="b@y.example", subject="s", body="code 123456"))
    [mail] = tmp_path.glob("*.eml")
    assert b"code 123456" in mail.read_bytes()
