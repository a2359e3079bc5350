"""The Rasa environment, seen from the application: where its interpreter is and how a program is started
there.

The Rasa environment (.venv-rasa, Python 3.10) holds Rasa 3.6 and its pins: the Rasa server, training
and model evaluation run there. The application environment (.venv, Python 3.12+) holds everything
else. They share the code in bot/ and talk over HTTP, the database and subprocesses started with this
interpreter. RASA_PYTHON points elsewhere (a deployment's own virtualenv)."""
import importlib.util
import os
from pathlib import Path
from typing import Dict

from bot.settings import ENV_FILE, PROJECT_ROOT, read_env_file


class RasaEnvironmentMissing(RuntimeError):
    """The Rasa environment's interpreter is not where the settings say."""


def rasa_python() -> str:
    """The interpreter of the Rasa environment: RASA_PYTHON (environment, then .env; relative to the
    project folder), else the project's own .venv-rasa."""
    configured = os.environ.get("RASA_PYTHON") or read_env_file(ENV_FILE).get("RASA_PYTHON")
    return str(PROJECT_ROOT / (configured or ".venv-rasa/bin/python"))


def require_rasa_python() -> str:
    """rasa_python(), or RasaEnvironmentMissing with what to do about it."""
    python = rasa_python()
    if not Path(python).is_file():
        raise RasaEnvironmentMissing(f"{python}: the Rasa environment is missing; `make install` builds it "
                                     "(or set RASA_PYTHON)")
    return python


def rasa_child_environment() -> Dict[str, str]:
    """Environment variables of a program started in the Rasa environment: the project importable, and
    Rasa's telemetry (reports to its vendor) off."""
    return dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), RASA_TELEMETRY_ENABLED="false")


def in_rasa_environment() -> bool:
    """True in the Rasa environment's interpreter: Rasa is importable there and only there."""
    return importlib.util.find_spec("rasa") is not None
