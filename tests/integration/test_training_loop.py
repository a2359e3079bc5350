"""The trainer's loop on the real model: messages the model gets wrong are labelled through the
workbench API, exported into (a copy of) the training data, which passes `rasa data validate`, and
the retrained model gets them right."""
import asyncio
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.db import session_scope
from bot.db.models import Role
from bot.desk.accounts import create_user
from bot.desk.app import create_app
from bot.environments import rasa_python
from bot.trainer.paths import TrainingPaths
from bot.nlu_eval import model_parser
from bot.settings import PROJECT_ROOT
from bot.training import model_path, train_if_changed
from tests.bot.trainer.helpers import store_conversation

pytestmark = pytest.mark.integration
HEADERS = {"X-Requested-With": "desk"}
# Phrases with wording the training data lacks, each with a few ways shoppers put it.
CANDIDATES = [
    ("has my thing left the building yet", "order_status",
     ["has my thing left the building", "has my parcel left the building yet", "did my thing leave the building",
      "has my order left the building yet"]),
    ("any chance of swapping the colour on my hoodie", "ask_return_policy",
     ["any chance of swapping the colour", "can i swap the colour on my jacket", "chance of swapping colours"]),
    ("gimme a human being pronto", "request_human",
     ["gimme a human being", "a human being pronto please", "human being please"]),
]


class ModelParser:
    """The desk's view of Rasa's /model/parse, answered by a trained model file in this process."""

    def __init__(self, model: Path):
        self.parse = model_parser(model)


def rasa_command(*args, root: Path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run([rasa_python(), "-m", "rasa", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=900)


def test_labelled_phrase_is_understood_after_export_and_retraining(tmp_path, sqlite_engine, knowledge):
    train_if_changed()
    current = ModelParser(model_path(PROJECT_ROOT / "models"))
    wrong = [(phrase, intent, variants) for phrase, intent, variants in CANDIDATES
             if current.parse(phrase)["intent"]["name"] != intent]
    assert wrong, "the current model already understands every candidate phrase; add a harder one"
    phrase, intent, variants = wrong[0]

    root = tmp_path / "project"
    root.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    (root / "data" / "nlu" / "labelled.yml").unlink(missing_ok=True)
    paths = TrainingPaths(nlu_dir=root / "data" / "nlu", anger_file=tmp_path / "anger.csv",
                          reports_dir=tmp_path / "reports", domain=root / "domain.yml")
    with session_scope(sqlite_engine) as session:
        create_user(session, email="tia@shop.example", password="long enough pw", role=Role.trainer, name="Tia")
    # The shoppers' messages as the Rasa server stored them, predictions included.
    store_conversation(sqlite_engine, "web-loop", [
        (text, current.parse(text)["intent"]["name"], current.parse(text)["intent"]["confidence"], "none")
        for text in [phrase] + variants])
    app = create_app(engine=sqlite_engine, rasa=current, knowledge=knowledge, now=lambda: datetime(2027, 1, 5),
                     training=paths)

    async def label_and_export():
        async with TestClient(TestServer(app)) as client:
            login = await client.post("/api/login", json={"email": "tia@shop.example", "password": "long enough pw"},
                                      headers=HEADERS)
            assert login.status == 200
            rows = (await (await client.get("/api/inbox")).json())["rows"]
            keys = [row["key"] for row in rows]
            assert phrase in [row["text"] for row in rows]
            labelled = await client.post("/api/labels", json={"keys": keys, "intent": intent}, headers=HEADERS)
            assert (await labelled.json()) == {"labelled": len(keys)}
            return await (await client.post("/api/export", headers=HEADERS)).json()
    report = asyncio.run(label_and_export())
    assert report["exported"] == len(variants) + 1 and report["conflicts"] == []

    validation = rasa_command("data", "validate", "--data", "data", "--domain", "domain.yml", "--config",
                              "config.yml", "--fail-on-warnings", root=root)
    assert validation.returncode == 0, validation.stdout[-3000:] + validation.stderr[-3000:]

    training = rasa_command("train", "nlu", "--config", "config.yml", "--nlu", "data/nlu", "--out", "models",
                            "--fixed-model-name", "retrained", root=root)
    assert training.returncode == 0, training.stdout[-3000:] + training.stderr[-3000:]
    retrained = ModelParser(root / "models" / "retrained.tar.gz")
    assert retrained.parse(phrase)["intent"]["name"] == intent
