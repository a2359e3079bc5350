"""The cost of one turn, without a load generator in the way: one shopper after another over the REST
channel, each turn waited for. Wall time per turn, and the CPU time the Rasa server and the action
server spent on it (from /proc), so that two versions of the servers can be compared on a busy or
slow machine: the socket.io load levels also measure the load generator's own client library."""
import json
import os
import statistics
import time
import urllib.request
from typing import Dict

TURNS = ["hi", "can I return worn sneakers?", "how much is express shipping to Canada?",
         "what size trail jacket for 182 cm", "do you take paypal?", "thanks"]
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _say(url: str, sender: str, text: str, address: str) -> None:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook",
                                     data=json.dumps({"sender": sender, "message": text}).encode(),
                                     headers={"Content-Type": "application/json", "X-Real-IP": address})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def measure(url: str, pids: Dict[str, int], conversations: int, warmup: int = 5) -> Dict[str, object]:
    """`conversations` conversations of len(TURNS) turns, each from an address of its own (the channel
    limits messages per address)."""
    for index in range(warmup):
        for text in TURNS:
            _say(url, f"turns-warmup-{index}", text, f"10.1.0.{index + 1}")
    before = {part: cpu_seconds(pid) for part, pid in pids.items()}
    walls = []
    for index in range(conversations):
        address = f"10.2.{index // 250}.{index % 250 + 1}"
        for text in TURNS:
            started = time.perf_counter()
            _say(url, f"turns-{index}", text, address)
            walls.append((time.perf_counter() - started) * 1000)
    turns = len(walls)
    return {"turns": turns, "wall_ms_mean": round(statistics.mean(walls), 2),
            "wall_ms_p50": round(statistics.median(walls), 2),
            "cpu_ms_per_turn": {part: round((cpu_seconds(pid) - before[part]) / turns * 1000, 2)
                                for part, pid in pids.items()}}
