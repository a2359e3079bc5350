"""One turn at a time over REST against this checkout's own servers (SQLite, demo orders): wall time per
turn and each server's CPU per turn, measured by bench/turn_cost.py of the checkout that holds this
script (loaded by its path, so that it also runs on checkouts that predate it).
Usage: rest_turns.py LABEL; prints one line."""
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import setups
from bot.settings import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("turn_cost", Path(__file__).resolve().parent.parent / "turn_cost.py")
turn_cost = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(turn_cost)

work = Path(tempfile.mkdtemp())
env = setups.database_env(f"sqlite:///{work / 'orders.db'}")
subprocess.run([sys.executable, "-m", "bot", "seed"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
with setups.serving(PROJECT_ROOT / "models" / "storefront.tar.gz", work, env, "turns", setups.OUR_SERVER) as running:
    figures = turn_cost.measure(running.url, running.pids, conversations=100, warmup=30)
print(f"{sys.argv[1]}: {figures['turns']} turns, wall mean {figures['wall_ms_mean']} ms, p50 {figures['wall_ms_p50']} ms; "
      + ", ".join(f"{part} CPU {ms} ms/turn" for part, ms in figures["cpu_ms_per_turn"].items()))
