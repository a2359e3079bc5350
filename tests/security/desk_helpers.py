"""The desk for the security tests: a real app on a real seeded database, real users logged in over HTTP
with aiohttp's test client; Rasa's HTTP API (an outside system) is a small fake."""
import asyncio
import shutil
from datetime import datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from bot.db import session_scope
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.handoff.queue import Summary, open_ticket
from bot.trainer.paths import TrainingPaths
from tests.conftest import project_path

NOW = datetime(2026, 11, 23, 15, 0)
PASSWORD = "long enough pw"
HEADERS = {"X-Requested-With": "desk"}
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


class FakeRasa:
    """Rasa's HTTP API as the desk calls it; `broken` makes every call fail unexpectedly."""

    def __init__(self, broken: bool = False):
        self.broken = broken

    def _check(self):
        if self.broken:
            raise RuntimeError("secret internal detail: connection pool exhausted at 0x7f00")

    def tracker(self, conversation_id):
        self._check()
        return {"sender_id": conversation_id, "paused": True,
                "events": [{"event": "user", "text": "where is my order TS100004?"}]}

    def say_as_agent(self, conversation_id, text, *, agent_id, agent_name):
        self._check()

    def announce_agent(self, conversation_id, *, agent_id, agent_name):
        self._check()

    def hand_back(self, conversation_id, text):
        self._check()

    def parse(self, text):
        self._check()
        return {"intent": {"name": "greet", "confidence": 0.9}, "entities": [],
                "anger": {"score": 0.0, "level": "none", "cues": []}}


class Clock:
    """The desk's clock, moved forward by the tests that need time to pass."""

    def __init__(self, start: datetime = NOW):
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


def add_user(engine, email: str, role) -> None:
    with session_scope(engine) as session:
        create_user(session, email=email, password=PASSWORD, role=role, name=email.split("@")[0])


def add_ticket(engine) -> int:
    with session_scope(engine) as session:
        ticket = open_ticket(session, conversation_id="web-" + "a" * 32, reason="anger", peak_anger=0.8,
                             peak_level="furious",
                             summary=Summary(["where is it"], {"order_number": "TS100004", "verified_order": "TS100004",
                                                               "order_verified": True}, []),
                             now=NOW)
        return ticket.id


def training_paths(tmp_path) -> TrainingPaths:
    """The workbench's files in a temporary folder, so that an export never writes into the project."""
    nlu = tmp_path / "nlu"
    shutil.copytree(project_path("data", "nlu"), nlu)
    return TrainingPaths(nlu_dir=nlu, anger_file=tmp_path / "anger.csv", reports_dir=tmp_path / "reports")


def desk_app(engine, knowledge, tmp_path, *, rasa=None, clock=None):
    return create_app(engine=engine, rasa=rasa or FakeRasa(), knowledge=knowledge, now=clock or (lambda: NOW),
                      training=training_paths(tmp_path))


def run(app, scenario):
    async def main():
        async with TestClient(TestServer(app)) as client:
            await scenario(client)
    asyncio.run(main())


async def login(client, email: str, password: str = PASSWORD, headers=HEADERS):
    return await client.post("/api/login", json={"email": email, "password": password}, headers=headers)


def assert_security_headers(response) -> None:
    missing = [name for name in SECURITY_HEADERS if name not in response.headers]
    assert not missing, f"{response.method} {response.url.path} -> {response.status} lacks {missing}"
