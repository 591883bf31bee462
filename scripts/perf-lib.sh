# Sourced by the measuring scripts (rss.sh, fanout-cpu.sh, core-scaling.sh): what each of
# them needs the same way. A fresh single member on 127.0.0.1:32379 (peer :32380), etcd's
# benchmark, and a member's CPU by thread.

# etcd's benchmark: BENCHMARK, else ../shared/perf/etcd-benchmark beside the checkout, else PATH's.
perf_bench() {
  local beside
  beside="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/perf/etcd-benchmark"
  if [ -n "${BENCHMARK:-}" ]; then echo "$BENCHMARK"; elif [ -x "$beside" ]; then echo "$beside"; else echo etcd-benchmark; fi
}

PERF_ENDPOINT=127.0.0.1:32379

# perf_member DATADIR LOG COMMAND...: starts COMMAND (anything taking etcd's flags) as a
# fresh member in DATADIR, sets PERF_PID and waits (up to 10 s) until it is healthy.
perf_member() {
  local dir=$1 log=$2; shift 2
  "$@" --data-dir "$dir" --listen-client-urls "http://$PERF_ENDPOINT" --advertise-client-urls "http://$PERF_ENDPOINT" \
    --listen-peer-urls http://127.0.0.1:32380 >"$log" 2>&1 &
  PERF_PID=$!
  for _ in $(seq 100); do etcdctl --endpoints "$PERF_ENDPOINT" endpoint health >/dev/null 2>&1 && return; sleep 0.1; done
}

# perf_thread_ticks PID: "TID utime+stime" per thread (clock ticks), sorted for join.
perf_thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do echo "$(basename "$t") $(awk '{print $14+$15}' "$t"/stat)"; done | sort
}
