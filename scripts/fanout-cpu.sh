#!/usr/bin/env bash
# scripts/fanout-cpu.sh <label> <server command...>: etcd's watch fan-out benchmark (10 streams
# × 10 watchers of one key, PUTS puts from 16 clients, default 4000) against a fresh member
# on ports 32379/32380, after one untimed run of the same (WARM=0 skips it). Prints events/s,
# the server's CPU ms in all, on its main thread (for etcd-ts: the core) and on each other
# busy thread. BENCHMARK as in rss.sh.
label=$1; shift
source "$(dirname "$0")/perf-lib.sh"
B="timeout 120 $(perf_bench) --endpoints $PERF_ENDPOINT --clients 16 --conns 4 watch --streams 10 --watch-per-stream 10 --watched-key-total 1 --put-total ${PUTS:-4000} --put-rate 1000000"
d=$(mktemp -d /var/tmp/fanout-XXXX)
perf_member $d/e $d/log "$@"; pid=$PERF_PID
[ "${WARM:-1}" = 1 ] && $B >/dev/null 2>&1
a=$(perf_thread_ticks $pid)
r=$($B 2>&1 | grep Requests/sec | tail -1 | awk '{printf "%.0f", $2}')
b=$(perf_thread_ticks $pid)
hz=$(getconf CLK_TCK)
echo "$label events/s=$r $(join <(echo "$a") <(echo "$b") | awk -v P=$pid -v HZ=$hz '{d=($3-$2)*1000/HZ; t+=d; if ($1==P) m=d; else if (d>0) o=o " " d} END{printf "server=%dms main=%d others:%s", t, m, o}')"
kill -TERM $pid; wait $pid 2>/dev/null; rm -rf $d
