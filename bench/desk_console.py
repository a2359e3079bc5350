"""The agent console under load: `python -m bench.desk_console` (and a stage of `make bench`).

Starts the real desk (`python -m bot serve-desk`) in its own process on a real database (a SQLite file,
or a fresh PostgreSQL database with --database postgresql) seeded with a shop's orders, AGENTS desk
accounts (one in ten a supervisor) and OPEN_TICKETS open tickets (plus some resolved ones), each with the
conversation that led to it (~20 events) saved by Rasa's own SQL tracker store (bench/desk_console_seed.py).
Every account logs in and holds an open live stream (GET /api/live, server-sent events) for the whole run.

Three phases:
- single: one agent, requests back to back, nothing else happening: each route's own cost.
- steady: each agent acts every THINK seconds (2-5 s, at random), as a person at the console does: a
  list view (open, mine, waiting, resolved; a filter; a full-text search; another page), or a ticket
  (GET /api/tickets/{id} and /api/tickets/{id}/customer together).
- burst: every agent acts back to back without pausing: the desk at its limit (throughput).
Meanwhile the shop goes on: tickets are opened (6 a minute, as the action server opens them, with their
conversation's rows) and shoppers write on open tickets (30 lines a minute, each a row in the tracker's
`events` table as Rasa writes it). Each live event makes every agent's console fetch its list again (and
the ticket it has open, when the event is about it), as the console does; events that come during a
fetch make one more. For each new ticket and line, the time until it reached each live stream is
measured.

Reports per route p50/p95/p99, errors, the live streams kept open, and whether each new ticket and
message reached every stream and how fast (p95). The target: list and detail answers under 100 ms p95
with 50 agents live and 200 open tickets. Writes bench/results/<date>-desk-console[-smoke].json and
prints a table. The ticket detail's transcript is read from the tracker store; a desk whose detail still
asks Rasa's HTTP API for it (it answers `rasa_unavailable` without one) gets the real Rasa server and
action server started beside it (--rasa auto, the default; yes / no force it).

    .venv/bin/python -m bench.desk_console                       # SQLite, about 2 minutes
    .venv/bin/python -m bench.desk_console --database postgresql # BENCH_POSTGRES_URL + "_desk", made afresh
    .venv/bin/python -m bench.desk_console --smoke               # seconds: checks the harness only
"""
import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import aiohttp

from bench import desk_console_seed as seeding
from bench.setups import OUR_SERVER, TOKEN, database_env, free_port, fresh_postgres, serving, stop
from bot.readiness import answers, wait_until
from bot.settings import PROJECT_ROOT

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/storefront_bench")
TARGET_P95_MS = 100.0
# Nothing listens here: a desk that still asked Rasa for transcripts would answer rasa_unavailable at once.
NO_RASA = "http://127.0.0.1:9"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=None)
# How long after a phase the streams are still read for the last probes' deliveries (seconds).
DELIVERY_GRACE = 3.0

LIST_ROUTES = ("list view=open", "list view=mine", "list view=waiting", "list view=resolved",
               "list filtered", "list search q=")
DETAIL_ROUTES = ("detail /api/tickets/{id}", "customer /api/tickets/{id}/customer")
ALERTS_ROUTE = "alerts /api/alerts (supervisors)"
# The console gathers live events this long before it fetches again.
FLUSH_SECONDS = 0.15  # as the console (bot/desk/static/console/live.js FLUSH_MS)
SPREAD_SECONDS = 0.4  # and a random part of this more (live.js SPREAD_MS)
# An agent's round of actions; each agent starts at a different place in it.
PLAN = ("open", "ticket", "mine", "waiting", "filtered", "ticket", "search", "resolved", "ticket", "open_page",
        "mine", "ticket")
FILTERS = {"reason": ["anger", "late_order", "requested", "repeated", "verification", "offline_message"],
           "anger": ["annoyed", "angry", "furious"], "waiting_over": ["5", "15", "30", "60"], "verified": ["1"],
           "sla": ["ok", "due_soon", "breached"]}


@dataclass(frozen=True)
class Settings:
    agents: int = 50
    open_tickets: int = 200
    resolved_tickets: int = 60
    single_seconds: float = 10.0
    steady_seconds: float = 60.0
    burst_seconds: float = 20.0
    think: Tuple[float, float] = (2.0, 5.0)
    # The shop meanwhile, in both phases: new tickets, and shopper lines on open tickets (each of 200
    # shoppers writing every ~7 minutes); at least one of each per phase.
    new_tickets_per_minute: float = 6.0
    messages_per_minute: float = 30.0
    per_page: int = 25


SMOKE = Settings(agents=10, open_tickets=40, resolved_tickets=10, single_seconds=2.0, steady_seconds=5.0,
                 burst_seconds=2.0, think=(0.3, 0.8))


# -- the desk and its database --------------------------------------------------------------------------

@dataclass
class Desk:
    base: str
    pid: int
    log: Path


def database_url(database: str, workdir: Path) -> str:
    if database == "sqlite":
        return f"sqlite:///{workdir / 'desk-console.db'}"
    if database == "postgresql":
        return fresh_postgres(f"{POSTGRES}_desk")
    raise ValueError(f"database must be sqlite or postgresql, not {database!r}")


@contextmanager
def desk_process(url: str, rasa_url: str, workdir: Path, name: str) -> Iterator[Desk]:
    """`python -m bot serve-desk` on a free port, until it answers /health/live."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**database_env(url), "RASA_URL": rasa_url, "RASA_TOKEN": TOKEN, "DESK_PORT": str(port),
           "DATA_DIR": str(workdir / "data"), "AUTO_ASSIGN": "0", "STOREFRONT_ENV": "development",
           "RASA_TELEMETRY_ENABLED": "false"}
    log_path = workdir / f"{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve-desk", "--port", str(port)], cwd=PROJECT_ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            up = wait_until(lambda: process.poll() is not None or answers(f"{base}/health/live"), timeout=120,
                            interval=0.1)
            if not up or process.poll() is not None:
                raise RuntimeError(f"the desk did not start: {log_path.read_text()[-2000:]}")
            yield Desk(base, process.pid, log_path)
        finally:
            stop(process)


@contextmanager
def rasa_servers(url: str, workdir: Path) -> Iterator[str]:
    """The real Rasa server and action server on the benchmark's database (its tracker store)."""
    from bot.training import model_path, train_if_changed

    train_if_changed()
    env = {**database_env(url), "RASA_TELEMETRY_ENABLED": "false"}
    with serving(model_path(PROJECT_ROOT / "models"), workdir, env, "desk-console", OUR_SERVER) as running:
        yield running.url


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its finished threads) from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


# -- agents, their streams and their requests -----------------------------------------------------------

@dataclass
class Stream:
    """One agent's live stream: whether it is open now, and when each event arrived (perf_counter)."""
    connected: bool = False
    connects: int = 0
    disconnects: int = 0
    refused: Counter = field(default_factory=Counter)
    pings: int = 0
    events: int = 0
    kinds: Counter = field(default_factory=Counter)  # "ticket created", "message", "alert sla_breach", ...
    received: Dict[tuple, List[float]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Agent:
    user_id: int
    email: str
    supervisor: bool
    session: aiohttp.ClientSession
    step: int = 0  # where in PLAN the agent is
    stream: Stream = field(default_factory=Stream)
    view: Dict[str, str] = field(default_factory=lambda: {"view": "open"})
    view_label: str = "list view=open"
    seen_ids: List[int] = field(default_factory=list)
    mine_ids: Set[int] = field(default_factory=set)  # open tickets the agent holds, from the lists seen
    pages: int = 1
    open_id: Optional[int] = None
    # Set by a live event: the console fetches its list again (and the open ticket, when it is about it).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    refresh_list: bool = False
    refresh_open: bool = False
    refresh_alerts: bool = False


class Recorder:
    """Latencies (ms) and failures per route, for one phase."""

    def __init__(self):
        self.samples: Dict[str, List[float]] = defaultdict(list)
        self.failures: Dict[str, Counter] = defaultdict(Counter)
        self.first_failure: Dict[str, str] = {}
        self.live_refreshes = 0
        self.rasa_unavailable = 0

    def fail(self, route: str, what: str, detail: str = "") -> None:
        self.failures[route][what] += 1
        self.first_failure.setdefault(route, f"{what} {detail}".strip()[:300])


async def _get(agent: Agent, base: str, path: str, params: Optional[dict], route: str,
               recorder: Recorder) -> Optional[dict]:
    started = time.perf_counter()
    try:
        async with agent.session.get(f"{base}{path}", params=params, timeout=REQUEST_TIMEOUT) as response:
            payload = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        recorder.fail(route, type(error).__name__, str(error))
        return None
    recorder.samples[route].append(elapsed)
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    if status != 200 or not isinstance(body, dict):
        recorder.fail(route, f"HTTP {status}", payload[:200].decode("utf-8", "replace"))
        return None
    return body


async def _list(agent: Agent, base: str, params: Dict[str, str], route: str, recorder: Recorder,
                per_page: int) -> None:
    body = await _get(agent, base, "/api/tickets", {**params, "per_page": str(per_page)}, route, recorder)
    if body is None:
        return
    tickets = body.get("tickets")
    if not isinstance(tickets, list):
        recorder.fail(route, "no tickets list")
        return
    agent.seen_ids = [t["id"] for t in tickets if isinstance(t, dict) and isinstance(t.get("id"), int)]
    for t in tickets:
        if isinstance(t, dict) and t.get("status") == "assigned" and t.get("assigned_agent_id") == agent.user_id:
            agent.mine_ids.add(t.get("id"))
    agent.pages = body.get("pages") if isinstance(body.get("pages"), int) else 1
    agent.view, agent.view_label = {k: v for k, v in params.items() if k != "page"}, route


async def _ticket(agent: Agent, base: str, ticket_id: int, recorder: Recorder) -> None:
    """The console opens a ticket: its detail and its customer panel, side by side."""
    detail, customer = await asyncio.gather(
        _get(agent, base, f"/api/tickets/{ticket_id}", None, DETAIL_ROUTES[0], recorder),
        _get(agent, base, f"/api/tickets/{ticket_id}/customer", None, DETAIL_ROUTES[1], recorder))
    if detail is not None:
        if detail.get("rasa_unavailable"):
            recorder.rasa_unavailable += 1
        if not isinstance(detail.get("transcript"), list) or not detail["transcript"]:
            recorder.fail(DETAIL_ROUTES[0], "no transcript")
    agent.open_id = ticket_id


async def _act(agent: Agent, base: str, recorder: Recorder, rng: random.Random, words: List[str],
               ticket_ids: List[int], per_page: int) -> None:
    action = PLAN[agent.step % len(PLAN)]
    agent.step += 1
    if action == "ticket":
        ticket_id = rng.choice(agent.seen_ids) if agent.seen_ids else rng.choice(ticket_ids)
        await _ticket(agent, base, ticket_id, recorder)
    elif action in ("open", "mine", "waiting", "resolved"):
        await _list(agent, base, {"view": action}, f"list view={action}", recorder, per_page)
    elif action == "open_page":
        page = rng.randint(2, agent.pages) if agent.pages > 1 else 1
        await _list(agent, base, {"view": "open", "page": str(page)}, "list view=open", recorder, per_page)
    elif action == "filtered":
        name = rng.choice(sorted(FILTERS))
        view = rng.choice(["open", "waiting", "mine"])
        await _list(agent, base, {"view": view, name: rng.choice(FILTERS[name])}, "list filtered", recorder, per_page)
    elif action == "search":
        view = rng.choice(["open", "open", "resolved"])
        await _list(agent, base, {"view": view, "q": rng.choice(words)}, "list search q=", recorder, per_page)


async def _agent(agent: Agent, base: str, recorder: Recorder, until: float, think: Optional[Tuple[float, float]],
                 seed_value: int, words: List[str], ticket_ids: List[int], per_page: int) -> None:
    rng = random.Random(seed_value)
    while time.monotonic() < until:
        if think:
            await asyncio.sleep(min(rng.uniform(*think), max(0.0, until - time.monotonic())))
            if time.monotonic() >= until:
                break
        await _act(agent, base, recorder, rng, words, ticket_ids, per_page)


async def _refresher(agent: Agent, base: str, recorder: Recorder, until: float, per_page: int) -> None:
    """The console's answer to live events (live.js): it gathers them for FLUSH_SECONDS and a random part
    of SPREAD_SECONDS, then fetches its list again (when an event changed it), the open ticket when an
    event was about it, and a supervisor's alerts after an alert; events that come while it is fetching
    make one more round after it, not one each."""
    while time.monotonic() < until:
        try:
            await asyncio.wait_for(agent.wake.wait(), timeout=max(0.01, until - time.monotonic()))
        except asyncio.TimeoutError:
            return
        await asyncio.sleep(FLUSH_SECONDS + random.uniform(0, SPREAD_SECONDS))
        agent.wake.clear()
        work = []
        if agent.refresh_list:
            work.append(_list(agent, base, dict(agent.view), agent.view_label, recorder, per_page))
        if agent.refresh_open and agent.open_id is not None:
            work.append(_get(agent, base, f"/api/tickets/{agent.open_id}", None, DETAIL_ROUTES[0], recorder))
        if agent.refresh_alerts:
            work.append(_get(agent, base, "/api/alerts", None, ALERTS_ROUTE, recorder))
        agent.refresh_list = agent.refresh_open = agent.refresh_alerts = False
        if not work:
            continue
        recorder.live_refreshes += 1
        await asyncio.gather(*work)


async def _read_stream(agent: Agent, base: str, stop: asyncio.Event) -> None:
    """Holds GET /api/live open, reconnecting as EventSource does, and notes each event's arrival."""
    stream = agent.stream
    while not stop.is_set():
        try:
            async with agent.session.get(f"{base}/api/live", timeout=STREAM_TIMEOUT,
                                         headers={"Accept": "text/event-stream"}) as response:
                if response.status != 200 or not response.content_type.startswith("text/event-stream"):
                    stream.refused[f"HTTP {response.status} {response.content_type}"] += 1
                    await response.read()
                    await _pause(stop, 1.0)
                    continue
                stream.connected = True
                stream.connects += 1
                kind, data = "message", []
                async for raw in response.content:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if not line:
                        if data:
                            _arrived(agent, kind, "\n".join(data))
                        kind, data = "message", []
                    elif line.startswith(":"):
                        stream.pings += 1
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip())
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as error:
            stream.refused[type(error).__name__] += 1
        if stream.connected:
            stream.connected = False
            if not stop.is_set():
                stream.disconnects += 1
        await _pause(stop, 1.0)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


def _arrived(agent: Agent, kind: str, data: str) -> None:
    now = time.perf_counter()
    agent.stream.events += 1
    try:
        payload = json.loads(data)
    except ValueError:
        return
    if not isinstance(payload, dict):
        return
    agent.stream.kinds[f"{kind} {payload.get('kind') or ''}".strip()] += 1
    if kind == "ticket":
        agent.stream.received[("ticket", payload.get("kind"), payload.get("id"))].append(now)
        about = payload.get("id")
        agent.refresh_list = True
    elif kind == "message":
        agent.stream.received[("message", payload.get("ticket_id"))].append(now)
        about = payload.get("ticket_id")
        # As the console (core.js liveEvent): a shopper's line changes the list where it shows.
        if about in agent.seen_ids or about in agent.mine_ids or agent.view.get("view") == "waiting":
            agent.refresh_list = True
    elif kind == "alert" and agent.supervisor:
        agent.refresh_alerts, about = True, None
    else:
        return
    if about is not None and about == agent.open_id:
        agent.refresh_open = True
    agent.wake.set()


async def _log_in(base: str, user_id: int, email: str, supervisor: bool = False) -> Agent:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies for 127.0.0.1
    async with session.post(f"{base}/api/login", json={"email": email, "password": seeding.PASSWORD},
                            headers={"X-Requested-With": "desk"}, timeout=REQUEST_TIMEOUT) as response:
        body = await response.text()
        if response.status != 200:
            await session.close()
            raise RuntimeError(f"login of {email} answered {response.status}: {body[:300]}")
    return Agent(user_id=user_id, email=email, supervisor=supervisor, session=session)


# -- new tickets and messages during a phase, and how fast every stream hears of them ---------------------

@dataclass
class Probe:
    key: tuple
    committed: float  # perf_counter right after the commit


async def _probes(engine, seeded: seeding.Seeded, seconds: float, settings: Settings, offset: int,
                  probes: List[Probe], rng: random.Random) -> None:
    """The shop during the phase, at random moments: new tickets and shopper lines on open tickets
    (each on another ticket, while there are)."""
    tickets = max(1, round(settings.new_tickets_per_minute * seconds / 60))
    messages = max(1, round(settings.messages_per_minute * seconds / 60))
    kinds = ["ticket"] * tickets + ["message"] * messages
    rng.shuffle(kinds)
    moments = sorted(rng.uniform(0.05, 0.9) * seconds for _ in kinds)
    targets = rng.sample(seeded.open_ticket_ids, min(messages, len(seeded.open_ticket_ids)))
    started = time.monotonic()
    for number, (kind, moment) in enumerate(zip(kinds, moments)):
        await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
        if kind == "ticket":
            context = seeded.contexts[(offset + number) % len(seeded.contexts)]

            def open_one(index=offset + number, context=context):
                ticket_id = seeding.new_conversation_ticket(engine, index=index, context=context,
                                                            now=seeding.utcnow())
                return ticket_id, time.perf_counter()
            ticket_id, committed = await asyncio.to_thread(open_one)
            probes.append(Probe(("ticket", "created", ticket_id), committed))
            seeded.open_ticket_ids.append(ticket_id)
        else:
            ticket_id = targets.pop() if targets else rng.choice(seeded.open_ticket_ids)

            def write_one(ticket_id=ticket_id):
                seeding.shopper_writes(engine, ticket_id=ticket_id, text=rng.choice(seeding.WAITING_LINES).format(
                    email="shopper@example.com"), now=seeding.utcnow())
                return time.perf_counter()
            probes.append(Probe(("message", ticket_id), await asyncio.to_thread(write_one)))


def _delivery(probes: List[Probe], agents: List[Agent]) -> dict:
    result = {}
    for kind in ("ticket", "message"):
        chosen = [p for p in probes if p.key[0] == kind]
        delays: List[float] = []
        reached = []
        for probe in chosen:
            count = 0
            for agent in agents:
                # The first arrival after the commit (a ticket's earlier lines have the same key).
                times = [t for t in agent.stream.received.get(probe.key) or [] if t >= probe.committed - 0.005]
                if times:
                    count += 1
                    delays.append(max(0.0, times[0] - probe.committed) * 1000)
            reached.append(count)
        result["new_tickets" if kind == "ticket" else "shopper_messages"] = {
            "probes": len(chosen), "streams": len(agents), "reached": reached,
            "reached_all": bool(chosen) and all(count == len(agents) for count in reached),
            **_stats(delays)}
    return result


# -- a run ----------------------------------------------------------------------------------------------

def _stats(samples: List[float]) -> dict:
    if not samples:
        return {"count": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)
    return {"count": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1], 1), "mean_ms": round(statistics.fmean(ordered), 1)}


def _phase_result(recorder: Recorder, seconds: float, cpu: float, agents: List[Agent], probes: List[Probe],
                  min_open: int) -> dict:
    routes = {}
    for route in LIST_ROUTES + DETAIL_ROUTES + (ALERTS_ROUTE,):
        failures = recorder.failures.get(route) or Counter()
        routes[route] = {**_stats(recorder.samples.get(route, [])), "errors": sum(failures.values()),
                         "error_kinds": dict(failures), "first_error": recorder.first_failure.get(route)}
    others = {ALERTS_ROUTE: routes.pop(ALERTS_ROUTE)}
    requests = sum(len(s) for s in recorder.samples.values())
    return {
        "seconds": round(seconds, 1), "requests": requests, "throughput_per_s": round(requests / seconds, 1),
        "errors": sum(sum(c.values()) for c in recorder.failures.values()),
        "list": _stats([v for r in LIST_ROUTES for v in recorder.samples.get(r, [])]),
        "detail": _stats([v for r in DETAIL_ROUTES for v in recorder.samples.get(r, [])]),
        "routes": routes, "other_routes": others, "live_refreshes": recorder.live_refreshes, "rasa_unavailable": recorder.rasa_unavailable,
        "desk_cpu_percent": round(100 * cpu / seconds, 1),
        # What one request costs the desk process, whatever else shares the machine.
        "desk_cpu_ms_per_request": round(1000 * cpu / requests, 1) if requests else None,
        "streams_open_min": min_open, "streams_open_at_end": sum(a.stream.connected for a in agents),
        "delivery": _delivery(probes, agents),
    }


async def _run(desk: Desk, engine, seeded: seeding.Seeded, settings: Settings) -> dict:
    rng = random.Random(7)
    logins = asyncio.Semaphore(8)

    async def log_in(user_id: int, email: str, role: str) -> Agent:
        async with logins:
            return await _log_in(desk.base, user_id, email, supervisor=role == "supervisor")
    agents = await asyncio.gather(*(log_in(*account) for account in seeded.agents))
    stop = asyncio.Event()
    readers = [asyncio.create_task(_read_stream(agent, desk.base, stop)) for agent in agents]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            connected = sum(a.stream.connected for a in agents)
            if connected == len(agents) or (connected == 0 and all(a.stream.refused for a in agents)):
                break  # all open, or none can (a desk without the live route): the requests are measured anyway
            await asyncio.sleep(0.05)
        connected_at_start = sum(a.stream.connected for a in agents)
        await asyncio.sleep(1.0)  # the streams' first events (any backlog) before measuring
        phases = {}
        # (phase, seconds, think time, agents acting, the shop going on with its live events)
        for name, seconds, think, active, shop in (
                ("single", settings.single_seconds, None, agents[:1], False),
                ("steady", settings.steady_seconds, settings.think, agents, True),
                ("burst", settings.burst_seconds, None, agents, True)):
            recorder, probes = Recorder(), []
            min_open = [sum(a.stream.connected for a in agents)]

            async def watch_streams(until: float) -> None:
                while time.monotonic() < until:
                    min_open[0] = min(min_open[0], sum(a.stream.connected for a in agents))
                    await asyncio.sleep(0.2)
            for index, agent in enumerate(agents):
                agent.step = index  # each phase's first round covers every route
                agent.wake.clear()
            events_before = sum(a.stream.events for a in agents)
            started, cpu_before, own_before = time.monotonic(), cpu_seconds(desk.pid), cpu_seconds(os.getpid())
            until = started + seconds
            await asyncio.gather(
                *(_agent(agent, desk.base, recorder, until, think, 1000 * index + len(phases), seeded.search_words,
                         seeded.open_ticket_ids, settings.per_page) for index, agent in enumerate(active)),
                *(_refresher(agent, desk.base, recorder, until, settings.per_page) for agent in agents if shop),
                *([_probes(engine, seeded, seconds, settings, 1000 * len(phases), probes, rng)] if shop else []),
                watch_streams(until))
            elapsed, cpu = time.monotonic() - started, cpu_seconds(desk.pid) - cpu_before
            own = cpu_seconds(os.getpid()) - own_before
            await asyncio.sleep(DELIVERY_GRACE)
            phases[name] = _phase_result(recorder, elapsed, cpu, agents, probes, min_open[0])
            # The clients here share the machine with the desk: their CPU is the desk's loss.
            phases[name]["bench_cpu_percent"] = round(100 * own / elapsed, 1)
            phases[name]["live_events_per_stream"] = round(
                (sum(a.stream.events for a in agents) - events_before) / len(agents), 1)
            print(f"[desk console] {name}: {phases[name]['requests']} requests, "
                  f"list p95 {phases[name]['list']['p95_ms']} ms, detail p95 {phases[name]['detail']['p95_ms']} ms",
                  flush=True)
        streams = {"agents": len(agents), "open_at_start": connected_at_start,
                   "open_at_end": sum(a.stream.connected for a in agents),
                   "disconnects": sum(a.stream.disconnects for a in agents),
                   "refused": dict(sum((a.stream.refused for a in agents), Counter())),
                   "events_received": sum(a.stream.events for a in agents),
                   "events_by_kind": dict(sum((a.stream.kinds for a in agents), Counter())),
                   "pings": sum(a.stream.pings for a in agents)}
        return {"streams": streams, "phases": phases, "desk_rss_mb": rss_mb(desk.pid)}
    finally:
        stop.set()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(agent.session.close() for agent in agents))


async def _detail_reads_rasa(base: str, seeded: seeding.Seeded) -> bool:
    """Whether the desk's ticket detail still needs Rasa's HTTP API for the transcript."""
    user_id, email, _ = seeded.agents[0]
    agent = await _log_in(base, user_id, email)
    try:
        async with agent.session.get(f"{base}/api/tickets/{seeded.open_ticket_ids[0]}",
                                     timeout=REQUEST_TIMEOUT) as response:
            body = await response.json(content_type=None)
        return bool(isinstance(body, dict) and body.get("rasa_unavailable"))
    finally:
        await agent.session.close()


def measure(database: str, settings: Settings, workdir: Path, rasa: str = "auto") -> dict:
    """One run against one database; the figures as a dict (see the module's docstring)."""
    from bot.db import get_engine
    from bot.environments import rasa_child_environment, rasa_python

    url = database_url(database, workdir)
    engine = get_engine(url)
    started = time.monotonic()
    seeded = seeding.seed(engine, url, agents=settings.agents, open_tickets=settings.open_tickets,
                          resolved_tickets=settings.resolved_tickets, now=seeding.utcnow(),
                          rasa_python=rasa_python(), rasa_env=rasa_child_environment(), cwd=str(PROJECT_ROOT))
    print(f"[desk console] {database}: seeded {seeded.tickets_by_status} tickets, {seeded.tracker_events} "
          f"tracker events in {time.monotonic() - started:.0f} s", flush=True)
    needs_rasa = rasa == "yes"
    if rasa == "auto":
        with desk_process(url, NO_RASA, workdir, f"desk-{database}-probe") as desk:
            needs_rasa = asyncio.run(_detail_reads_rasa(desk.base, seeded))
        if needs_rasa:
            print("[desk console] the ticket detail still reads Rasa's HTTP API: starting the Rasa server", flush=True)
    with ExitStack() as stack:
        rasa_url = stack.enter_context(rasa_servers(url, workdir)) if needs_rasa else NO_RASA
        desk = stack.enter_context(desk_process(url, rasa_url, workdir, f"desk-{database}"))
        result = asyncio.run(_run(desk, engine, seeded, settings))
    engine.dispose()
    return {"database": database, "rasa_server": needs_rasa, "settings": {**asdict(settings), "think": list(settings.think)},
            "tickets": seeded.tickets_by_status, "tracker_events": seeded.tracker_events, **result}


def run_all(*, smoke: bool, workdir: Path, databases: Optional[List[str]] = None, rasa: str = "auto",
            settings: Optional[Settings] = None) -> dict:
    """What `make bench` records: each database's run, or its error."""
    settings = settings or (SMOKE if smoke else Settings())
    results = {"load_average_at_start": [round(v, 2) for v in os.getloadavg()]}
    for database in databases or (["sqlite"] if smoke else ["sqlite", "postgresql"]):
        try:
            results[database] = measure(database, settings, workdir, rasa)
        except Exception as error:  # the other database's run still counts; smoke runs raise
            if smoke:
                raise
            results[database] = {"error": f"{error.__class__.__name__}: {error}"[:1000]}
    return results


# -- the table ------------------------------------------------------------------------------------------

def _ms(value) -> str:
    return "-" if value is None else f"{value:g}"


def table(results: dict) -> str:
    """Markdown: per database and phase, each route's figures; the streams and the live deliveries."""
    lines = []
    for database, run in results.items():
        if not isinstance(run, dict) or database == "load_average_at_start":
            continue
        if run.get("error"):
            lines += [f"{database}: {run['error']}", ""]
            continue
        s = run["settings"]
        streams = run["streams"]
        lines += [f"### {database}: {s['agents']} agents live, {run['tickets'].get('waiting', 0) + run['tickets'].get('assigned', 0)} "
                  f"open tickets, {run['tracker_events']} tracker events"
                  + (" (Rasa server for transcripts)" if run.get("rasa_server") else ""), "",
                  f"Live streams: {streams['open_at_start']} of {streams['agents']} open at the start, "
                  f"{streams['open_at_end']} at the end, {streams['disconnects']} dropped"
                  + (f", refused {streams['refused']}" if streams["refused"] else "") + ".", "",
                  "| phase | route | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
                  "|---|---|---|---|---|---|---|---|"]
        for phase_name, phase in run["phases"].items():
            label = (f"{phase_name} ({phase['throughput_per_s']:g} req/s, desk CPU {phase['desk_cpu_percent']:g} %, "
                     f"{_ms(phase['desk_cpu_ms_per_request'])} ms a request"
                     + (f", {phase['live_refreshes']} refreshes after live events" if phase["live_refreshes"] else "")
                     + ")")
            others = [(r, f) for r, f in (phase.get("other_routes") or {}).items() if f["count"] or f["errors"]]
            for route, figures in [("all list views", phase["list"]), ("ticket + customer", phase["detail"])] + \
                    list(phase["routes"].items()) + others:
                errors = figures.get("errors", "")
                lines.append(f"| {label} | {route} | {figures['count']} | {errors} | {_ms(figures['p50_ms'])} | "
                             f"{_ms(figures['p95_ms'])} | {_ms(figures['p99_ms'])} | {_ms(figures['max_ms'])} |")
                label = ""
        lines += ["", "| phase | live event | probes | reached every stream | p50 ms | p95 ms | max ms |",
                  "|---|---|---|---|---|---|---|"]
        for phase_name, phase in run["phases"].items():
            for kind, label in (("new_tickets", "new ticket"), ("shopper_messages", "shopper message")):
                d = phase["delivery"][kind]
                if not d["probes"]:
                    continue
                lines.append(f"| {phase_name} | {label} | {d['probes']} | "
                             f"{'yes' if d['reached_all'] else 'no'} ({'/'.join(map(str, d['reached'])) or '-'}) | "
                             f"{_ms(d['p50_ms'])} | {_ms(d['p95_ms'])} | {_ms(d['max_ms'])} |")
        for phase_name, phase in run["phases"].items():
            for route, figures in phase["routes"].items():
                if figures.get("first_error"):
                    lines.append(f"\n{phase_name} {route}: first error: {figures['first_error']}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_console", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds: checks the harness only")
    parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"],
                        help="sqlite (default), postgresql, or both (repeat the option)")
    parser.add_argument("--agents", type=int, default=None)
    parser.add_argument("--tickets", type=int, default=None, help="open tickets")
    parser.add_argument("--seconds", type=float, default=None, help="the steady phase")
    parser.add_argument("--burst-seconds", type=float, default=None)
    parser.add_argument("--rasa", choices=["auto", "yes", "no"], default="auto",
                        help="start the Rasa server beside the desk: when the detail needs it (auto), always, never")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results"))
    args = parser.parse_args(argv)
    settings = SMOKE if args.smoke else Settings()
    changes = {"agents": args.agents, "open_tickets": args.tickets, "steady_seconds": args.seconds,
               "burst_seconds": args.burst_seconds}
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(smoke=args.smoke, workdir=Path(tmp), databases=args.database or ["sqlite"],
                          rasa=args.rasa, settings=settings)
    results = {"date": date.today().isoformat(), "smoke": args.smoke,
               "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()}, "desk_console": results}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{results['date']}-desk-console{'-smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(results, indent=2))
    print(table(results["desk_console"]))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
