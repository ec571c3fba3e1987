#!/usr/bin/env bash
# End to end on a real Prefect server: start `prefect server start`, create a process work pool,
# `prefect deploy --all` from prefect.yaml, start a worker, run a deployment and wait for it.
#   scripts/prefect_server_e2e.sh [DEPLOYMENT] [PARAM=VALUE ...]
# Uses its own PREFECT_HOME, port and SQLite files under a temporary folder; stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${XUEQU_BIN:-$ROOT/.venv/bin}
PORT=${XUEQU_E2E_PORT:-$((4300 + RANDOM % 500))}
DEPLOYMENT=${1:-question-setting/question-setting}
shift || true
WORK=$(mktemp -d)
export PREFECT_HOME=$WORK/prefect PREFECT_API_URL=http://127.0.0.1:$PORT/api
export PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_UI_ENABLED=false
export XUEQU_DATABASE_URL=${XUEQU_E2E_DATABASE_URL:-sqlite:///$WORK/xuequ.db}
pids=()
cleanup() {
  # A worker may take its time over SIGTERM: give every process 10 s, then SIGKILL; never a bare `wait`.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.5
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== demo district into $XUEQU_DATABASE_URL"
"$BIN/xuequ" demo-data --schools 12 --seed 3 --out "$WORK/bundle" >/dev/null
"$BIN/xuequ" import "$WORK/bundle" >/dev/null

echo "== prefect server on port $PORT"
"$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null || { cat "$WORK/server.log"; echo "server did not start"; exit 1; }

echo "== work pool, deployments, worker"
"$BIN/prefect" work-pool create local --type process >/dev/null 2>&1 || true
"$BIN/prefect" --no-prompt deploy --all >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log"; exit 1; }
"$BIN/prefect" worker start --pool local >"$WORK/worker.log" 2>&1 &
pids+=($!)

params=()
for kv in "$@"; do params+=(--param "$kv"); done
echo "== run $DEPLOYMENT ${params[*]:-}"
out=$("$BIN/prefect" deployment run "$DEPLOYMENT" "${params[@]}" --watch --watch-timeout 600 2>&1) || {
  echo "$out"; echo "--- worker log"; tail -50 "$WORK/worker.log"; exit 1; }
echo "$out" | tail -5
echo "$out" | grep -q "Completed" || { echo "--- worker log"; tail -50 "$WORK/worker.log"; exit 1; }
"$BIN/python" - <<'PY'
from sqlalchemy import func, select
from models import Paper
from models.db import session_scope
with session_scope() as session:
    count = session.scalar(select(func.count()).select_from(Paper))
print(f"papers in the database after the run: {count}")
assert count > 0, "the flow run through the worker stored no paper"
PY
echo "E2E OK"
