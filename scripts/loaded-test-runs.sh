#!/usr/bin/env bash
# Runs `npm test` RUNS times in a row (default 3) while BUSY processes (default 2) spin on the CPU, and reports
# each run's result and wall time: the suite must pass every time, each run within LIMIT seconds (default 600).
# The busy processes are stopped by pid when the script ends, however it ends.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
BUSY=${BUSY:-2}
LIMIT=${LIMIT:-600}
LOG_DIR=${LOG_DIR:-$(mktemp -d)}
mkdir -p "$LOG_DIR"

busy_pids=()
stop_busy() {
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null; done
}
trap stop_busy EXIT
for _ in $(seq "$BUSY"); do
  node -e 'for(;;){}' &
  busy_pids+=("$!")
done
echo "== $BUSY busy processes (pids ${busy_pids[*]}) on $(nproc) cores; logs in $LOG_DIR"

failed=0
for run in $(seq "$RUNS"); do
  start=$(date +%s)
  npm test >"$LOG_DIR/run-$run.log" 2>&1
  code=$?
  seconds=$(($(date +%s) - start))
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG_DIR/run-$run.log" | grep -E '^ +(Test Files|Tests) ' | tr -s ' ' | paste -sd ';')
  verdict=ok
  if [ "$code" -ne 0 ]; then verdict="FAILED (exit $code)"; failed=1; fi
  if [ "$seconds" -gt "$LIMIT" ]; then verdict="$verdict, over ${LIMIT} s"; failed=1; fi
  echo "run $run: ${seconds} s, $verdict;$summary"
done
exit "$failed"
