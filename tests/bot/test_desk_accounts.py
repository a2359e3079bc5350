from datetime import datetime, timedelta

import pytest

from bot.db import session_scope
from bot.db.models import Role, User
from bot.desk.accounts import UserExists, create_user, log_in, log_out, user_for_token
from bot.desk.passwords import WeakPassword, hash_password, verify_password

NOW = datetime(2026, 11, 23, 12, 0)


def test_passwords_are_salted_hashes():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and "correct" not in first
    assert verify_password("correct horse battery", first) and not verify_password("wrong", first)
    assert not verify_password("x", "garbage")


def test_login_logout(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        create_user(session, email="Ana@Shop.example", password="long enough pw", role=Role.agent)
    with session_scope(sqlite_engine) as session:
        assert log_in(session, email="ana@shop.example", password="wrong password", now=NOW) is None
        assert log_in(session, email="nobody@shop.example", password="long enough pw", now=NOW) is None
        token, user = log_in(session, email="ANA@shop.example", password="long enough pw", now=NOW)
        assert user.role == Role.agent
    with session_scope(sqlite_engine) as session:
        assert user_for_token(session, token, NOW).email == "ana@shop.example"
        assert user_for_token(session, token, NOW + timedelta(days=1)) is None  # expired
        assert user_for_token(session, "forged", NOW) is None
        log_out(session, token)
    with session_scope(sqlite_engine) as session:
        assert user_for_token(session, token, NOW) is None
        stored = session.query(User).one().password_hash
        assert "long enough" not in stored


def test_weak_and_duplicate_users_are_refused(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        with pytest.raises(WeakPassword):
            create_user(session, email="a@shop.example", password="short", role=Role.agent)
        create_user(session, email="a@shop.example", password="long enough pw", role=Role.trainer)
        with pytest.raises(UserExists):
            create_user(session, email="A@shop.example", password="long enough pw", role=Role.agent)
