"""50 socket.io shoppers for 30 s, with this checkout's load generator, against the servers that
serve_for_load.py started. Usage: drive_load.py OUT LABEL; prints one line of figures."""
import json
import sys
from pathlib import Path

from bench import load

serving = json.loads((Path(sys.argv[1]) / "serving.json").read_text())
level = load.run_levels(serving["url"], [50], 30.0, 1.0, [tuple(order) for order in serving["orders"]],
                        serving["pids"])[0]
print(sys.argv[2], json.dumps({key: level[key] for key in ("messages", "throughput_per_s", "p50_ms", "p95_ms",
                                                           "p99_ms", "errors")}))
