#!/usr/bin/env bash
# Content benchmarks, all in one run against one embedded broker (kds dev):
# bulk send (kds send, kcat -P, python3-kafka), consume (kds consume -o json,
# kcat -C), send → receive latency at a steady rate, and one consumer
# process subscribed to many topics. Needs Go, a local MySQL/MariaDB, kcat,
# Debian's python3-kafka (/usr/bin/python3) and jq. Results: docs/BENCHMARKS.md.
#
#   docs/bench-content.sh [MESSAGES] [SUBSCRIPTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."

messages=${1:-500000}
subscriptions=${2:-500}
work=$(mktemp -d)
export KDS_MYSQL_DATABASE=kds_bench_content_$$
cleanup() {
  kill "${dev_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
  # The database kds dev created for this run.
  if command -v mysql >/dev/null; then
    MYSQL_PWD=${KDS_MYSQL_PASSWORD:-} mysql -h "${KDS_MYSQL_HOST:-127.0.0.1}" -P "${KDS_MYSQL_PORT:-3306}" \
      -u "${KDS_MYSQL_USER:-root}" -e "DROP DATABASE IF EXISTS $KDS_MYSQL_DATABASE" || true
  fi
}
trap cleanup EXIT

go build -o "$work/kds" ./cmd/kds
kds() { "$work/kds" "$@"; }

token=bench-$$
KDS_BOOTSTRAP_ADMIN_TOKEN="$token" "$work/kds" dev --kafka-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --state-dir "$work/state" >"$work/dev.out" 2>"$work/dev.err" &
dev_pid=$!
for _ in $(seq 1 100); do grep -q '^  export' "$work/dev.out" && break; sleep 0.2; done
eval "$(grep '^  export' "$work/dev.out")"
broker=$(awk '/Kafka bootstrap:/ {print $3}' "$work/dev.out")
echo "kds dev: API $KDS_API_URL, Kafka $broker"

# MESSAGES lines of 100 bytes.
/usr/bin/python3 -c "
import sys
line = b'x' * 91
with open('$work/data', 'wb') as f:
    for i in range($messages):
        f.write(b'%08d ' % i + line + b'\n')"
head -n $((messages / 5)) "$work/data" > "$work/data.py"

topic() { kds topic request "$1" -p 3 >/dev/null && kds topic approve "$1" >/dev/null; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
rate() { /usr/bin/python3 -c "print('%.0f' % ($1 / $2))"; }

echo
echo "== bulk send, $messages messages of 100 bytes, 3 partitions"
# Interleaved, run for run, with the CPU each spent (user+system seconds)
# and kds send's rate as a share of kcat's in that pair.
cpu() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -1; }
for run in 1 2 3 4 5; do
  topic "send.kds.$run"; read -r t u s < <(cpu "$work/kds" send "send.kds.$run" <"$work/data")
  echo "kds send            pair $run: ${t}s, $(rate "$messages" "$t") msg/s, CPU $(/usr/bin/python3 -c "print('%.2f' % ($u + $s))")s"
  topic "send.kcat.$run"; read -r tk uk sk < <(cpu kcat -b "$broker" -P -t "send.kcat.$run" -l "$work/data")
  echo "kcat -P             pair $run: ${tk}s, $(rate "$messages" "$tk") msg/s, CPU $(/usr/bin/python3 -c "print('%.2f' % ($uk + $sk))")s;" \
    "kds send at $(/usr/bin/python3 -c "print('%.0f' % (100 * $tk / $t))") % of kcat"
done
cat > "$work/producer.py" <<'PY'
import sys, time
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1])
n = 0
t = time.time()
with open(sys.argv[3], 'rb') as f:
    for line in f:
        p.send(sys.argv[2], line.rstrip(b'\n'))
        n += 1
p.flush()
d = time.time() - t
print("%.2f" % d)
PY
topic send.python
t=$(/usr/bin/python3 "$work/producer.py" "$broker" send.python "$work/data.py")
echo "python3-kafka       $((messages / 5)) messages: ${t}s, $(rate $((messages / 5)) "$t") msg/s"

echo
echo "== consume $messages messages (topic send.kds.1) from the beginning"
# Interleaved, run for run: kds consume -o json of a new consumer id (the
# time includes starting the process and joining the consumer group), then
# kcat -C; each kds run is checked message by message against the input.
cut -c1-8 "$work/data" > "$work/sent"
for run in 1 2 3 4 5; do
  t=$(seconds "$work/kds" consume --id "bench-consume-$run" --topics send.kds.1 --from-beginning --count "$messages" -o json)
  "$work/kds" consume --id "bench-consume-check-$run" --topics send.kds.1 --from-beginning --count "$messages" -o json 2>/dev/null |
    jq -r .value | cut -c1-8 | sort > "$work/read"
  if ! cmp -s "$work/read" "$work/sent"; then echo "kds consume run $run did not read exactly what was sent" >&2; exit 1; fi
  tk=$(seconds sh -c "kcat -b '$broker' -C -t send.kds.1 -o beginning -e -q | wc -l > /dev/null")
  echo "kds consume -o json pair $run: ${t}s, $(rate "$messages" "$t") msg/s; kcat -C ${tk}s, $(rate "$messages" "$tk") msg/s;" \
    "kds consume at $(/usr/bin/python3 -c "print('%.0f' % (100 * $tk / $t))") % of kcat"
done
echo
echo "== a consumer process against a plain franz-go consumer, in one process"
kds bench consume --messages "$messages" --rounds 5

echo
echo "== send → receive latency at 200 msg/s"
kds bench latency --rate 200 --duration 20s

echo
echo "== one consumer process, $subscriptions subscriptions"
kds bench subscribe --topics "$subscriptions"
