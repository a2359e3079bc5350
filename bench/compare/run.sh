#!/usr/bin/env bash
# Two checkouts' servers side by side; see README.md here. Usage: run.sh OLD NEW OUT_DIR
set -u
OLD=$(realpath "$1"); NEW=$(realpath "$2"); OUT=$(realpath -m "$3"); HERE=$(dirname "$(realpath "$0")")
mkdir -p "$OUT"
in_checkout() {  # CHECKOUT COMMAND...: run with that checkout's application interpreter
  local checkout=$1; shift
  (cd "$checkout" && PYTHONPATH="$checkout" RASA_TELEMETRY_ENABLED=false "$checkout/.venv/bin/python" "$@")
}
lookups() {
  in_checkout "$1" - <<PY > "$OUT/lookups-$2.json"
import json
from bench import components
print(json.dumps({"postgresql": components.order_lookup("postgresql://postgres@127.0.0.1:5432/storefront_bench_orders", 1_000_000),
                  "sqlite": components.order_lookup("sqlite:///$1/var/bench/orders.db", 1_000_000)}))
PY
}
for round in 1 2; do
  lookups "$OLD" "old-$round"; lookups "$NEW" "new-$round"
  for side in old new; do
    checkout=$OLD; [ "$side" = new ] && checkout=$NEW
    in_checkout "$checkout" -m bench.run --only ours --skip-components --levels 1,10,50 --seconds 30 \
      --out "$OUT/load-$side-$round" > "$OUT/load-$side-$round.log" 2>&1
    in_checkout "$checkout" "$HERE/rest_turns.py" "$side-$round" >> "$OUT/rest_turns.txt" 2>> "$OUT/errors.log"
  done
done
rm -f "$OUT/serving.json" "$OUT/stop"
in_checkout "$NEW" "$HERE/serve_for_load.py" "$OUT" > "$OUT/serve_for_load.log" 2>&1 &
for _ in $(seq 1 300); do [ -f "$OUT/serving.json" ] && break; sleep 1; done
for round in 1 2; do
  in_checkout "$OLD" "$HERE/drive_load.py" "$OUT" "old-client-$round" >> "$OUT/same_servers.txt" 2>> "$OUT/errors.log"
  in_checkout "$NEW" "$HERE/drive_load.py" "$OUT" "new-client-$round" >> "$OUT/same_servers.txt" 2>> "$OUT/errors.log"
done
touch "$OUT/stop"; wait
