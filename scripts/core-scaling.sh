#!/usr/bin/env bash
# scripts/core-scaling.sh [rounds]: what a member gains from a second core. etcd's benchmark
# (BENCHMARK, default ../shared/perf/etcd-benchmark beside the checkout) is pinned to cpu 0;
# each server (real etcd at /usr/bin/etcd, then etcd-ts from this checkout) runs on cpu 1,
# then on cpus 0-1, fresh each time, on ports 32379/32380. Workloads: put 256 B 256/16 ×40k
# and serializable Range of one key 256/16 ×60k, after a short warm-up of each. Prints req/s,
# server CPU µs per request and, for etcd-ts, the share of the member's CPU on its main
# thread (the core); the rest ran on edge threads and V8's helpers.
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/perf-lib.sh"
B="taskset -c 0 timeout 120 $(perf_bench) --endpoints $PERF_ENDPOINT"
for round in $(seq 1 "${1:-2}"); do
  for srv in etcd etcd-ts; do
    for cpus in 1 0,1; do
      d=$(mktemp -d /var/tmp/scaling-XXXX)
      if [ $srv = etcd ]; then cmd=/usr/bin/etcd; else cmd="node $here/dist/src/cli/etcd.js"; fi
      # shellcheck disable=SC2086
      perf_member $d/e $d/log taskset -c $cpus $cmd; p=$PERF_PID
      etcdctl --endpoints $PERF_ENDPOINT put rangekey "$(head -c 256 /dev/zero | tr '\0' v)" >/dev/null
      $B --clients 16 --conns 4 put --total 5000 --key-size 8 --sequential-keys --val-size 256 >/dev/null 2>&1
      $B --clients 16 --conns 4 range rangekey --consistency s --total 5000 >/dev/null 2>&1
      for w in put range; do
        a=$(perf_thread_ticks $p)
        if [ $w = put ]; then
          n=40000
          r=$($B --clients 256 --conns 16 put --total $n --key-size 8 --sequential-keys --key-space-size 100000 --val-size 256 2>&1 | awk '/Requests\/sec/{printf "%.0f",$2}')
        else
          n=60000
          r=$($B --clients 256 --conns 16 range rangekey --consistency s --total $n 2>&1 | awk '/Requests\/sec/{printf "%.0f",$2}')
        fi
        b=$(perf_thread_ticks $p)
        share=$(join <(echo "$a") <(echo "$b") | awk -v P=$p '{d=$3-$2; t+=d; if ($1==P) m=d} END{printf "%.0f%%", (t>0?100*m/t:0)}')
        srv_us=$(join <(echo "$a") <(echo "$b") | awk -v N=$n -v HZ="$(getconf CLK_TCK)" '{t+=$3-$2} END{printf "%.1f", t*1e6/HZ/N}')
        [ $srv = etcd ] && share=-
        echo "round=$round $srv cpus=$cpus $w req/s=$r srv_us=$srv_us core_share=$share"
      done
      kill $p; wait $p 2>/dev/null; rm -rf $d
    done
  done
done
