"""The line between the two environments: what each side imports, run in each side's own interpreter."""
import json
import subprocess
import sys

import pytest

from bot.environments import rasa_child_environment, rasa_python
from bot.settings import PROJECT_ROOT

# Used by the Rasa server (config.yml, credentials.yml, endpoints.yml) and by the application alike.
SHARED = ["bot.settings", "bot.environments", "bot.handoff.decision", "bot.handoff.anger", "bot.chat.limits",
          "bot.chat.session_ids", "bot.readiness", "bot.database_urls", "bot.chat.events", "bot.chat.acknowledgement",
          "bot.chat.language", "bot.email_masking"]
# What the Rasa environment loads of ours.
RASA_SIDE = ["bot.rasa_server", "bot.chat.channels", "bot.tracker_store", "bot.handoff.policy",
             "bot.nlu.anger_component", "bot.nlu.linear_intent_classifier", "bot.nlu.language_component",
             # started there by the application's commands, benchmarks and tests
             "bot.nlu_eval", "bench.components", "tests.rasa.tracker_writer"]
# What runs in the application environment only.
APPLICATION_SIDE = ["actions.orders", "actions.handoff", "actions.knowledge", "actions.cancel_code",
                    "bot.action_server", "bot.desk.app", "bot.trainer.inbox", "bot.db.migrations", "bot.cli"]

APPLICATION_PACKAGES = {"bot.db", "bot.desk", "bot.orders", "bot.knowledge", "bot.trainer", "bot.mail", "actions",
                        "alembic", "psycopg", "rasa_sdk"}
RASA_PACKAGES = {"rasa", "sanic", "tensorflow", "socketio"}
WEB_AND_DATABASE = {"sqlalchemy", "aiohttp", "pydantic", "jinja2"}


def imported_packages(python: str, modules) -> set:
    """Top-level packages (and bot./actions. subpackages) loaded by importing `modules` in a new process."""
    script = ("import importlib, json, sys\n"
              f"for name in {list(modules)!r}: importlib.import_module(name)\n"
              "names = set()\n"
              "for module in list(sys.modules):\n"
              "    parts = module.split('.')\n"
              "    names.add(parts[0])\n"
              "    if parts[0] == 'bot' and len(parts) > 1: names.add('.'.join(parts[:2]))\n"
              "print(json.dumps(sorted(names)))\n")
    result = subprocess.run([python, "-c", script], cwd=PROJECT_ROOT, env=rasa_child_environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("python", [sys.executable, rasa_python()], ids=["application", "rasa"])
def test_the_shared_pieces_pull_in_neither_side(python):
    loaded = imported_packages(python, SHARED)
    assert not loaded & (APPLICATION_PACKAGES | RASA_PACKAGES | WEB_AND_DATABASE)


def test_the_rasa_server_loads_nothing_of_the_application():
    loaded = imported_packages(rasa_python(), RASA_SIDE)
    assert "rasa" in loaded  # the check sees real imports
    assert not loaded & APPLICATION_PACKAGES


def test_the_application_runs_without_rasa():
    loaded = imported_packages(sys.executable, APPLICATION_SIDE)
    assert {"rasa_sdk", "sqlalchemy", "aiohttp"} <= loaded
    assert "rasa" not in loaded
    assert sys.version_info >= (3, 12)


def test_each_environment_has_its_own_interpreter_and_packages():
    script = "import json, sys, sqlalchemy; print(json.dumps([list(sys.version_info[:2]), sqlalchemy.__version__]))"
    versions = {}
    for name, python in (("application", sys.executable), ("rasa", rasa_python())):
        result = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120, check=True)
        versions[name] = json.loads(result.stdout)
    assert versions["rasa"][0] == [3, 10] and versions["rasa"][1].startswith("1.4.")
    assert versions["application"][0] >= [3, 12] and versions["application"][1].startswith("2.")
