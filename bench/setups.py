"""One setup of the assistant under test: a model trained from a config on the project's data, served
by a Rasa server and our action server, each process started here and timed until it answers."""
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.database_urls import for_application
from bot.environments import rasa_python
from bot.readiness import servers_ready, wait_until
from bot.settings import PROJECT_ROOT

# At least 32 characters: outside development (e.g. under the test suite) shorter tokens are refused.
TOKEN = "bench-token-0123456789abcdef0123456789"
# Both run in the Rasa environment (its interpreter is put in front when they start); the benchmark itself,
# the action server and the desk in the application's.
STOCK_SERVER = ("-m", "rasa", "run")
OUR_SERVER = ("-m", "bot.rasa_server")


@dataclass
class Running:
    url: str
    ready_seconds: float
    pids: Dict[str, int]


def train(config: Path, out: Path, name: str, env: dict) -> float:
    # Rasa 3 reuses trained components from its cache (~/.rasa/cache) when config and data are the same;
    # an empty cache of its own makes every run train from scratch.
    env = {**env, "RASA_CACHE_DIRECTORY": str(out / f"{name}-rasa-cache")}
    started = time.perf_counter()
    subprocess.run([rasa_python(), "-m", "rasa", "train", "--config", str(config), "--domain", "domain.yml",
                    "--data", "data", "--out", str(out), "--fixed-model-name", name],
                   cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(model: Path, workdir: Path, env: dict, log_name: str, rasa_server: Sequence[str]) -> Iterator[Running]:
    """The action server and the Rasa server (REST and socket.io channels) on free ports; `rasa_server` is
    the arguments of the Rasa environment's Python that start Rasa (`-m rasa run`, or ours,
    `-m bot.rasa_server`)."""
    rasa_port, action_port = free_port(), free_port()
    run_env = {**env, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "RASA_TOKEN": TOKEN,
               "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
               # Each simulated shopper comes from an address of its own, as real shoppers do (bench/load.py).
               "SANIC_REAL_IP_HEADER": "x-real-ip"}
    endpoints = workdir / f"{log_name}-endpoints.yml"
    subprocess.run([sys.executable, "-m", "bot", "render-endpoints", "--output", str(endpoints)], cwd=PROJECT_ROOT,
                   env=run_env, check=True)
    logs = [open(workdir / f"{log_name}-{part}.log", "w") for part in ("actions", "rasa")]
    started = time.perf_counter()
    actions = subprocess.Popen([sys.executable, "-m", "bot", "serve-actions"], cwd=PROJECT_ROOT, env=run_env,
                               stdout=logs[0], stderr=subprocess.STDOUT)
    rasa = subprocess.Popen([rasa_python(), *rasa_server, "-i", "127.0.0.1", "--enable-api", "--auth-token",
                             TOKEN, "--port", str(rasa_port), "--model", str(model), "--endpoints", str(endpoints),
                             "--credentials", str(PROJECT_ROOT / "credentials.yml")], cwd=PROJECT_ROOT, env=run_env,
                            stdout=logs[1], stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        ready = wait_until(lambda: servers_ready(url, TOKEN, action_port) or rasa.poll() is not None,
                           timeout=900, interval=0.1)
        if not ready or rasa.poll() is not None or actions.poll() is not None:
            raise RuntimeError(f"{log_name}: servers did not start; see {workdir}/{log_name}-*.log")
        yield Running(url, time.perf_counter() - started, {"rasa": rasa.pid, "actions": actions.pid})
    finally:
        stop(rasa, actions, timeout=60)
        for log in logs:
            log.close()


def stop(*processes: subprocess.Popen, timeout: float = 30) -> None:
    """Ask each process to end, then end any still running after `timeout` seconds."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def database_env(url: Optional[str]) -> dict:
    return {**os.environ, "DATABASE_URL": url} if url else dict(os.environ)


def fresh_postgres(url: str) -> str:
    """The PostgreSQL database at `url`, dropped and created empty."""
    parsed = make_url(for_application(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url
