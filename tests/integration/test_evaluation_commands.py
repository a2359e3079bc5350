"""The evaluation commands on the real model file: `python -m bot evaluate` (make evaluate) writes its
report, `python -m bot eval nlu FILE` prints its figures, and bad input gets a clear answer."""
import json
import os
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT
from bot.training import train_if_changed

pytestmark = pytest.mark.integration


def bot_command(*args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'evaluate.db'}"}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_evaluate_writes_a_report_with_a_confusion_matrix_and_a_history(tmp_path):
    train_if_changed()
    reports = tmp_path / "reports"
    run = bot_command("evaluate", "--reports", str(reports), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["test_set"]["examples"] == 177 and summary["test_set"]["accuracy"] >= 0.8
    assert summary["labelled"] is None  # a fresh database has no labelled messages
    folder = reports / summary["report"].rsplit("/", 1)[-1]
    report = json.loads((folder / "report.json").read_text())
    matrix = report["test_set"]["confusion_matrix"]
    assert sum(map(sum, matrix["counts"])) == 177
    assert (folder / "test_set_confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Held-out test set" in (folder / "report.md").read_text()
    history = (reports / "history.jsonl").read_text().splitlines()
    assert json.loads(history[-1])["test_accuracy"] == summary["test_set"]["accuracy"]


def test_eval_nlu_on_a_csv_and_bad_files(tmp_path):
    train_if_changed()
    good = tmp_path / "good.csv"
    good.write_text("text,intent\nwhere is my parcel,order_status\nhello there,greet\nzzz,order_status\n")
    run = bot_command("eval", "nlu", str(good), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout)
    assert figures["examples"] == 3 and 0 < figures["accuracy"] < 1  # "zzz" is not an order question
    assert set(figures["per_intent"]) == {"order_status", "greet"}
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhi,greet\n")
    refused = bot_command("eval", "nlu", str(bad), tmp_path=tmp_path)
    assert refused.returncode == 1 and "text,intent" in refused.stderr and "Traceback" not in refused.stderr
