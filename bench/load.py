"""Simulated shoppers over Rasa's socket.io channel, the way the chat widget talks to it.

Each shopper holds scripted conversations one after another: a greeting, two knowledge-base
questions, order status with verification, and a request for a person (a handoff). A message's
latency is the time from sending it to Rasa's acknowledgement, which comes after the whole turn
(NLU, policies, custom actions, tracker store) is done. Shoppers pause `think` seconds between
messages, as people do."""
import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import socketio


@dataclass
class LevelResult:
    shoppers: int
    seconds: float
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    conversations: int = 0
    max_rss_mb: Dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        ordered = sorted(self.latencies_ms)

        def at(q):
            return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1) if ordered else None
        return {"shoppers": self.shoppers, "seconds": round(self.seconds, 1), "messages": len(ordered),
                "errors": self.errors, "conversations": self.conversations,
                "throughput_per_s": round(len(ordered) / self.seconds, 2) if self.seconds else 0.0,
                "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99),
                "mean_ms": round(statistics.fmean(ordered), 1) if ordered else None,
                "max_rss_mb": {name: round(value) for name, value in self.max_rss_mb.items()}}


def script(order: Tuple[str, str]) -> List[str]:
    number, postcode = order
    return ["hi", "can I return worn sneakers?", "how much is express shipping to Canada?", "where is my order?",
            number, postcode, "I want to talk to a human"]


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _shopper(url: str, orders: Sequence[Tuple[str, str]], stop_at: float, think: float, result: LevelResult,
                   rng: random.Random, timeout: float) -> None:
    client = socketio.AsyncClient(reconnection=False)
    confirmed = asyncio.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    try:
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        await client.connect(url, transports=["websocket"], socketio_path="/socket.io", wait_timeout=timeout,
                             headers={"X-Real-IP": address})
    except Exception:
        result.errors += 1
        return
    try:
        while time.monotonic() < stop_at:
            session_id = f"web-{uuid.uuid4().hex}"
            confirmed.clear()
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), timeout)
            for text in script(rng.choice(orders)):
                if time.monotonic() >= stop_at:
                    return
                started = time.perf_counter()
                try:
                    await client.call("user_uttered", {"message": text, "session_id": session_id}, timeout=timeout)
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                except Exception:
                    result.errors += 1
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            result.conversations += 1
    except Exception:
        result.errors += 1
    finally:
        await client.disconnect()


async def _watch_memory(pids: Dict[str, int], result: LevelResult, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, pid in pids.items():
            result.max_rss_mb[name] = max(result.max_rss_mb.get(name, 0.0), rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except asyncio.TimeoutError:
            pass


async def _level(url: str, shoppers: int, seconds: float, think: float, orders, pids, timeout: float) -> LevelResult:
    result = LevelResult(shoppers, seconds)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch_memory(pids, result, stop))
    started = time.monotonic()
    stop_at = started + seconds
    rng = random.Random(shoppers)
    tasks = []
    for index in range(shoppers):
        tasks.append(asyncio.create_task(_shopper(url, orders, stop_at, think, result, random.Random(index), timeout)))
        await asyncio.sleep(min(1.0 / shoppers, 0.02) + rng.random() * 0.01)  # staggered arrivals
    await asyncio.gather(*tasks)
    result.seconds = time.monotonic() - started
    stop.set()
    await watcher
    return result


def run_levels(url: str, levels: Sequence[int], seconds: float, think: float, orders: Sequence[Tuple[str, str]],
               pids: Dict[str, int], timeout: float = 30.0) -> List[dict]:
    results = []
    for shoppers in levels:
        print(f"[load] {shoppers} shoppers for {seconds:.0f} s...", flush=True)
        level = asyncio.run(_level(url, shoppers, seconds, think, orders, pids, timeout))
        results.append(level.as_dict())
        print(f"[load]   {results[-1]}", flush=True)
    return results
