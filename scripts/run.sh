#!/usr/bin/env bash
# Starts simulator, agent and service in the foreground; Ctrl-C or SIGTERM stops all three.
# If any of them exits (a broken config, a port in use), the others are stopped and its last
# lines are printed last, so the reason is what is left on the screen.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_CONFIG=config/demo.yaml
export SIMULATOR_PORT="${SIMULATOR_PORT:-8010}" AGENT_PORT="${AGENT_PORT:-8000}" SERVICE_PORT="${SERVICE_PORT:-3000}"
export DATA_DIR="${DATA_DIR:-data}" CONFIG="${CONFIG:-$DEMO_CONFIG}"
export AGENT_URL="${AGENT_URL:-http://127.0.0.1:${AGENT_PORT}}"
# The secret the service sends and the agent requires on every call: a fresh one per run unless given.
export MODELWATCH_AGENT_TOKEN="${MODELWATCH_AGENT_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
SIMULATOR="${SIMULATOR:-1}"

# The demo (scripted outage and an interview every 5 s) only ever runs against the bundled simulator
# with the demo config: with real providers it would start real, paid interviews and write demo
# fallback events into the audit trail.
demo=0
if [ "$SIMULATOR" = "1" ] && [ "$(realpath -m "$CONFIG")" = "$(realpath -m "$DEMO_CONFIG")" ]; then demo=1; fi
if [ "$demo" = "1" ]; then
  export SCENARIO="${SCENARIO:-simulator/scenarios/demo.yaml}"
  DEMO_TRAFFIC="${DEMO_TRAFFIC:-1}"
else
  export SCENARIO="${SCENARIO:-none}"
  if [ "${DEMO_TRAFFIC:-0}" = "1" ]; then
    echo "modelwatch: DEMO_TRAFFIC=1 ignored: demo traffic runs only with the simulator and $DEMO_CONFIG" >&2
  fi
  DEMO_TRAFFIC=0
fi
# The simulator takes any key; configs for it (the demo's) name this variable. Real keys come from
# the variables the config names, set by you; none is given a dummy value here.
if [ "$SIMULATOR" = "1" ]; then export SIMULATOR_API_KEY="${SIMULATOR_API_KEY:-sim-key}"; fi

# One human line per event on a terminal (scripts/log_format.py); JSON lines everywhere else.
if [ -t 1 ]; then LOG_FORMAT="${LOG_FORMAT:-pretty}"; else LOG_FORMAT="${LOG_FORMAT:-json}"; fi
logs="$(mktemp -d -t modelwatch-run.XXXXXX)"
names=() pids=()

# name, command...: runs it in the background; its output goes to the screen and to $logs/name.log.
start() {
  local name="$1"; shift
  if [ "$LOG_FORMAT" = "pretty" ]; then
    "$@" > >(tee -a "$logs/$name.log" | .venv/bin/python scripts/log_format.py "$name") 2>&1 &
  else
    "$@" > >(tee -a "$logs/$name.log") 2>&1 &
  fi
  names+=("$name") pids+=($!)
}

stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}

# name, status: stops the others, then shows the last lines of the one that exited.
exited() {
  trap - INT TERM EXIT
  stop_all
  sleep 0.2 # let the formatters print what the processes wrote before they stopped
  echo "modelwatch: the $1 exited (status $2); everything is stopped. Its last lines:" >&2
  if [ "$LOG_FORMAT" = "pretty" ]; then
    tail -n 15 "$logs/$1.log" | .venv/bin/python scripts/log_format.py "$1" >&2
  else
    tail -n 15 "$logs/$1.log" >&2
  fi
  rm -rf "$logs"
  exit 1
}

on_signal() {
  trap - INT TERM EXIT
  echo "modelwatch: stopping..." >&2
  stop_all
  rm -rf "$logs"
  exit 0
}
trap on_signal INT TERM EXIT

# url, name: polls until it answers, for at most 30 s; stops early if the process has exited.
wait_for() {
  local pid="${pids[-1]}" status
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0; wait "$pid" || status=$?
      exited "$2" "$status"
    fi
    sleep 0.1
  done
  echo "modelwatch: $2 did not answer at $1 within 30 s" >&2
  exit 1
}

if [ "$SIMULATOR" = "1" ]; then
  start simulator .venv/bin/python -m simulator
  wait_for "http://127.0.0.1:${SIMULATOR_PORT}/healthz" simulator
fi
start agent .venv/bin/python -m agent
wait_for "http://127.0.0.1:${AGENT_PORT}/healthz" agent
start service service/bin/modelwatch-service
wait_for "http://127.0.0.1:${SERVICE_PORT}/healthz" service

{
  echo
  echo "modelwatch is up:  service http://127.0.0.1:${SERVICE_PORT}  agent :${AGENT_PORT}  config ${CONFIG}"
  echo "  health:     curl -s localhost:${SERVICE_PORT}/v1/health"
  echo "  fallbacks:  curl -s localhost:${SERVICE_PORT}/v1/fallbacks"
  if [ "$SIMULATOR" = "1" ]; then
    echo "  simulator:  :${SIMULATOR_PORT}, scenario ${SCENARIO}   (POST localhost:${SIMULATOR_PORT}/admin/reset stops it)"
  else
    echo "  simulator:  not started (SIMULATOR=0): the config's providers are called for real"
  fi
  if [ "$DEMO_TRAFFIC" = "1" ]; then
    echo "  demo traffic: an interview every 5 s (DEMO_TRAFFIC=0 turns it off)"
  else
    echo "  demo traffic: off"
  fi
  echo
} >&2

if [ "$DEMO_TRAFFIC" = "1" ]; then
  start demo .venv/bin/python scripts/demo_traffic.py "http://127.0.0.1:${SERVICE_PORT}"
fi
status=0
wait -n -p done_pid "${pids[@]}" || status=$?
for i in "${!pids[@]}"; do
  if [ "${pids[$i]}" = "$done_pid" ]; then exited "${names[$i]}" "$status"; fi
done
