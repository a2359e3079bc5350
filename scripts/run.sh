#!/usr/bin/env bash
# Start the action server, the Rasa server and the desk, wait until they answer, stop them on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"

set -a
[ -f .env ] && . ./.env
set +a
export RASA_PORT="${RASA_PORT:-5005}" ACTION_PORT="${ACTION_PORT:-5055}" DESK_PORT="${DESK_PORT:-8000}"
export RASA_TOKEN="${RASA_TOKEN:-dev-token-change-me}"
# Rasa would otherwise send telemetry and error reports to its vendor.
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p var/log

"$PY" -m bot check-kb
"$PY" -m bot init-db
"$PY" -m bot train
"$PY" -m bot render-endpoints --output var/endpoints.yml
"$PY" -m bot demo-agent

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'echo; echo "stopping..."; trap - EXIT; stop_servers; echo "stopped"; exit 0' INT TERM
trap stop_servers EXIT

"$PY" -m bot serve-actions >var/log/actions.log 2>&1 &
pids+=($!)
"$PY" -m bot.rasa_server -i "${RASA_HOST:-127.0.0.1}" --enable-api --auth-token "$RASA_TOKEN" --cors "*" --port "$RASA_PORT" \
  --model models/storefront.tar.gz --endpoints var/endpoints.yml --credentials credentials.yml \
  >var/log/rasa.log 2>&1 &
pids+=($!)

"$PY" -m bot serve-desk >var/log/desk.log 2>&1 &
pids+=($!)

"$PY" -m bot wait-ready --timeout 300 || { echo "servers did not start; see var/log/"; tail -20 var/log/*.log; exit 1; }

cat <<MSG

Storefront Assistant is running.
  Rasa server:   http://127.0.0.1:$RASA_PORT   (REST channel, socket.io channel, HTTP API with token)
  Action server: http://127.0.0.1:$ACTION_PORT
  Storefront:    http://127.0.0.1:$DESK_PORT/          (demo shop with the chat widget on every page)
  Agent console: http://127.0.0.1:$DESK_PORT/console
  Logs:          var/log/rasa.log, var/log/actions.log, var/log/desk.log

Talk to it over the REST channel:
  curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
       -d '{"sender": "me", "message": "where is my order?"}'

Try an order: "where is my order?", then TS100004 and V6B 1A1 (more in README.md, "Demo orders").
Press Ctrl-C to stop the servers.
MSG

wait -n "${pids[@]}" || true
echo "a server exited; see var/log/"
exit 1
