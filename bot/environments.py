"""Where the Rasa environment's interpreter is, for the application's commands that start a program there.

The Rasa environment (.venv-rasa, Python 3.10) holds Rasa 3.6 and its pins: the Rasa server, training
and model evaluation run there. The application environment (.venv, Python 3.12+) holds everything
else. They share the code in bot/ and talk over HTTP, the database and subprocesses started with this
interpreter. RASA_PYTHON points elsewhere (a deployment's own virtualenv)."""
import os

from bot.settings import ENV_FILE, PROJECT_ROOT, read_env_file


def rasa_python() -> str:
    """The interpreter of the Rasa environment: RASA_PYTHON (environment, then .env; relative to the
    project folder), else the project's own .venv-rasa."""
    configured = os.environ.get("RASA_PYTHON") or read_env_file(ENV_FILE).get("RASA_PYTHON")
    return str(PROJECT_ROOT / (configured or ".venv-rasa/bin/python"))

