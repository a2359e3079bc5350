"""The benchmark report: Markdown with tables, the targets met or missed (and by how much), and PNG plots."""
from pathlib import Path
from typing import Dict, List, Optional

TARGETS = [
    # (key, label, target, unit, higher_is_better)
    ("p95_at_50", "message p95 at 50 concurrent shoppers", 50.0, "ms", False),
    ("throughput_ratio", "throughput, ours / stock (best level)", 3.0, "x", True),
    ("ready", "start until the servers answer", 10.0, "s", False),
    ("rss", "Rasa server memory under load", 800.0, "MB", False),
    ("kb_search", "knowledge-base product search, {products} products (mean)", 1.0, "ms", False),
    ("lookup_sqlite", "verified order lookup, SQLite, {orders_sqlite} orders (mean)", 2.0, "ms", False),
    ("lookup_postgresql", "verified order lookup, PostgreSQL, {orders_postgresql} orders (mean)", 2.0, "ms", False),
    ("console_sqlite", "console list and ticket answers p95, {console_sqlite} (SQLite)", 100.0, "ms", False),
    ("console_postgresql", "console list and ticket answers p95, {console_postgresql} (PostgreSQL)", 100.0, "ms",
     False),
]


def _level(setup: dict, shoppers: int) -> Optional[dict]:
    return next((level for level in setup.get("load", []) if level["shoppers"] == shoppers), None)


def _best_throughput(setup: dict) -> Optional[float]:
    levels = setup.get("load") or []
    return max((level["throughput_per_s"] for level in levels), default=None)


def measured(results: dict) -> Dict[str, Optional[float]]:
    ours, stock = results["setups"].get("ours", {}), results["setups"].get("stock", {})
    components = results.get("components", {})
    values: Dict[str, Optional[float]] = {}
    level = _level(ours, 50)
    values["p95_at_50"] = level["p95_ms"] if level else None
    ours_best, stock_best = _best_throughput(ours), _best_throughput(stock)
    values["throughput_ratio"] = round(ours_best / stock_best, 2) if ours_best and stock_best else None
    values["ready"] = ours.get("ready_seconds")
    values["rss"] = (ours.get("rss_mb_under_load") or {}).get("rasa")
    values["kb_search"] = ((components.get("knowledge_search") or {}).get("product_match") or {}).get("mean_ms")
    for database in ("sqlite", "postgresql"):
        lookup = components.get(f"order_lookup_{database}") or {}
        values[f"lookup_{database}"] = (lookup.get("verified_lookup") or {}).get("mean_ms")
        steady = ((results.get("desk_console") or {}).get(database) or {}).get("phases", {}).get("steady") or {}
        p95s = [(steady.get(part) or {}).get("p95_ms") for part in ("list", "detail")]
        values[f"console_{database}"] = max(p95s) if steady and None not in p95s else None
    return values


def _sizes(results: dict) -> Dict[str, str]:
    components = results.get("components") or {}

    def size(group, key):
        value = (components.get(group) or {}).get(key)
        return f"{value:,}" if isinstance(value, int) else "?"
    def console(database):
        run = (results.get("desk_console") or {}).get(database) or {}
        settings, tickets = run.get("settings") or {}, run.get("tickets") or {}
        return (f"{settings.get('agents', '?')} agents live, "
                f"{tickets.get('waiting', 0) + tickets.get('assigned', 0) or '?'} open tickets")
    return {"products": size("knowledge_search", "products"), "orders_sqlite": size("order_lookup_sqlite", "orders"),
            "orders_postgresql": size("order_lookup_postgresql", "orders"), "console_sqlite": console("sqlite"),
            "console_postgresql": console("postgresql")}


def verdicts(results: dict) -> List[dict]:
    values = measured(results)
    sizes = _sizes(results)
    rows = []
    for key, label, target, unit, higher in TARGETS:
        label = label.format(**sizes)
        value = values.get(key)
        if value is None:
            rows.append({"key": key, "label": label, "target": target, "unit": unit, "value": None, "met": None})
            continue
        met = value >= target if higher else value <= target
        factor = (target / value if higher else value / target) if value else None
        rows.append({"key": key, "label": label, "target": target, "unit": unit, "value": value, "met": met,
                     "missed_by": None if met else round(factor, 2)})
    return rows


def _plots(results: dict, folder: Path) -> List[str]:
    from bot.plots import pyplot

    plt = pyplot()
    made = []
    setups = {name: s for name, s in results["setups"].items() if s.get("load")}
    if setups:
        figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4))
        colours = {"ours": "#1f4e3d", "stock": "#c2410c"}
        for name, setup in setups.items():
            shoppers = [level["shoppers"] for level in setup["load"]]
            colour = colours.get(name)
            for q, style in (("p50_ms", ":"), ("p95_ms", "-"), ("p99_ms", "--")):
                latency.plot(shoppers, [level[q] or 0 for level in setup["load"]], style, marker="o", color=colour,
                             label=f"{name} {q[:3]}")
            throughput.plot(shoppers, [level["throughput_per_s"] for level in setup["load"]], marker="o",
                            color=colour, label=name)
        latency.axhline(50, color="grey", linewidth=0.8)
        latency.set_yscale("log")
        latency.set_xlabel("concurrent shoppers")
        latency.set_ylabel("ms per message (log)")
        latency.set_title("Message latency")
        latency.legend(fontsize=7)
        throughput.set_xlabel("concurrent shoppers")
        throughput.set_ylabel("messages per second")
        throughput.set_title("Throughput")
        throughput.legend()
        figure.tight_layout()
        figure.savefig(folder / "load.png", dpi=100)
        plt.close(figure)
        made.append("load.png")
    components = results.get("components") or {}
    bars = []
    for label, path in (("KB product search", ("knowledge_search", "product_match")),
                        ("KB answer (returns)", ("knowledge_search", "returns_answer")),
                        ("anger scoring", ("anger_scoring", "score")), ("handoff policy", ("handoff_policy", "predict")),
                        ("order lookup SQLite", ("order_lookup_sqlite", "verified_lookup")),
                        ("order lookup PostgreSQL", ("order_lookup_postgresql", "verified_lookup"))):
        part = (components.get(path[0]) or {}).get(path[1])
        if part:
            bars.append((label, part["mean_ms"], part["p95_ms"]))
    if bars:
        figure, axes = plt.subplots(figsize=(8, 3.5))
        names = [b[0] for b in bars]
        axes.barh(names, [b[2] for b in bars], color="#9ec5b4", label="p95")
        axes.barh(names, [b[1] for b in bars], color="#1f4e3d", label="mean")
        axes.set_xscale("log")
        axes.set_xlabel("ms per call (log)")
        axes.set_title("Our parts in isolation")
        axes.legend()
        figure.tight_layout()
        figure.savefig(folder / "components.png", dpi=100)
        plt.close(figure)
        made.append("components.png")
    return made


def _fmt(value, unit="") -> str:
    if value is None:
        return "-"
    return f"{value:g}{(' ' + unit) if unit else ''}"


def markdown(results: dict, plots: List[str]) -> str:
    lines = [f"# Benchmark, {results['date']}" + (" (smoke run: the figures mean nothing)" if results["smoke"] else ""),
             "", f"Machine: {results['machine']['cores']} cores, {results['machine']['platform']}, Python "
             f"{results['machine']['python']}"
             + (f" (Rasa servers: Python {results['machine']['rasa_python']})" if results['machine'].get('rasa_python')
                else "") + f". Load: {', '.join(map(str, results['settings']['levels']))} "
             f"concurrent shoppers, {results['settings']['seconds_per_level']:g} s each, "
             f"{results['settings']['think_seconds']:g} s thinking between messages (0.5-1.5x, random).", "",
             "## Targets", "", "| measure | target | measured | |", "|---|---|---|---|"]
    for row in verdicts(results):
        sign = ">=" if row["key"] == "throughput_ratio" else "<"
        state = "-" if row["met"] is None else ("met" if row["met"] else f"missed by {row['missed_by']}x")
        lines.append(f"| {row['label']} | {sign} {_fmt(row['target'], row['unit'])} | "
                     f"{_fmt(row['value'], row['unit'])} | {state} |")
    setups = results["setups"]
    names = list(setups)
    lines += ["", "## Setups side by side", "", "| measure | " + " | ".join(names) + " |",
              "|---|" + "---|" * len(names)]
    for key, label in (("config", "configuration"), ("rasa_server", "Rasa server started with"),
                       ("database", "database (tracker store, orders)"),
                       ("train_seconds", "training time (s)"), ("model_mb", "model size (MB)"),
                       ("ready_seconds", "start until both servers answer (s)"),
                       ("accuracy", "intent accuracy, test set"), ("macro_f1", "macro F1, test set")):
        lines.append(f"| {label} | " + " | ".join(_fmt(setups[n].get(key)) if not isinstance(setups[n].get(key), str)
                                                   else setups[n][key] for n in names) + " |")
    for part in ("rasa", "actions"):
        lines.append(f"| {part} server memory idle / max under load (MB) | " + " | ".join(
            f"{_fmt((setups[n].get('rss_mb_idle') or {}).get(part))} / "
            f"{_fmt((setups[n].get('rss_mb_under_load') or {}).get(part))}" for n in names) + " |")
    lines.append("| one turn over REST, one shopper at a time: wall ms (mean) | " + " | ".join(
        _fmt((setups[n].get("turn_cost") or {}).get("wall_ms_mean")) for n in names) + " |")
    for part in ("rasa", "actions"):
        lines.append(f"| {part} server CPU ms per turn | " + " | ".join(
            _fmt(((setups[n].get("turn_cost") or {}).get("cpu_ms_per_turn") or {}).get(part)) for n in names) + " |")
    for name in names:
        if setups[name].get("error"):
            lines += ["", f"{name}: {setups[name]['error']}"]
    lines += ["", "## Load over socket.io", "",
              "| setup | shoppers | messages | errors | throughput (msg/s) | p50 ms | p95 ms | p99 ms |",
              "|---|---|---|---|---|---|---|---|"]
    for name in names:
        for level in setups[name].get("load") or []:
            lines.append(f"| {name} | {level['shoppers']} | {level['messages']} | {level['errors']} | "
                         f"{level['throughput_per_s']} | {_fmt(level['p50_ms'])} | {_fmt(level['p95_ms'])} | "
                         f"{_fmt(level['p99_ms'])} |")
    components = results.get("components") or {}
    if components:
        lines += ["", "## Our parts in isolation (ms per call)", "", "| part | size | mean | p50 | p95 | p99 |",
                  "|---|---|---|---|---|---|"]
        rows = [("KB product search", "knowledge_search", "product_match", "products"),
                ("KB FAQ search", "knowledge_search", "faq_search", "products"),
                ("KB composed returns answer", "knowledge_search", "returns_answer", "products"),
                ("anger scoring", "anger_scoring", "score", "messages"),
                ("handoff policy decision", "handoff_policy", "predict", None),
                ("verified order lookup, SQLite, first touch", "order_lookup_sqlite", "first_touch_lookup", "orders"),
                ("verified order lookup, SQLite", "order_lookup_sqlite", "verified_lookup", "orders"),
                ("failed verification, SQLite", "order_lookup_sqlite", "failed_verification", "orders"),
                ("verified order lookup, PostgreSQL, first touch", "order_lookup_postgresql", "first_touch_lookup",
                 "orders"),
                ("verified order lookup, PostgreSQL", "order_lookup_postgresql", "verified_lookup", "orders"),
                ("failed verification, PostgreSQL", "order_lookup_postgresql", "failed_verification", "orders")]
        for label, group, key, size_key in rows:
            part = components.get(group) or {}
            figures = part.get(key)
            if part.get("error"):
                lines.append(f"| {label} | {part['error'][:80]} | | | | |")
            elif figures:
                size = f"{part.get(size_key):,}" if size_key and part.get(size_key) else ""
                lines.append(f"| {label} | {size} | {figures['mean_ms']} | {figures['p50_ms']} | {figures['p95_ms']} | "
                             f"{figures['p99_ms']} |")
    if results.get("desk_console"):
        from bench.desk_console import table

        think = next((run["settings"]["think"] for run in results["desk_console"].values()
                      if isinstance(run, dict) and run.get("settings")), [2, 5])
        lines += ["", "## The agent console under load (bench/desk_console.py)", "",
                  f"Steady: each agent acts every {think[0]:g}-{think[1]:g} s (a list view, a filter, a search, a "
                  "ticket with its customer) and its console fetches its list again on each live event; burst: "
                  "every agent back to back.", "", table(results["desk_console"])]
    lines += [""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(lines) + "\n"


def write(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    plots = _plots(results, folder)
    (folder / "report.md").write_text(markdown(results, plots))
    return folder


if __name__ == "__main__":  # python -m bench.report RESULTS.json FOLDER: redraw a report from its figures
    import json
    import sys

    print(write(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])) / "report.md")
