"""Starts this checkout's servers on a fresh PostgreSQL bench database with the demo orders, writes
OUT/serving.json (URL, pids, orders) and serves until OUT/stop exists. Usage: serve_for_load.py OUT"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import setups
from bench.run import demo_orders, fresh_postgres
from bot.settings import PROJECT_ROOT

out = Path(sys.argv[1])
url = fresh_postgres("postgresql://postgres@127.0.0.1:5432/storefront_bench_compare")
env = setups.database_env(url)
subprocess.run([sys.executable, "-m", "bot", "seed"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
with setups.serving(PROJECT_ROOT / "models" / "storefront.tar.gz", Path(tempfile.mkdtemp()), env, "compare",
                    setups.OUR_SERVER) as running:
    (out / "serving.json").write_text(json.dumps({"url": running.url, "pids": running.pids,
                                                  "orders": demo_orders(url)}))
    while not (out / "stop").exists():
        time.sleep(0.5)
