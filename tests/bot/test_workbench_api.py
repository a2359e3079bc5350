"""The trainer workbench's API over real HTTP on a real database; Rasa's parse endpoint is a fake here
(tests/integration/test_training_loop.py uses the real model)."""
import shutil
from datetime import datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.db import session_scope
from bot.db.models import Label, Role
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.desk.rasa_client import RasaUnavailable
from bot.trainer.paths import TrainingPaths
from bot.nlu_eval import load_examples
from bot.trainer.evaluation import run_evaluation
from tests.bot.test_desk_api import HEADERS, login, run
from tests.bot.trainer.helpers import store_conversation
from tests.conftest import project_path

NOW = datetime(2027, 1, 5, 12, 0)


class ParsingRasa:
    def __init__(self, down=False):
        self.down = down

    def parse(self, text):
        if self.down:
            raise RasaUnavailable("refused")
        return {"intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": [],
                "anger": {"score": 0.0, "level": "none", "cues": []}}


@pytest.fixture()
def workbench(sqlite_engine, knowledge, tmp_path):
    nlu = tmp_path / "nlu"
    shutil.copytree(project_path("data", "nlu"), nlu)
    paths = TrainingPaths(nlu_dir=nlu, anger_file=tmp_path / "anger.csv", reports_dir=tmp_path / "reports")
    with session_scope(sqlite_engine) as session:
        for email, role in (("tia@shop.example", Role.trainer), ("ben@shop.example", Role.trainer),
                            ("ana@shop.example", Role.agent)):
            create_user(session, email=email, password="long enough pw", role=role, name=email.split("@")[0])
    store_conversation(sqlite_engine, "web-1", [("where my stuff at", "nlu_fallback", 0.2, "none"),
                                                ("THIS IS A JOKE!!", "complain", 0.6, "angry"),
                                                ("the alpine parka, does it run small", "ask_sizing", 0.7, "none")])
    rasa = ParsingRasa()
    app = create_app(engine=sqlite_engine, rasa=rasa, knowledge=knowledge, now=lambda: NOW, training=paths)
    return app, paths, rasa


async def inbox(client, **query):
    response = await client.get("/api/inbox", params=query)
    assert response.status == 200
    return (await response.json())["rows"]


async def key_for(client, text, **query):
    """A row's key: an opaque number, not the text (which may hold personal data)."""
    return next(r["key"] for r in await inbox(client, **query) if r["text"].lower() == text)


def test_only_trainers_use_the_workbench(workbench):
    app, _, _ = workbench

    async def scenario(client):
        assert (await client.get("/api/inbox")).status == 401
        assert (await client.get("/workbench", allow_redirects=False)).status == 302
        await login(client, "ana@shop.example")
        for path in ("/api/inbox", "/api/reports", "/api/intents"):
            assert (await client.get(path)).status == 403
        assert (await client.post("/api/labels", json={"keys": ["x"], "intent": "greet"},
                                  headers=HEADERS)).status == 403
        assert (await client.post("/api/export", headers=HEADERS)).status == 403
    run(app, scenario)


def test_label_in_one_click_and_in_bulk_with_who_and_when(workbench, sqlite_engine):
    app, _, _ = workbench

    async def scenario(client):
        await login(client, "tia@shop.example")
        rows = await inbox(client)
        assert [r["text"] for r in rows][0] == "where my stuff at"  # lowest confidence first
        stuff_key = rows[0]["key"]
        one = await client.post("/api/labels", json={"keys": [stuff_key], "intent": "order_status"},
                                headers=HEADERS)
        assert one.status == 200 and (await one.json()) == {"labelled": 1}
        keys = [r["key"] for r in await inbox(client)]
        assert stuff_key not in keys  # done: off my list
        bulk = await client.post("/api/labels", json={"keys": keys, "angry": False}, headers=HEADERS)
        assert (await bulk.json()) == {"labelled": 2}
        labelled = await inbox(client, status="labelled")
        stuff = next(r for r in labelled if r["key"] == stuff_key)
        assert stuff["labels"] == [{"trainer": "tia", "trainer_id": stuff["labels"][0]["trainer_id"],
                                    "intent": "order_status", "entities": [], "angry": None, "spam": False,
                                    "at": "2027-01-05T12:00:00Z"}]
        parka = await key_for(client, "the alpine parka, does it run small", status="all")
        entity = await client.post("/api/labels", json={"keys": [parka],
                                                        "entities": [{"entity": "product", "value": "alpine parka"}]},
                                   headers=HEADERS)
        assert entity.status == 200
    run(app, scenario)
    with session_scope(sqlite_engine) as session:
        assert session.query(Label).count() == 3


STUFF = "where my stuff at"  # stands for that message's row key in the bodies below


@pytest.mark.parametrize("body, message", [
    ({"keys": [STUFF], "intent": "no_such_intent"}, "unknown intent"),
    ({"keys": [], "intent": "greet"}, "select at least one"),
    ({"keys": ["not in the inbox"], "intent": "greet"}, "not in the inbox"),
    ({"keys": ["999999"], "intent": "greet"}, "not in the inbox"),
    ({"keys": [STUFF]}, "nothing to label"),
    ({"keys": [STUFF], "entities": [{"entity": "product", "value": "trail jacket"}]}, "not part"),
    ({"keys": [STUFF], "entities": [{"entity": "colour", "value": "stuff"}]}, "needs a type"),
    ({"keys": [STUFF], "angry": "very"}, "angry must be"),
    ({"keys": STUFF, "intent": "greet"}, "send {keys"),
])
def test_bad_labels_get_clear_errors(workbench, body, message):
    app, _, _ = workbench

    async def scenario(client):
        await login(client, "tia@shop.example")
        key = await key_for(client, STUFF)
        if isinstance(body["keys"], list):
            body["keys"] = [key if k == STUFF else k for k in body["keys"]]
        response = await client.post("/api/labels", json=body, headers=HEADERS)
        assert response.status == 400 and message in (await response.json())["error"]
    run(app, scenario)


def test_a_second_trainer_reviews_and_disagreements_show(workbench):
    app, _, _ = workbench

    async def scenario(client):
        await login(client, "tia@shop.example")
        joke = await key_for(client, "this is a joke!!")
        await client.post("/api/labels", json={"keys": [joke], "intent": "complain"}, headers=HEADERS)
        async with TestClient(TestServer(app)) as ben:
            await login(ben, "ben@shop.example")
            row = next(r for r in await inbox(ben) if r["key"] == joke)
            assert row["labels"][0]["trainer"] == "tia" and row["mine"] is None
            await ben.post("/api/labels", json={"keys": [joke], "intent": "out_of_scope"}, headers=HEADERS)
            disputed = await inbox(ben, status="disagreements")
            assert [r["key"] for r in disputed] == [joke] and disputed[0]["disagreement"]
    run(app, scenario)


def test_import_through_the_api_and_spam_is_ignored(workbench):
    app, _, rasa = workbench
    rasa.down = True

    async def scenario(client):
        await login(client, "tia@shop.example")
        form = aiohttp.FormData()
        form.add_field("file", b"text,timestamp\nbuy cheap watches www.spam.example,2026-10-01\n,2026-10-01\n",
                       filename="helpdesk.csv", content_type="text/csv")
        response = await client.post("/api/inbox/import", data=form, headers=HEADERS)
        report = await response.json()
        assert response.status == 200 and report["imported"] == 1 and report["not_predicted"] == 1
        assert report["errors"] == [{"line": 3, "error": "no text"}]
        waiting = next(r for r in await inbox(client) if r["text"].startswith("buy cheap"))
        assert waiting["predicted_intent"] is None  # not predicted yet is not "not understood"
        assert all(not r["text"].startswith("buy cheap") for r in await inbox(client, not_understood="1"))
        rasa.down = False
        spam = next(r for r in await inbox(client) if r["text"].startswith("buy cheap"))
        assert spam["predicted_intent"] == "nlu_fallback"  # predicted once the assistant answered
        await client.post("/api/labels", json={"keys": [spam["key"]], "spam": True}, headers=HEADERS)
        assert [r["key"] for r in await inbox(client, status="ignored")] == [spam["key"]]
        bad = aiohttp.FormData()
        bad.add_field("file", b"id,body_text\n1,hi\n", filename="wrong.csv")
        refused = await client.post("/api/inbox/import", data=bad, headers=HEADERS)
        assert refused.status == 400 and "text column" in (await refused.json())["error"]
    run(app, scenario)


def test_conversation_view_is_masked(workbench, sqlite_engine):
    app, _, _ = workbench
    store_conversation(sqlite_engine, "web-2", [("I'm jo.smith@example.com, order TS100004", "inform", 0.9, "none")],
                       start=1.9e9)

    async def scenario(client):
        await login(client, "tia@shop.example")
        row = next(r for r in await inbox(client) if r["text"].startswith("I'm"))
        body = await (await client.get(f"/api/inbox/conversations/{row['conversation']}")).json()
        assert body["transcript"][0]["text"] == "I'm j***@e***.com, order TS******"
        missing = await client.get("/api/inbox/conversations/nobody")
        assert missing.status == 404 and "no conversation" in (await missing.json())["error"]
    run(app, scenario)


def test_export_and_reports_through_the_api(workbench):
    app, paths, _ = workbench

    async def scenario(client):
        await login(client, "tia@shop.example")
        stuff, joke = await key_for(client, "where my stuff at"), await key_for(client, "this is a joke!!")
        await client.post("/api/labels", json={"keys": [stuff], "intent": "order_status"}, headers=HEADERS)
        await client.post("/api/labels", json={"keys": [joke], "angry": True}, headers=HEADERS)
        report = await (await client.post("/api/export", headers=HEADERS)).json()
        assert report["exported"] == 1 and report["angry_marks"] == 1
        assert ("where my stuff at", "order_status") in load_examples(paths.nlu_dir / "labelled.yml")
        assert (await (await client.get("/api/reports")).json()) == {"latest": None, "trend": []}
        run_evaluation(predict=lambda text: "greet", test_set=paths.test_set,
                       labelled=[("where my stuff at", "order_status")], reports_dir=paths.reports_dir,
                       model_version="abc123", now=NOW)
        body = await (await client.get("/api/reports")).json()
        assert body["latest"]["model"] == "abc123" and len(body["trend"]) == 1
        assert body["latest"]["labelled"]["accuracy"] == 0.0
        image = await client.get(f"/api/reports/{body['latest']['folder']}/test_set_confusion.png")
        assert image.status == 200 and (await image.read())[:4] == b"\x89PNG"
        assert (await client.get("/api/reports/..%2F..%2Fetc/passwd")).status == 404
    run(app, scenario)
