"""Start the real action server and Rasa server for integration tests, on their own ports and database."""
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

from bot.environments import rasa_python
from bot.readiness import servers_ready, wait_until
from bot.settings import PROJECT_ROOT

# At least 32 characters: the test environment refuses shorter secrets, as production does.
TOKEN = "integration-test-token-0123456789abcdef"
# The test Rasa server reads the client's address from this header, as it would behind a balancer that
# sets it (Sanic's REAL_IP_HEADER), so that every test conversation can come from an address of its own.
CLIENT_HEADER = "X-Real-IP"


def address_of(sender: str) -> str:
    digest = hashlib.sha256(sender.encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2]}"


@dataclass
class Servers:
    rasa_url: str
    action_port: int
    env: dict
    log_dir: Path
    desk_url: str = ""

    def say(self, sender: str, message: str, client: Optional[str] = None) -> List[dict]:
        """One message over the REST channel; returns the bot's messages. Each sender is a client of its
        own (a network address derived from it, passed as the balancer would) unless `client` is given."""
        return self.post("/webhooks/rest/webhook", {"sender": sender, "message": message},
                         headers={CLIENT_HEADER: client or address_of(sender)})

    def texts(self, sender: str, message: str) -> List[str]:
        return [m.get("text", "") for m in self.say(sender, message)]

    def post(self, path: str, body: dict, token: Optional[str] = None, headers: Optional[dict] = None) -> dict:
        url = f"{self.rasa_url}{path}" + (f"?token={token}" if token else "")
        request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def get(self, path: str, token: Optional[str] = None) -> dict:
        url = f"{self.rasa_url}{path}" + (f"?token={token}" if token else "")
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.load(response)


def free_port() -> int:
    """A port nobody listens on now, so that tests never collide with a running instance."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_servers(database_url: str, log_dir: Path, extra_env: Optional[dict] = None) -> Iterator[Servers]:
    rasa_port, action_port, desk_port = free_port(), free_port(), free_port()
    from bot.training import model_path, train_if_changed

    train_if_changed()
    env = {**os.environ, "DATABASE_URL": database_url, "RASA_PORT": str(rasa_port),
           "ACTION_PORT": str(action_port), "DESK_PORT": str(desk_port), "RASA_TOKEN": TOKEN, "RASA_TELEMETRY_ENABLED": "false",
           "PYTHONPATH": str(PROJECT_ROOT), "RASA_URL": f"http://127.0.0.1:{rasa_port}",
           "SANIC_REAL_IP_HEADER": CLIENT_HEADER.lower(), **(extra_env or {})}
    endpoints = log_dir / "endpoints.yml"
    subprocess.run([sys.executable, "-m", "bot", "render-endpoints", "--output", str(endpoints)],
                   env=env, cwd=PROJECT_ROOT, check=True)
    commands = {
        "actions": [sys.executable, "-m", "bot", "serve-actions"],
        "desk": [sys.executable, "-m", "bot", "serve-desk"],
        "rasa": [rasa_python(), "-m", "bot.rasa_server", "-i", "127.0.0.1", "--enable-api", "--auth-token", TOKEN,
                 "--port", str(rasa_port), "--model", str(model_path(PROJECT_ROOT / "models")),
                 "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml")],
    }
    processes = []
    try:
        for name, command in commands.items():
            log = open(log_dir / f"{name}.log", "w")
            processes.append(subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log,
                                              stderr=subprocess.STDOUT))
        ready = wait_until(lambda: servers_ready(f"http://127.0.0.1:{rasa_port}", TOKEN, action_port, desk_port)
                           or any(p.poll() is not None for p in processes), timeout=300)
        if not ready or any(p.poll() is not None for p in processes):
            logs = "\n".join((log_dir / f"{n}.log").read_text()[-3000:] for n in commands)
            raise RuntimeError(f"servers did not start:\n{logs}")
        running = Servers(f"http://127.0.0.1:{rasa_port}", action_port, env, log_dir, f"http://127.0.0.1:{desk_port}")
        running.processes = dict(zip(commands, processes))
        yield running
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
