"""`make bench`: our setup side by side with the stock `rasa init` pipeline and policies, trained on
the same data, plus the cost of our own parts in isolation and the agent console under load
(bench/desk_console.py).

    .venv/bin/python -m bench.run                 # the full run (about 15 minutes on 2 cores)
    .venv/bin/python -m bench.run --smoke         # seconds: checks the harness, its figures mean nothing
    .venv/bin/python -m bench.run --publish       # also copy the report to bench/report/ (kept in git)

Writes bench/results/<date>.json and bench/results/<date>/report.md with its plots.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import components, desk_console, load, report, setups, turn_cost
from bench.setups import fresh_postgres
from bot.database_urls import for_application
from bot.nlu_eval import evaluate, load_examples, server_predictor
from bot.settings import PROJECT_ROOT
from bot.training import model_path, train_if_changed

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/storefront_bench")
# (training configuration, how the Rasa server is started)
SETUPS = {"ours": (PROJECT_ROOT / "config.yml", setups.OUR_SERVER),
          "stock": (PROJECT_ROOT / "bench" / "configs" / "rasa_init_default.yml", setups.STOCK_SERVER)}


def rasa_python_version() -> str:
    """The Python of the Rasa environment, where the Rasa servers run."""
    from bot.environments import rasa_python

    return subprocess.run([rasa_python(), "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()


def demo_orders(url: str):
    """(order number, postcode) of orders a shopper can ask about, from the seeded demo data."""
    engine = create_engine(for_application(url))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT number, shipping_postcode FROM orders WHERE status IN "
                                       "('in_transit', 'delivered', 'shipped') ORDER BY number")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def measure_setup(name: str, workdir: Path, args) -> dict:
    config, rasa_server = SETUPS[name]
    database = (f"sqlite:///{workdir / f'{name}.db'}" if args.smoke
                else fresh_postgres(f"{POSTGRES}_{name}"))
    env = setups.database_env(database)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    subprocess.run([sys.executable, "-m", "bot", "seed"], cwd=PROJECT_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    result = {"config": str(config.relative_to(PROJECT_ROOT)), "database": make_url(database).get_backend_name(),
              "rasa_server": " ".join(["python", *rasa_server])}
    if args.smoke and name == "ours":
        train_if_changed()  # the smoke run reuses the project's model
        model = model_path(PROJECT_ROOT / "models")
        result["train_seconds"] = None
    else:
        print(f"[{name}] training...", flush=True)
        result["train_seconds"] = round(setups.train(config, workdir, name, env), 1)
        model = workdir / f"{name}.tar.gz"
    result["model_mb"] = round(model.stat().st_size / 1e6, 2)
    with setups.serving(model, workdir, env, name, rasa_server) as running:
        result["ready_seconds"] = round(running.ready_seconds, 1)
        result["rss_mb_idle"] = {part: round(load.rss_mb(pid)) for part, pid in running.pids.items()}
        print(f"[{name}] ready in {running.ready_seconds:.1f} s; accuracy...", flush=True)
        examples = load_examples(PROJECT_ROOT / "tests" / "nlu" / "test_set.yml")
        accuracy = evaluate(examples[:20] if args.smoke else examples, server_predictor(running.url, setups.TOKEN))
        result["accuracy"] = round(accuracy.accuracy, 4)
        result["macro_f1"] = round(accuracy.macro_f1, 4)
        print(f"[{name}] turn cost over REST...", flush=True)
        result["turn_cost"] = turn_cost.measure(running.url, running.pids, conversations=3 if args.smoke else 100)
        result["load"] = load.run_levels(running.url, args.levels, args.seconds, args.think, demo_orders(database),
                                         running.pids)
    result["rss_mb_under_load"] = {part: max(level["max_rss_mb"].get(part, 0) for level in result["load"])
                                   for part in ("rasa", "actions")}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds of everything: checks the harness only")
    parser.add_argument("--only", choices=sorted(SETUPS), default=None, help="measure one setup")
    parser.add_argument("--levels", default=None, help="concurrent shoppers, e.g. 1,10,50,100")
    parser.add_argument("--seconds", type=float, default=None, help="load per level [30; smoke 3]")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a shopper pauses between messages [1]")
    parser.add_argument("--skip-components", action="store_true")
    parser.add_argument("--skip-desk-console", action="store_true", help="leave out the agent console's load")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results"))
    parser.add_argument("--publish", action="store_true", help="copy the report to bench/report/")
    args = parser.parse_args(argv)
    args.levels = [int(n) for n in (args.levels or ("1,3" if args.smoke else "1,10,50,100")).split(",")]
    args.seconds = args.seconds or (3.0 if args.smoke else 30.0)
    names = [args.only] if args.only else (["ours"] if args.smoke else ["ours", "stock"])

    results = {"date": date.today().isoformat(), "smoke": args.smoke,
               "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                           "rasa_python": rasa_python_version(), "platform": platform.platform()},
               "settings": {"levels": args.levels, "seconds_per_level": args.seconds, "think_seconds": args.think}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_components:
            smoke_db = "smoke" if args.smoke else ""
            results["components"] = components.run_all(
                catalog_size=500 if args.smoke else 10_000, order_count=2_000 if args.smoke else 1_000_000,
                sqlite_url=f"sqlite:///{PROJECT_ROOT / 'var' / 'bench' / f'orders{smoke_db}.db'}",
                postgres_url=f"{POSTGRES}_orders{('_' + smoke_db) if smoke_db else ''}", tmp_path=workdir)
        results["setups"] = {}
        for name in names:
            try:
                results["setups"][name] = measure_setup(name, workdir, args)
            except Exception as error:
                results["setups"][name] = {"error": f"{error.__class__.__name__}: {error}"[:1000]}
                if args.smoke:
                    raise
        if not args.skip_desk_console:
            print("[desk console] agents live while the console's lists and tickets are fetched...", flush=True)
            results["desk_console"] = desk_console.run_all(smoke=args.smoke, workdir=workdir)
            print(desk_console.table(results["desk_console"]), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{results['date']}{'-smoke' if args.smoke else ''}"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2))
    folder = report.write(results, out / stem)
    print(f"results: {out / f'{stem}.json'}\nreport:  {folder / 'report.md'}")
    if args.publish:
        target = PROJECT_ROOT / "bench" / "report"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)
        (target / "results.json").write_text(json.dumps(results, indent=2))
        print(f"published: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
