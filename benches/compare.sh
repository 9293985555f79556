#!/usr/bin/env bash
# Echo servers side by side: wakeful (examples/echo.rs, examples/udp_server.rs) and
# tokio current-thread (benches/tokio_echo.rs), driven by benches/loadgen.rs.
#
#   benches/compare.sh --all           # everything in BENCHMARKS.md (~20 min): criterion
#                                      # suites, timer report, echo runs, tables, charts
#   benches/compare.sh                 # the echo runs only (~8 min)
#   ROUNDS=1 SECS=2 benches/compare.sh # a quick look
#   benches/compare.sh --kv            # the kv rows only (~3 min): examples/kv and
#                                      # benches/tokio_kv under redis-benchmark
#   benches/compare.sh --memory        # the memory rows only (~1 min): server RSS with
#                                      # 1000 connections, idle and after one echo round
#
# Each server runs pinned to CPU 0 and the load generator to CPU 1 (taskset); servers
# alternate run by run, so both see the same machine. For every run it records the
# load tool's requests/s and latency, the server's CPU time per request (user + sys
# from /proc/PID/stat over the run), and its syscalls per request (perf's
# raw_syscalls:sys_enter tracepoint, attached to the server: unlike strace, it does not
# slow the server down). Prints medians and the wakeful/tokio ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
WARMUP=${WARMUP:-1}
OUT=target/compare
mkdir -p "$OUT"
CSV=${CSV:-$OUT/results.csv}

if [ "${1:-}" = "--all" ]; then
  # criterion suites (executor, timers with its lateness report, net), each beside tokio.
  cargo bench --bench executor --bench net 2>&1 | grep -vE '^(Benchmarking|Gnuplot|Found)' | tee "$OUT/criterion.txt"
  cargo bench --bench timers 2>&1 | grep -vE '^(Benchmarking|Gnuplot|Found)' | tee "$OUT/timers.txt"
fi

# The Redis-protocol servers (examples/kv, benches/tokio_kv) under redis-benchmark
# (redis-tools): `-t set,get -n KV_N -c 50`, plain and pipelined (`-P 16`, KV_N * 5
# requests), KV_ROUNDS rounds alternating the servers, pinned as the echo runs are.
# Records requests/s per test and the server's CPU time per request over both tests.
kv_rows() {
  command -v redis-benchmark >/dev/null || { echo "kv rows skipped: no redis-benchmark (apt-get install redis-tools)"; return 0; }
  cargo build --release --quiet --example kv --example tokio_kv
  local bin=target/release/examples rounds=${KV_ROUNDS:-5} n=${KV_N:-20000} ticks
  ticks=$(getconf CLK_TCK)
  local csv="$OUT/kv.csv"
  echo "server,pipeline,round,set_rps,get_rps,cpu_us_per_req" >"$csv"
  for pipeline in 1 16; do
    local requests=$n; [ "$pipeline" = 1 ] || requests=$((n * 5))
    for round in $(seq "$rounds"); do
      if [ $((round % 2)) = 1 ]; then order="kv tokio_kv"; else order="tokio_kv kv"; fi
      for name in $order; do
        taskset -c 0 "$bin/$name" --addr 127.0.0.1:0 --max-conns 1000 >"$OUT/server.log" 2>&1 &
        local pid=$! addr=""
        for _ in $(seq 100); do
          addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$OUT/server.log" | head -1)
          [ -n "$addr" ] && break
          sleep 0.05
        done
        [ -n "$addr" ] || { echo "server $name did not start" >&2; kill "$pid"; exit 1; }
        local before after out
        before=$(cpu_ticks "$pid")
        out=$(taskset -c 1 redis-benchmark -h "${addr%:*}" -p "${addr##*:}" -t set,get -n "$requests" -c 50 \
          -P "$pipeline" -q 2>/dev/null | tr '\r' '\n' | grep 'requests per second')
        after=$(cpu_ticks "$pid")
        kill -INT "$pid"; wait "$pid" 2>/dev/null || true
        local set_rps get_rps cpu_us
        set_rps=$(echo "$out" | sed -n 's/^SET: \([0-9.]*\) requests.*/\1/p')
        get_rps=$(echo "$out" | sed -n 's/^GET: \([0-9.]*\) requests.*/\1/p')
        cpu_us=$(awk -v t="$((after - before))" -v hz="$ticks" -v n="$((requests * 2))" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
        echo "$name,$pipeline,$round,$set_rps,$get_rps,$cpu_us" >>"$csv"
        printf '  %-8s -P %-3s set=%-9s get=%-9s cpu/req=%sus\n' "$name" "$pipeline" "$set_rps" "$get_rps" "$cpu_us"
      done
    done
  done
  # Medians per server and pipeline depth.
  echo "| server | pipeline | SET req/s | GET req/s | server CPU per request |" | tee "$OUT/kv.md"
  echo "|---|---|---|---|---|" | tee -a "$OUT/kv.md"
  for pipeline in 1 16; do
    for name in kv tokio_kv; do
      local row=""
      for col in 4 5 6; do
        row="$row | $(awk -F, -v s="$name" -v p="$pipeline" -v c="$col" '$1 == s && $2 == p { print $c }' "$csv" | sort -g |
          awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
      done
      echo "| $name | $pipeline$row µs |" | tee -a "$OUT/kv.md"
    done
  done
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

if [ "${1:-}" = "--kv" ]; then
  kv_rows
  exit 0
fi

# Memory per connection: the server's VmRSS with MEM_CONNS (1000) connections, idle and
# after one 64-byte echo round on each (benches/conn_memory.py), for the echo servers
# with a buffer per connection (examples/echo, benches/tokio_echo) and with one buffer
# shared by all (examples/echo_lean, benches/tokio_echo_lean), MEM_ROUNDS rounds
# alternating the servers, pinned as the echo runs are. Medians.
memory_rows() {
  cargo build --release --quiet --example echo --example echo_lean --example tokio_echo --example tokio_echo_lean
  local bin=target/release/examples rounds=${MEM_ROUNDS:-5} conns=${MEM_CONNS:-1000}
  local csv="$OUT/conn_memory.csv" servers="echo_lean tokio_echo_lean echo tokio_echo"
  echo "server,round,conns,rss_start_kib,rss_idle_kib,rss_after_round_kib,idle_bytes_per_conn,round_bytes_per_conn" >"$csv"
  for round in $(seq "$rounds"); do
    local order=$servers
    [ $((round % 2)) = 1 ] || order=$(echo "$servers" | tr ' ' '\n' | tac | tr '\n' ' ')
    for name in $order; do
      taskset -c 0 "$bin/$name" --addr 127.0.0.1:0 >"$OUT/server.log" 2>&1 &
      local pid=$! addr=""
      for _ in $(seq 100); do
        addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$OUT/server.log" | head -1)
        [ -n "$addr" ] && break
        sleep 0.05
      done
      [ -n "$addr" ] || { echo "server $name did not start" >&2; kill "$pid"; exit 1; }
      local row
      row=$(taskset -c 1 python3 benches/conn_memory.py --pid "$pid" --addr "$addr" --conns "$conns")
      kill "$pid"; wait "$pid" 2>/dev/null || true
      echo "$name,$round,$row" >>"$csv"
      printf '  %-16s round %s: %s\n' "$name" "$round" "$row"
    done
  done
  echo "| server | conns | RSS idle, KiB | RSS after one round, KiB | bytes per idle conn | bytes per conn after a round |" | tee "$OUT/conn_memory.md"
  echo "|---|---:|---:|---:|---:|---:|" | tee -a "$OUT/conn_memory.md"
  for name in $servers; do
    local row=""
    for col in 5 6 7 8; do
      row="$row | $(awk -F, -v s="$name" -v c="$col" '$1 == s { print $c }' "$csv" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
    done
    echo "| $name | $conns$row |" | tee -a "$OUT/conn_memory.md"
  done
}

if [ "${1:-}" = "--memory" ]; then
  memory_rows
  exit 0
fi

cargo build --release --quiet --example echo --example udp_server --example tokio_echo --example loadgen
BIN=target/release/examples
TICKS=$(getconf CLK_TCK)
PERF=$(command -v perf || true)

# server_cmd NAME PROTO -> the command line of that server on port 0
server_cmd() {
  case "$1/$2" in
    wakeful/tcp) echo "$BIN/echo --addr 127.0.0.1:0" ;;
    wakeful/udp) echo "$BIN/udp_server --echo --addr 127.0.0.1:0" ;;
    tokio/tcp) echo "$BIN/tokio_echo --addr 127.0.0.1:0" ;;
    tokio/udp) echo "$BIN/tokio_echo --udp --addr 127.0.0.1:0" ;;
  esac
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_one NAME PROTO CONNS DEPTH SIZE -> appends a CSV line
run_one() {
  local name=$1 proto=$2 conns=$3 depth=$4 size=$5
  local log="$OUT/server.log"
  # shellcheck disable=SC2046
  taskset -c 0 $(server_cmd "$name" "$proto") >"$log" 2>&1 &
  local pid=$!
  local addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "server $name/$proto did not start" >&2; kill "$pid"; exit 1; }
  local udp_flag=""; [ "$proto" = udp ] && udp_flag="--udp"
  local before; before=$(cpu_ticks "$pid")
  local perf_out="$OUT/perf.txt"
  if [ -n "$PERF" ]; then
    # Attached for as long as the load runs (a background job cannot take SIGINT).
    perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$perf_out" -- sleep "$(awk -v a="$SECS" -v b="$WARMUP" 'BEGIN { print a + b }')" &
    local perf_pid=$!
  fi
  local result
  result=$(taskset -c 1 "$BIN/loadgen" $udp_flag --addr "$addr" --conns "$conns" --depth "$depth" \
    --size "$size" --secs "$SECS" --warmup "$WARMUP" | tail -1)
  local after; after=$(cpu_ticks "$pid")
  local syscalls=""
  if [ -n "$PERF" ]; then
    wait "$perf_pid" 2>/dev/null || true
    syscalls=$(awk -F, '/raw_syscalls/ {print $1}' "$perf_out")
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local field; field() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  local total; total=$(field total)
  local cpu_us; cpu_us=$(awk -v t="$((after - before))" -v hz="$TICKS" -v n="$total" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
  local per_req=""
  [ -n "$syscalls" ] && per_req=$(awk -v s="$syscalls" -v n="$total" 'BEGIN { printf "%.3f", s / n }')
  echo "$proto,$conns,$depth,$size,$name,$(field rps),$(field p50_us),$(field p99_us),$cpu_us,$per_req" >>"$CSV"
  printf '  %-8s %-4s conns=%-5s depth=%-3s rps=%-8s p99=%-6sus cpu/req=%sus syscalls/req=%s\n' \
    "$name" "$proto" "$conns" "$depth" "$(field rps)" "$(field p99_us)" "$cpu_us" "$per_req"
}

echo "proto,conns,depth,size,server,rps,p50_us,p99_us,cpu_us_per_req,syscalls_per_req" >"$CSV"
CONFIGS=${CONFIGS:-"tcp:1:1 tcp:10:1 tcp:100:1 tcp:1000:1 tcp:10000:1 tcp:100:16 udp:1:1 udp:10:1 udp:100:1"}
for config in $CONFIGS; do
  IFS=: read -r proto conns depth <<<"$config"
  for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="wakeful tokio"; else order="tokio wakeful"; fi
    for name in $order; do run_one "$name" "$proto" "$conns" "$depth" 64; done
  done
done

# Memory per idle connection: the server's resident set before and with 10 000 idle
# connections (which the server has accepted, each with its task and 4 KiB buffer).
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "server,idle_conns,rss_before_kib,rss_after_kib,bytes_per_conn" >"$OUT/memory.csv"
for name in wakeful tokio; do
  # shellcheck disable=SC2046
  taskset -c 0 $(server_cmd "$name" tcp) >"$OUT/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$OUT/server.log" && break; sleep 0.05; done
  addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$OUT/server.log" | head -1)
  before=$(rss_kib "$pid")
  taskset -c 1 "$BIN/loadgen" --idle --addr "$addr" --conns 10000 --secs 3 >"$OUT/idle.log" &
  holder=$!
  for _ in $(seq 200); do grep -q connected "$OUT/idle.log" && break; sleep 0.05; done
  sleep 1 # the server accepts and polls the last connections
  after=$(rss_kib "$pid")
  wait "$holder"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$name,10000,$before,$after,$(( (after - before) * 1024 / 10000 ))" >>"$OUT/memory.csv"
  echo "  $name: $(( (after - before) * 1024 / 10000 )) bytes per idle connection"
done

# The HTTP examples under wrk (apt-get install wrk), if it is installed.
if command -v wrk >/dev/null; then
  cargo build --release --quiet --features hyper --example http --example hyper
  for name in http hyper; do
    taskset -c 0 "$BIN/$name" --addr 127.0.0.1:0 >"$OUT/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$OUT/server.log" && break; sleep 0.05; done
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$OUT/server.log" | head -1)
    echo "  $name under wrk -t1 -c100 -d${SECS}s:"
    taskset -c 1 wrk -t1 -c100 -d"${SECS}s" --latency "http://$addr/" | grep -E 'Requests/sec|^ +(50|99)%' | tee "$OUT/wrk-$name.txt"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
fi

kv_rows

python3 benches/report.py "$CSV" | tee "$OUT/report.md"
