#!/usr/bin/env bash
# Starts simulator, agent and service in the foreground; Ctrl-C or SIGTERM stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

export SIMULATOR_PORT="${SIMULATOR_PORT:-8010}" AGENT_PORT="${AGENT_PORT:-8000}" SERVICE_PORT="${SERVICE_PORT:-3000}"
export DATA_DIR="${DATA_DIR:-data}" CONFIG="${CONFIG:-config/demo.yaml}"
export SCENARIO="${SCENARIO:-simulator/scenarios/demo.yaml}"
export AGENT_URL="${AGENT_URL:-http://127.0.0.1:${AGENT_PORT}}"
# The simulator takes any key; real providers read theirs from the variables the config names.
export SIMULATOR_API_KEY="${SIMULATOR_API_KEY:-sim-key}"
# The secret the service sends and the agent requires on every call: a fresh one per run unless given.
export MODELWATCH_AGENT_TOKEN="${MODELWATCH_AGENT_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
DEMO_TRAFFIC="${DEMO_TRAFFIC:-1}"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "modelwatch: stopping..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

wait_for() { # url, name: poll until it answers, for at most 30 s
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "modelwatch: $2 did not answer at $1 within 30 s" >&2; return 1
}

if [ "${SIMULATOR:-1}" = "1" ]; then
  .venv/bin/python -m simulator & pids+=($!)
  wait_for "http://127.0.0.1:${SIMULATOR_PORT}/healthz" simulator
fi
.venv/bin/python -m agent & pids+=($!)
wait_for "http://127.0.0.1:${AGENT_PORT}/healthz" agent
node service/dist/main.js & pids+=($!)
wait_for "http://127.0.0.1:${SERVICE_PORT}/healthz" service

cat >&2 <<MSG

modelwatch is up:  service http://127.0.0.1:${SERVICE_PORT}  agent :${AGENT_PORT}  simulator :${SIMULATOR_PORT}
  health:     curl -s localhost:${SERVICE_PORT}/v1/health
  fallbacks:  curl -s localhost:${SERVICE_PORT}/v1/fallbacks
  scenario:   ${SCENARIO}   (POST localhost:${SIMULATOR_PORT}/admin/reset stops it)
MSG

if [ "$DEMO_TRAFFIC" = "1" ] && [ "$SCENARIO" != "none" ]; then
  .venv/bin/python scripts/demo_traffic.py "http://127.0.0.1:${SERVICE_PORT}" & pids+=($!)
fi
wait -n "${pids[@]}"
