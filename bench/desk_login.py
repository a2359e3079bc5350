"""How the desk's other requests fare while people log in: `python -m bench.desk_login`.

Starts a desk in its own process on a temporary SQLite database with one agent, measures /health while
idle, then again while CLIENTS clients log in (right password) back to back, and prints both with the
login rate as JSON. A login costs one scrypt hash (about 50 ms of CPU); if the hash ran on the event
loop, every request queued behind it."""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import aiohttp

PASSWORD = "bench password 1"


def _email(number: int) -> str:
    # One account per client, as people log in: concurrent logins to one account count against its limit.
    return f"bench{number}@shop.example"


def _serve(database_url: str, port: int, users: int) -> None:
    """The desk process: our app as `serve-desk` builds it, without the Rasa server (no call reaches it)."""
    from aiohttp import web

    from bot.db import create_schema, get_engine, session_scope
    from bot.db.models import Role
    from bot.desk.accounts import create_user
    from bot.desk.app import create_app
    from bot.desk.rasa_client import RasaClient
    from bot.knowledge import Knowledge, load_knowledge_base
    from bot.settings import PROJECT_ROOT

    engine = get_engine(database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        for number in range(users):
            create_user(session, email=_email(number), password=PASSWORD, role=Role.agent)
    app = create_app(engine=engine, rasa=RasaClient("http://127.0.0.1:9", "unused"),
                     knowledge=Knowledge(load_knowledge_base(PROJECT_ROOT / "knowledge_base")))
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def _stats(samples: List[float]) -> Dict[str, float]:
    ordered = sorted(samples)
    return {"probes": len(ordered), "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2), "max_ms": round(ordered[-1], 2)}


async def _probe(session: aiohttp.ClientSession, url: str, until: float, samples: List[float]) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)


async def _log_in_repeatedly(base: str, email: str, until: float, counts: List[int]) -> None:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < until:
            async with session.post(f"{base}/api/login", json={"email": email, "password": PASSWORD},
                                    headers={"X-Requested-With": "desk"}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"login answered {response.status}")
            counts.append(1)


async def _measure(base: str, clients: int, seconds: float, path: str) -> dict:
    async with aiohttp.ClientSession() as session:
        idle: List[float] = []
        await _probe(session, f"{base}{path}", time.monotonic() + 2, idle)
        busy: List[float] = []
        counts: List[int] = []
        until = time.monotonic() + seconds
        await asyncio.gather(_probe(session, f"{base}{path}", until, busy),
                             *(_log_in_repeatedly(base, _email(n), until, counts) for n in range(clients)))
    return {"path": path, "idle": _stats(idle), f"while_{clients}_log_in": _stats(busy),
            "logins_per_second": round(len(counts) / seconds, 1)}


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the desk did not start")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--path", action="append", help="what to probe (default /health, and /health/live if any)")
    parser.add_argument("--serve", nargs=3, metavar=("DATABASE_URL", "PORT", "USERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return 0
    from tests.integration.servers import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'desk.db'}"
        command = [sys.executable, "-m", "bench.desk_login", "--serve", url, str(port), str(args.clients)]
        process = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, env={**os.environ})
        try:
            _wait_until_up(base, process)
            paths = args.path or ["/health", "/health/live"]
            results = []
            for path in paths:
                try:
                    import urllib.request

                    urllib.request.urlopen(f"{base}{path}", timeout=5).close()
                except OSError:
                    continue  # a desk without that route
                results.append(asyncio.run(_measure(base, args.clients, args.seconds, path)))
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps({"clients": args.clients, "seconds": args.seconds, "cpus": os.cpu_count(),
                      "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
