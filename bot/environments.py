"""The project's two Python environments, and how one starts a program in the other.

The Rasa environment (.venv-rasa, Python 3.10) holds Rasa 3.6 and its pins: the Rasa server, training
and model evaluation run there. The application environment (.venv, Python 3.12+) holds everything
else. They share the code in bot/ and talk over HTTP, the database and, for the commands below,
subprocesses. RASA_PYTHON and APP_PYTHON point elsewhere (a deployment's own virtualenvs)."""
import os

from bot.settings import PROJECT_ROOT


def rasa_python() -> str:
    """The interpreter of the Rasa environment."""
    return os.environ.get("RASA_PYTHON") or str(PROJECT_ROOT / ".venv-rasa" / "bin" / "python")


def app_python() -> str:
    """The interpreter of the application environment."""
    return os.environ.get("APP_PYTHON") or str(PROJECT_ROOT / ".venv" / "bin" / "python")

