"""One turn at a time over REST against this checkout's own servers (SQLite, demo orders): wall time per
turn and each server's CPU per turn. The same measure as bench/turn_cost.py, written so that it also
runs on checkouts that predate it. Usage: rest_turns.py LABEL; prints one line."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import setups
from bot.settings import PROJECT_ROOT

TURNS = ["hi", "can I return worn sneakers?", "how much is express shipping to Canada?",
         "what size trail jacket for 182 cm", "do you take paypal?", "thanks"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(url: str, sender: str, text: str, address: str) -> None:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook",
                                     data=json.dumps({"sender": sender, "message": text}).encode(),
                                     headers={"Content-Type": "application/json", "X-Real-IP": address})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


work = Path(tempfile.mkdtemp())
env = setups.database_env(f"sqlite:///{work / 'orders.db'}")
subprocess.run([sys.executable, "-m", "bot", "seed"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
with setups.serving(PROJECT_ROOT / "models" / "storefront.tar.gz", work, env, "turns", setups.OUR_SERVER) as running:
    for index in range(30):
        for text in TURNS:
            say(running.url, f"warmup-{index}", text, f"10.1.0.{index + 1}")
    before = {part: cpu_seconds(pid) for part, pid in running.pids.items()}
    walls = []
    for index in range(100):
        for text in TURNS:
            started = time.perf_counter()
            say(running.url, f"turns-{index}", text, f"10.2.0.{index + 1}")
            walls.append((time.perf_counter() - started) * 1000)
    spent = {part: (cpu_seconds(pid) - before[part]) / len(walls) * 1000 for part, pid in running.pids.items()}
print(f"{sys.argv[1]}: {len(walls)} turns, wall mean {statistics.mean(walls):.1f} ms, p50 {statistics.median(walls):.1f} ms; "
      + ", ".join(f"{part} CPU {ms:.1f} ms/turn" for part, ms in spent.items()))
