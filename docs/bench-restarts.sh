#!/usr/bin/env bash
# Restarts under load: how long after kds serve is killed and started again
# an accepted command waits for its outcome.
#
#   docs/bench-restarts.sh [RUNS]            # RUNS per gap, 5 by default
#   KDS_BEFORE=/path/to/older/kds docs/bench-restarts.sh
#
# Each run starts `kds broker` and `kds serve` on a database of its own,
# requests 40 topics, then approves them one by one with --no-wait while
# kds serve is SIGKILLed and started again twice, GAP seconds apart (0.2,
# 2 and 12). Approvals the API could not take while it was down are issued
# again once it is back, as an operator would. It prints, per run:
#   worst_wait  the longest an accepted approval waited for its activation,
#               counted from when both it and the last restart had happened
#   stuck       topics not active 30 s after the last restart
# With KDS_BEFORE, runs of that binary are interleaved with this one's.
# Needs a local MariaDB or MySQL (root without a password) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/kds" ./cmd/kds
key=$(head -c 32 /dev/urandom | base64)
sql() { mysql -uroot -h127.0.0.1 -N -e "$1" 2>/dev/null; }

one() { # binary gap run
  local kds=$1 gap=$2 run=$3
  local port=$((19100 + run * 3)) api=$((18100 + run)) db=kds_bench_restart_$run
  sql "DROP DATABASE IF EXISTS $db"
  (
    export KDS_KAFKA_BROKERS=127.0.0.1:$port KDS_MYSQL_DATABASE=$db KDS_SERVER_HTTP_ADDR=127.0.0.1:$api \
      KDS_BOOTSTRAP_ADMIN_TOKEN=bench-restart-token-1234 KDS_LOG_LEVEL=warn KDS_SECURITY_MESSAGE_KEYS=bench:$key \
      KDS_API_URL=http://127.0.0.1:$api KDS_TOKEN=bench-restart-token-1234
    "$kds" broker --addr 127.0.0.1:$port >/dev/null 2>&1 & local broker=$!
    sleep 0.5
    "$kds" migrate --create-database >/dev/null 2>&1
    local serve
    start() { "$kds" serve >>"$work/serve.log" 2>&1 & serve=$!; }
    ready() { for _ in $(seq 1 200); do curl -sf "$KDS_API_URL/readyz" >/dev/null && return; sleep 0.05; done; }
    start; ready
    local names; names=$(for i in $(seq 1 40); do printf "t%02d " "$i"; done)
    for n in $names; do "$kds" topic request "$n" -p 1 --no-wait >/dev/null; done
    : >"$work/refused"
    ( for n in $names; do "$kds" topic approve "$n" --no-wait >/dev/null 2>&1 || echo "$n" >>"$work/refused"; done ) & local approving=$!
    sleep 0.3
    kill -9 $serve; wait $serve 2>/dev/null || true; start
    sleep "$gap"
    kill -9 $serve; wait $serve 2>/dev/null || true; start
    local last; last=$(date +%s.%N)
    wait $approving
    ready
    for n in $(cat "$work/refused"); do "$kds" topic approve "$n" --no-wait >/dev/null 2>&1 || true; done
    local active=0
    for _ in $(seq 1 600); do
      active=$(sql "SELECT COUNT(*) FROM $db.topics WHERE status = 'active'")
      [ "$active" = 40 ] && break
      sleep 0.05
    done
    local worst
    worst=$(sql "SELECT ROUND(MAX(UNIX_TIMESTAMP(t.at) - GREATEST(UNIX_TIMESTAMP(c.issued_at), $last)), 3)
      FROM $db.transitions t JOIN $db.commands c ON c.topic = t.topic AND c.type = 'ApproveTopic' AND c.status = 'applied'
      WHERE t.action = 'activate'")
    echo "gap=${gap}s worst_wait=${worst}s stuck=$((40 - active))"
    kill $serve $broker 2>/dev/null || true
    wait 2>/dev/null || true
  )
  sql "DROP DATABASE IF EXISTS $db"
}

run=0
for _ in $(seq 1 "$runs"); do
  for gap in 0.2 2 12; do
    run=$((run + 1)); echo "this   $(one "$work/kds" $gap $run)"
    if [ -n "${KDS_BEFORE:-}" ]; then run=$((run + 1)); echo "before $(one "$KDS_BEFORE" $gap $run)"; fi
  done
done
