"""Train our configuration and Rasa's default on the same data and compare them.

    .venv/bin/python bench/compare_pipelines.py [--quick]

For each setup: training time, model size, time until the server answers, resident memory,
intent accuracy and macro F1 on tests/nlu/test_set.yml, /model/parse latency, and the latency of
whole REST turns (NLU, policies, custom action). Writes bench/results/pipelines-<date>.json and
prints a Markdown table. --quick trains the default setup with 5 epochs (a smoke run of the harness;
its figures mean nothing).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu_eval import evaluate, load_examples, server_predictor  # noqa: E402
from bot.readiness import servers_ready, wait_until  # noqa: E402

TOKEN = "bench-token"
TURNS = ["can I return worn sneakers?", "how much is express shipping to Canada?",
         "I'm 182 cm and 80 kg, which size Trail Jacket?", "does the alpin parka run small?",
         "do you accept paypal", "hi", "thanks"]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def train(config: Path, out: Path, name: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", "domain.yml",
                    "--data", "data", "--out", str(out), "--fixed-model-name", name],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(name: str, config: Path, workdir: Path, env: dict, rasa_port: int, action_port: int) -> dict:
    print(f"[{name}] training...", flush=True)
    seconds = train(config, workdir, name, env)
    model = workdir / f"{name}.tar.gz"
    endpoints = workdir / "endpoints.yml"
    run_env = {**env, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port)}
    subprocess.run([sys.executable, "-m", "bot", "render-endpoints", "--output", str(endpoints)], cwd=ROOT,
                   env=run_env, check=True)
    actions = subprocess.Popen([sys.executable, "-m", "bot", "serve-actions"], cwd=ROOT, env=run_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    rasa = subprocess.Popen([sys.executable, "-m", "rasa", "run", "-i", "127.0.0.1", "--enable-api", "--auth-token",
                             TOKEN, "--port", str(rasa_port), "--model", str(model), "--endpoints", str(endpoints),
                             "--credentials", "credentials.yml"], cwd=ROOT, env=run_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        if not wait_until(lambda: servers_ready(url, TOKEN, action_port), timeout=400, interval=0.2):
            raise RuntimeError(f"{name}: servers did not start")
        ready = time.perf_counter() - started
        print(f"[{name}] ready in {ready:.1f} s; evaluating...", flush=True)
        report = evaluate(load_examples(ROOT / "tests" / "nlu" / "test_set.yml"), server_predictor(url, TOKEN))
        parse_ms = []
        predict = server_predictor(url, TOKEN)
        for text, _ in load_examples(ROOT / "tests" / "nlu" / "test_set.yml")[:100]:
            t0 = time.perf_counter()
            predict(text)
            parse_ms.append((time.perf_counter() - t0) * 1000)
        turn_ms = []
        for round_ in range(5):
            for text in TURNS:
                body = json.dumps({"sender": f"bench-{round_}", "message": text}).encode()
                t0 = time.perf_counter()
                with urllib.request.urlopen(urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body),
                                            timeout=60) as response:
                    response.read()
                turn_ms.append((time.perf_counter() - t0) * 1000)
        return {
            "train_seconds": round(seconds, 1),
            "model_mb": round(model.stat().st_size / 1e6, 2),
            "ready_seconds": round(ready, 1),
            "rasa_rss_mb": round(rss_mb(rasa.pid)),
            "accuracy": round(report.accuracy, 4),
            "macro_f1": round(report.macro_f1, 4),
            "parse_ms_p50": round(statistics.median(parse_ms), 1),
            "parse_ms_p95": round(percentile(parse_ms, 95), 1),
            "turn_ms_p50": round(statistics.median(turn_ms), 1),
            "turn_ms_p95": round(percentile(turn_ms, 95), 1),
            "confused": report.as_dict()["confused"][:5],
        }
    finally:
        for process in (rasa, actions):
            process.terminate()
            process.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5 epochs for the default setup (harness check)")
    parser.add_argument("--only", choices=["ours", "rasa_init_default"], default=None,
                        help="measure one setup only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
               "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}", "RASA_TOKEN": TOKEN}
        subprocess.run([sys.executable, "-m", "bot", "seed"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        default_config = ROOT / "bench" / "configs" / "rasa_init_default.yml"
        if args.quick:
            quick = workdir / "default_quick.yml"
            quick.write_text(default_config.read_text().replace("epochs: 100", "epochs: 5"))
            default_config = quick
        results = {"date": date.today().isoformat(), "machine": f"{os.cpu_count()} cores", "quick": args.quick}
        if args.only in (None, "ours"):
            results["ours"] = measure("ours", ROOT / "config.yml", workdir, env, 5205, 5255)
        if args.only in (None, "rasa_init_default"):
            results["rasa_init_default"] = measure("default", default_config, workdir, env, 5206, 5256)
    suffix = f"-{args.only}" if args.only else ""
    out = ROOT / "bench" / "results" / f"pipelines-{results['date']}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    keys = ["train_seconds", "model_mb", "ready_seconds", "rasa_rss_mb", "accuracy", "macro_f1",
            "parse_ms_p50", "parse_ms_p95", "turn_ms_p50", "turn_ms_p95"]
    setups = [name for name in ("ours", "rasa_init_default") if name in results]
    print("\n| measure | " + " | ".join(setups) + " |")
    print("|" + "---|" * (len(setups) + 1))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(results[name][key]) for name in setups) + " |")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
