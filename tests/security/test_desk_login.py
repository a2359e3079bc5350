"""Desk login: JSON and the desk header only; password guessing throttled per account and per address,
in the database, without telling which accounts exist; the password hash never runs on the event loop."""
import asyncio
import threading

import pytest
from sqlalchemy import create_engine

import bot.desk.accounts
from bot.db.models import Role
from tests.security.desk_helpers import (HEADERS, PASSWORD, Clock, add_user, assert_security_headers, desk_app, login,
                                         run)

AGENT = "ana@shop.example"
NOBODY = "nobody@shop.example"


@pytest.fixture()
def agent(sqlite_engine):
    add_user(sqlite_engine, AGENT, Role.agent)
    return sqlite_engine


def test_login_needs_json_and_the_desk_header(agent, knowledge, tmp_path):
    body = '{"email": "%s", "password": "%s"}' % (AGENT, PASSWORD)

    async def scenario(client):
        plain = await client.post("/api/login", data=body, headers={**HEADERS, "Content-Type": "text/plain"})
        assert plain.status == 400 and "application/json" in (await plain.json())["error"]
        form = await client.post("/api/login", data={"email": AGENT, "password": PASSWORD}, headers=HEADERS)
        assert form.status == 400
        headerless = await login(client, AGENT, headers={})
        assert headerless.status == 403 and "X-Requested-With" in (await headerless.json())["error"]
        assert (await client.get("/api/me")).status == 401  # none of them logged in
        assert (await login(client, AGENT)).status == 200
    run(desk_app(agent, knowledge, tmp_path), scenario)


async def attempts(client, email, password, count):
    responses = []
    for _ in range(count):
        response = await login(client, email, password)
        responses.append((response.status, await response.json(), response.headers.get("Retry-After")))
    return responses


def test_guessing_one_account_is_throttled_and_the_right_password_waits_too(agent, knowledge, tmp_path):
    clock = Clock()

    async def scenario(client):
        wrong = await attempts(client, AGENT, "guess number x", 5)
        assert [status for status, _, _ in wrong] == [401] * 5
        locked = await login(client, AGENT, PASSWORD)
        assert locked.status == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
        assert "try again" in (await locked.json())["error"]
        assert_security_headers(locked)
        assert (await client.get("/api/me")).status == 401
        clock.advance(minutes=16)  # the failures have left the window
        assert (await login(client, AGENT, PASSWORD)).status == 200
    run(desk_app(agent, knowledge, tmp_path, clock=clock), scenario)


def test_unknown_accounts_are_throttled_exactly_like_real_ones(agent, knowledge, tmp_path):
    async def scenario(client):
        real = await attempts(client, AGENT, "guess number x", 7)
        unknown = await attempts(client, NOBODY, "guess number x", 7)
        assert real == unknown  # same statuses, same messages, same Retry-After
        assert [status for status, _, _ in real] == [401] * 5 + [429] * 2
    run(desk_app(agent, knowledge, tmp_path), scenario)


def test_the_count_holds_across_desk_processes(agent, knowledge, tmp_path):
    """A second desk with its own connection pool on the same database (as after a restart, or another
    desk behind the balancer) sees the failures counted by the first."""
    async def first(client):
        assert [s for s, _, _ in await attempts(client, AGENT, "guess number x", 5)] == [401] * 5
    run(desk_app(agent, knowledge, tmp_path / "a"), first)
    other = create_engine(str(agent.url))

    async def second(client):
        assert (await login(client, AGENT, PASSWORD)).status == 429
    try:
        run(desk_app(other, knowledge, tmp_path / "b"), second)
    finally:
        other.dispose()


def test_one_address_guessing_many_accounts_is_throttled(agent, knowledge, tmp_path):
    async def scenario(client):
        for number in range(20):
            assert (await login(client, f"user{number}@shop.example", "guess number x")).status == 401
        assert (await login(client, AGENT, PASSWORD)).status == 429  # a fresh account, the same address
    run(desk_app(agent, knowledge, tmp_path), scenario)


def test_behind_a_balancer_the_forwarded_address_is_counted(agent, knowledge, tmp_path):
    from bot.desk.app import create_app
    from tests.security.desk_helpers import NOW, FakeRasa, training_paths

    app = create_app(engine=agent, rasa=FakeRasa(), knowledge=knowledge, now=lambda: NOW,
                     training=training_paths(tmp_path), client_ip_header="X-Real-IP")

    async def scenario(client):
        guesser = {**HEADERS, "X-Real-IP": "203.0.113.7"}
        for number in range(20):
            assert (await login(client, f"user{number}@shop.example", "guess number x", headers=guesser)).status == 401
        assert (await login(client, AGENT, PASSWORD, headers=guesser)).status == 429
        # Everyone else comes through the same balancer (the same peer address) and is not held up.
        assert (await login(client, AGENT, PASSWORD, headers={**HEADERS, "X-Real-IP": "198.51.100.2"})).status == 200
    run(app, scenario)


def test_a_successful_login_clears_the_accounts_failures(agent, knowledge, tmp_path):
    async def scenario(client):
        assert [s for s, _, _ in await attempts(client, AGENT, "typo typo typo", 4)] == [401] * 4
        assert (await login(client, AGENT, PASSWORD)).status == 200
        assert [s for s, _, _ in await attempts(client, AGENT, "typo typo typo", 4)] == [401] * 4
        assert (await login(client, AGENT, PASSWORD)).status == 200
    run(desk_app(agent, knowledge, tmp_path), scenario)


def test_hashing_leaves_the_event_loop_free(agent, knowledge, tmp_path, monkeypatch):
    """While a password is being hashed the desk still answers: the hash holds until /health has
    answered, which can only happen if the hash is not running on the event loop (if it were, the wait
    would run out and the login would report it)."""
    started, health_answered = threading.Event(), threading.Event()
    waited = []
    real_verify = bot.desk.accounts.verify_password

    def verify_after_health(password, stored):
        started.set()
        waited.append(health_answered.wait(timeout=20))
        return real_verify(password, stored)
    monkeypatch.setattr(bot.desk.accounts, "verify_password", verify_after_health)

    async def scenario(client):
        loop = asyncio.get_running_loop()
        logging_in = asyncio.ensure_future(login(client, AGENT, PASSWORD))
        assert await loop.run_in_executor(None, started.wait, 20)
        health = await client.get("/health")
        assert health.status == 200
        health_answered.set()
        assert (await logging_in).status == 200
    run(desk_app(agent, knowledge, tmp_path), scenario)
    assert waited == [True]
