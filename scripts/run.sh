#!/usr/bin/env bash
# Set up, then run the action server, the Rasa server and the desk under supervisord, which restarts any
# of them that dies; wait until all three answer; Ctrl-C stops the supervisor and with it every server.
set -euo pipefail
cd "$(dirname "$0")/.."
# The database, logs, .env and the mail outbox are readable by their owner only.
umask 077
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
SUPERVISORD="$ROOT/.venv/bin/supervisord"

# Rasa would otherwise send telemetry and error reports to its vendor.
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p var/log

# .env with random secrets on the first run; values already there are never replaced. Every command
# below reads its settings (ports, secrets) from .env and the environment, and refuses unsafe ones.
"$PY" -m bot init-env
"$PY" -m bot check-kb
"$PY" -m bot init-db
"$PY" -m bot train
"$PY" -m bot demo-agent
"$PY" -m bot supervisor-config --output var/supervisord.conf >/dev/null
read -r RASA_PORT ACTION_PORT DESK_PORT < <("$PY" -c \
  'from bot.settings import get_settings as g; s = g(); print(s.rasa_port, s.action_port, s.desk_port)')

"$SUPERVISORD" --nodaemon --silent --configuration var/supervisord.conf &
supervisor=$!
stop_servers() {
  kill -TERM "$supervisor" 2>/dev/null || true
  wait "$supervisor" 2>/dev/null || true
}
trap 'echo; echo "stopping..."; trap - EXIT; stop_servers; echo "stopped"; exit 0' INT TERM
trap stop_servers EXIT

"$PY" -m bot wait-ready --timeout 300 --pid "$supervisor" || {
  echo "servers did not start; see var/log/"; tail -n 20 var/log/*.log; exit 1; }

REST_SENDER=$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
cat <<MSG

Storefront Assistant is running.
  Rasa server:   http://127.0.0.1:$RASA_PORT   (REST channel, socket.io channel, HTTP API with token)
  Action server: http://127.0.0.1:$ACTION_PORT
  Storefront:    http://127.0.0.1:$DESK_PORT/          (demo shop with the chat widget on every page)
  Agent console: http://127.0.0.1:$DESK_PORT/console
  Logs:          var/log/rasa.log, var/log/actions.log, var/log/desk.log

Talk to it over the REST channel (a REST conversation's id is its key: keep it unguessable):
  curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook -H "Content-Type: application/json" \\
       -d '{"sender": "rest-$REST_SENDER", "message": "where is my order?"}'

Try an order: "where is my order?", then TS100004 and V6B 1A1 (more in README.md, "Demo orders").
A server that stops is started again by the supervisor (.venv/bin/supervisorctl -c var/supervisord.conf status).
Press Ctrl-C to stop the servers.
MSG

wait "$supervisor" || true
trap - EXIT
echo "the supervisor exited; see var/log/supervisord.log"
exit 1
