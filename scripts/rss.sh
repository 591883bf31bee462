#!/usr/bin/env bash
# scripts/rss.sh "<server command>" [label]: a member's memory after a fixed run, beside
# its CPU and throughput. A fresh single member (anything taking etcd's flags: etcd-ts or
# /usr/bin/etcd) on ports 32379/32380, then etcd's benchmark (BENCHMARK, default
# ../shared/perf/etcd-benchmark beside the checkout, else etcd-benchmark on PATH): put 256 B 256/16 ×40k, range 256/16 ×40k, watch
# fan-out (10 streams × 10 watchers, 2000 puts); then put 1/1 ×2000 for its p50, after the
# memory figures are read. Prints req/s per phase, RSS/RssAnon/RssFile in MiB idle (1 s
# after ready), at the end and 5 s later, server CPU ms of the run and the busiest threads'.
# EXTRA_ENV adds variables to the server's environment (e.g. "MALLOC_ARENA_MAX=2").
# Compare sides measured in one sitting, alternating which goes first. thr= lists the main
# thread's CPU ms (etcd-ts: the core) and then the four busiest other threads'.
source "$(dirname "$0")/perf-lib.sh"
d=$(mktemp -d /var/tmp/rss-XXXX)
# shellcheck disable=SC2086
perf_member $d/e $d/log env $EXTRA_ENV nice -n 5 $1; p=$PERF_PID
sleep 1
st() { awk '/^VmRSS/{r=int($2/1024)} /^RssAnon/{a=int($2/1024)} /^RssFile/{f=int($2/1024)} END{printf "%d/%d/%d", r,a,f}' /proc/$p/status; }
idle=$(st)
B="timeout 120 nice -n 5 $(perf_bench)"
a=$(awk '{print $14+$15}' /proc/$p/stat)
ta=$(perf_thread_ticks $p)
pr=$($B --endpoints $PERF_ENDPOINT --clients 256 --conns 16 put --total 40000 --key-size 8 --sequential-keys --val-size 256 2>/dev/null | awk '/Requests\/sec/{printf "%.0f",$2}')
rr=$($B --endpoints $PERF_ENDPOINT --clients 256 --conns 16 range foo --total 40000 2>/dev/null | awk '/Requests\/sec/{printf "%.0f",$2}')
wr=$($B --endpoints $PERF_ENDPOINT --clients 16 --conns 4 watch --streams 10 --watch-per-stream 10 --watched-key-total 1 --put-total 2000 --put-rate 1000000 2>/dev/null | grep "Requests/sec" | tail -1 | awk '{printf "%.0f",$2}')
b=$(awk '{print $14+$15}' /proc/$p/stat)
end=$(st)
tb=$(perf_thread_ticks $p)
thr=$(join <(echo "$ta") <(echo "$tb") | awk -v P=$p '{d=($3-$2)*10; if($1==P) print 999999999, d; else print d}' | sort -rn | head -5 | awk 'NR==1{printf "main=%d", $2; next}{printf ",%d", $1}')
sleep 5; end5=$(st)
p50=$($B --endpoints $PERF_ENDPOINT --clients 1 --conns 1 put --total 2000 --key-size 8 --sequential-keys --val-size 256 2>/dev/null | awk '/50% in/{printf "%.2f", $3*1000}')
echo "${2:-run} put=$pr range=$rr watch=$wr idle(rss/anon/file)=$idle end=$end end+5s=$end5 cpu=$(( (b-a)*10 ))ms thr=$thr put11_p50=${p50}ms"
kill $p; wait $p 2>/dev/null; rm -rf $d
