"""Prints what bench/compare/run.sh measured. Usage: python bench/compare/summary.py OUT_DIR"""
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
for path in sorted(out.glob("lookups-*.json")):
    figures = json.loads(path.read_text())
    for database in ("sqlite", "postgresql"):
        lookup = figures[database]
        print(f"{path.stem[8:]:7} {database:10} first touch {lookup['first_touch_lookup']['mean_ms']:.3f} ms, "
              f"warm {lookup['verified_lookup']['mean_ms']:.3f} ms (p95 {lookup['verified_lookup']['p95_ms']:.3f}), "
              f"failed {lookup['failed_verification']['mean_ms']:.3f} ms")
for path in sorted(out.glob("load-*/*.json")):
    ours = json.loads(path.read_text())["setups"]["ours"]
    print(f"{path.parent.name}: ready {ours.get('ready_seconds')} s, memory under load {ours.get('rss_mb_under_load')}")
    for level in ours.get("load", []):
        print(f"  {level['shoppers']:4} shoppers {level['throughput_per_s']:7} msg/s  p50 {level['p50_ms']} "
              f"p95 {level['p95_ms']} p99 {level['p99_ms']}  errors {level['errors']}")
for name in ("rest_turns.txt", "same_servers.txt"):
    if (out / name).exists():
        print((out / name).read_text().rstrip())
