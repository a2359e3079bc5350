"""A server that dies (kill -9) is started again by the supervisor, and the other two keep answering.

The set is started as `make run` starts it: `python -m bot supervisor-config` renders supervisord's
configuration from the settings, and supervisord (from .venv) runs the three servers, here on free
ports with a private SQLite database."""
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from bot.readiness import wait_until
from bot.settings import PROJECT_ROOT
from tests.integration.servers import TOKEN, free_port

pytestmark = pytest.mark.integration

SUPERVISORD = Path(sys.executable).with_name("supervisord")
SUPERVISORCTL = Path(sys.executable).with_name("supervisorctl")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass
class Supervised:
    config: Path
    env: Dict[str, str]
    log_dir: Path
    health: Dict[str, str]  # each server's own "I answer" URL

    def ctl(self, *arguments: str) -> str:
        result = subprocess.run([str(SUPERVISORCTL), "-c", str(self.config), *arguments], env=self.env,
                                capture_output=True, text=True, timeout=30)
        return result.stdout.strip()

    def pid(self, name: str) -> Optional[int]:
        """The process supervisord runs as `name` now (None while it is not running)."""
        out = self.ctl("pid", name)
        return int(out) if out.isdigit() and int(out) > 0 else None

    def answering(self) -> List[str]:
        return [name for name, url in self.health.items() if answers(url)]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture(scope="module")
def supervised(tmp_path_factory, sqlite_template):
    from bot.training import train_if_changed

    train_if_changed()
    directory = tmp_path_factory.mktemp("supervised")
    shutil.copyfile(sqlite_template, directory / "storefront.db")
    rasa_port, action_port, desk_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "DATABASE_URL": f"sqlite:///{directory / 'storefront.db'}", "RASA_TOKEN": TOKEN,
           "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "DESK_PORT": str(desk_port),
           "RASA_URL": f"http://127.0.0.1:{rasa_port}"}
    subprocess.run([sys.executable, "-m", "bot", "supervisor-config", "--run-dir", str(directory)], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120)
    running = Supervised(config=directory / "supervisord.conf", env=env, log_dir=directory / "log", health={
        "actions": f"http://127.0.0.1:{action_port}/health",
        "rasa": f"http://127.0.0.1:{rasa_port}/status?token={TOKEN}",
        "desk": f"http://127.0.0.1:{desk_port}/health",
    })
    supervisor = subprocess.Popen([str(SUPERVISORD), "--nodaemon", "--silent", "-c", str(running.config)],
                                  env=env, cwd=PROJECT_ROOT)
    try:
        ready = wait_until(lambda: supervisor.poll() is not None or len(running.answering()) == 3, timeout=300)
        if not ready or supervisor.poll() is not None:
            raise RuntimeError(f"the supervised servers did not start:\n{running.logs()}")
        yield running
    finally:
        # TERM: supervisord stops every server (their whole process groups) before it exits.
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout=120)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()


def test_the_supervisor_runs_each_server_in_its_own_process_without_secrets_on_the_command_line(supervised):
    pids = {name: supervised.pid(name) for name in supervised.health}
    assert all(pids.values()) and len(set(pids.values())) == 3
    for pid in pids.values():
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        assert TOKEN not in command_line


@pytest.mark.parametrize("victim", ["actions", "rasa", "desk"])
def test_a_killed_server_is_restarted_while_the_others_keep_answering(supervised, victim):
    assert wait_until(lambda: len(supervised.answering()) == 3, timeout=300), supervised.logs()
    old = supervised.pid(victim)
    assert old
    os.kill(old, signal.SIGKILL)
    others = [name for name in supervised.health if name != victim]
    silent: List[str] = []

    def restarted() -> bool:
        silent.extend(name for name in others if not answers(supervised.health[name]))
        new = supervised.pid(victim)
        return new is not None and new != old and answers(supervised.health[victim])

    assert wait_until(restarted, timeout=240), f"{victim} was not restarted:\n{supervised.logs()}"
    assert silent == [], f"{silent} stopped answering while {victim} was restarted"
