#!/usr/bin/env bash
# `make run`: the web app and the scheduler side by side; Ctrl-C stops both.
set -euo pipefail
BIN=.venv/bin
export FLASK_APP=tracker:create_app
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}

cat <<MSG

  Twinning Tracker is starting on http://$HOST:$PORT
  Demo log-ins (password for all: demo-twinning-2026):
    staff@demo.marousi.invalid        office staff (Ελένη Παπαδοπούλου)
    head@demo.marousi.invalid         head of office
    deputy@demo.marousi.invalid       deputy mayor
    mayor@demo.marousi.invalid        mayor
    president@demo.marousi.invalid    council president
    councillor@demo.marousi.invalid   council member (also councillor2, councillor3)
    admin@demo.marousi.invalid        administrator
    viewer@demo.marousi.invalid       viewer (read-only)
  Emails are written to instance/outbox/ as .eml files (no SMTP server needed).
  Press Ctrl-C to stop the web app and the scheduler.

MSG

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$BIN/flask tracker scheduler &
pids+=($!)
$BIN/flask run --host "$HOST" --port "$PORT" &
pids+=($!)
wait -n
