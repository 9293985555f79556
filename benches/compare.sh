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
#   benches/compare.sh --cores         # past one core (~6 min): echo and HTTP on 2 cores,
#                                      # wakeful --cores 2 beside tokio's two ways
#   CONNS="10 100 1000 10000" ROUNDS=5 benches/compare.sh --echo
#                                      # TCP ping-pong rows only, at these connection
#                                      # counts (syscalls per request by name included)
#   SATURATE=both CONNS="10 100 1000 10000" ROUNDS=5 SECS=3 benches/compare.sh --echo
#                                      # the same, each run closed loop and again with a
#                                      # CPU hog beside the server (SATURATE=1: hog only)
#   BASELINE=/tmp/echo-old CONNS=1000 benches/compare.sh --echo
#                                      # also an older build of examples/echo, as a
#                                      # third server ("baseline") in every round

#   benches/compare.sh --memory        # the memory rows only (~1 min): server RSS with
#                                      # 1000 connections, idle and after one echo round
#
# Each server runs pinned to CPU 0 and the load generator to CPU 1 (taskset); servers
# alternate run by run, so both see the same machine. For every run it records the
# load tool's requests/s and latency, the server's CPU time per request (user + sys
# from /proc/PID/stat over the run), and its syscalls per request (perf's
# raw_syscalls:sys_enter tracepoint, attached to the server: unlike strace, it does not
# slow the server down), in total and by name (epoll_wait, recv, send, epoll_ctl,
# other: the syscalls:sys_enter_* tracepoints). Prints medians and the wakeful/tokio
# ratio.
#
# What a closed loop measures of epoll_wait: every request costs one recv and one send
# in both servers, so the difference is how many events each wait returns, and that
# depends on who is faster. On a quiet machine the server keeps up with the load
# generator: it answers what is ready, finds nothing more and blocks, and how often it
# does depends on the two processes' speeds at that moment, not on the runtime's rule
# (the figure swings 2-70x between rounds). SATURATE=1 makes the server fall behind the
# same way for both: a busy loop (a shell `while :`, same nice, started and ended by its
# PID) pinned to the server's CPU takes about half of it in scheduler slices, and the
# requests that arrive while the hog runs are all ready when the server runs again, so
# every runtime works in batches. Chosen over a load generator with more requests in
# flight per connection (--depth): with depth > 1 one recv reads several requests and
# the per-request count of recv and send changes too, which is not what is compared.
# SATURATE=both runs each configuration in both regimes in the same round. Measured
# (BENCHMARKS.md, "Two regimes"): this keeps batches large at 1 000 connections and
# up, but not at 10 or 100, where the server, woken by the first reply after each
# park, preempts the hog and answers it alone.
# Each wait's return value (events) is counted into buckets (0, 1, 2-3, 4-7, ...,
# 512+) by tracepoint filters on syscalls:sys_exit_epoll_wait (and its pwait kin):
# counted in the kernel like the rest, so the batch size is shown, not inferred.
set -euo pipefail
cd "$(dirname "$0")/.."
# 10 000 connections take 10 000 fds in the server and as many in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ROUNDS=${ROUNDS:-3}
# The echo runs' regimes: see the top.
case ${SATURATE:-0} in
  0) REGIMES=closed ;;
  1) REGIMES=saturated ;;
  both) REGIMES="closed saturated" ;;
  *) echo "SATURATE: 0, 1 or both" >&2; exit 1 ;;
esac
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
        : >"$OUT/server.log" # (see run_one)
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

# What the current run_one started (server, CPU hog, perf), ended on any exit: a load
# generator that fails (the server died) ends the script here under `set -e`, and
# Ctrl-C reaches only the foreground job, since background jobs ignore SIGINT. Left
# behind, the hog would spin on CPU 0 for good.
RUN_PIDS=""
end_run() {
  local p
  for p in $RUN_PIDS; do
    # perf's `sleep` child first: perf ended alone leaves it for an hour.
    kill $(pgrep -P "$p" || true) "$p" 2>/dev/null || true
  done
  RUN_PIDS=""
}
trap end_run EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

if [ "${1:-}" = "--kv" ]; then
  kv_rows
  exit 0
fi

# Past one core (`--cores`): servers on 2 cores, side by side, CORES_ROUNDS rounds
# (default 5), the order of the servers rotating round by round:
#   wakeful-cores   examples/echo --cores 2 (examples/http --cores 2): one runtime per
#                   core, a SO_REUSEPORT listener each;
#   tokio-mt        benches/tokio_echo --multi-thread 2 (tokio_http): tokio's
#                   work-stealing runtime, 2 workers, one listener;
#   tokio-reuseport two tokio_echo --reuseport processes (current-thread) on one port.
# Nothing is pinned: the servers may use both CPUs, and so does the load tool (loadgen,
# one thread; wrk -t1 for HTTP, if installed). Records requests/s, p99, and the server
# CPU per request (user + sys of every server process, /proc/PID/stat, over the run).
cores_rows() {
  cargo build --release --quiet --example echo --example http --example tokio_echo --example tokio_http --example loadgen
  local bin=target/release/examples rounds=${CORES_ROUNDS:-5} secs=${SECS:-5} warmup=${WARMUP:-1} ticks
  ticks=$(getconf CLK_TCK)
  local csv="$OUT/cores.csv"
  echo "bench,server,round,rps,p99_us,cpu_us_per_req,cpu_percent" >"$csv"
  cat <<'NOTE'
Past one core, on this 2-CPU machine: the load tool runs on the same 2 CPUs as the
servers, so no server can have 2 CPUs to itself. These rows show what each way of
using 2 cores costs per request (server CPU per request) and that connections spread
over both runtimes; they cannot show 2-core throughput scaling, which needs the load
generated elsewhere (or at least on CPUs of its own).
NOTE
  # start_cores_server KIND NAME -> PIDS (space-separated) and ADDR
  start_cores_server() {
    local kind=$1 name=$2 log="$OUT/cores-server.log" tokio_bin=tokio_echo wakeful_bin=echo
    [ "$kind" = http ] && { tokio_bin=tokio_http; wakeful_bin=http; }
    PIDS="" ADDR=""
    case $name in
      wakeful-cores) "$bin/$wakeful_bin" --addr 127.0.0.1:0 --cores 2 >"$log" 2>&1 & PIDS=$! ;;
      tokio-mt) "$bin/$tokio_bin" --multi-thread 2 --addr 127.0.0.1:0 >"$log" 2>&1 & PIDS=$! ;;
      tokio-reuseport) "$bin/$tokio_bin" --reuseport --addr 127.0.0.1:0 >"$log" 2>&1 & PIDS=$! ;;
    esac
    for _ in $(seq 200); do
      ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
      [ -n "$ADDR" ] && break
      sleep 0.05
    done
    [ -n "$ADDR" ] || { echo "server $name ($kind) did not start" >&2; kill $PIDS; exit 1; }
    if [ "$name" = tokio-reuseport ]; then
      # The second process on the port the first one got.
      "$bin/$tokio_bin" --reuseport --addr "$ADDR" >"$log.2" 2>&1 &
      PIDS="$PIDS $!"
      for _ in $(seq 200); do grep -q "listening on" "$log.2" && break; sleep 0.05; done
      grep -q "listening on" "$log.2" || { echo "second $tokio_bin did not start" >&2; kill $PIDS; exit 1; }
    fi
  }
  sum_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
  # cores_run KIND LABEL NAME ROUND: one measured run, appended to the CSV.
  cores_run() {
    local kind=$1 label=$2 name=$3 round=$4 before after out rps p99 total
    start_cores_server "$kind" "$name"
    # shellcheck disable=SC2086
    before=$(sum_ticks $PIDS)
    if [ "$kind" = echo ]; then
      IFS=: read -r conns depth <<<"$label"
      out=$("$bin/loadgen" --addr "$ADDR" --conns "$conns" --depth "$depth" --size 64 --secs "$secs" --warmup "$warmup" | tail -1)
      rps=$(echo "$out" | tr ' ' '\n' | sed -n 's/^rps=//p')
      p99=$(echo "$out" | tr ' ' '\n' | sed -n 's/^p99_us=//p')
      total=$(echo "$out" | tr ' ' '\n' | sed -n 's/^total=//p')
    else
      out=$(wrk -t1 -c100 -d"${secs}s" --latency "http://$ADDR/")
      rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
      p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /ms$/) v = v * 1000; else if (v ~ /us$/) v = v + 0; else if (v ~ /s$/) v = v * 1e6; print v }')
      total=$(echo "$out" | awk '/requests in/ { print $1 }')
    fi
    # shellcheck disable=SC2086
    after=$(sum_ticks $PIDS)
    # shellcheck disable=SC2086
    kill $PIDS; for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    local run_secs=$secs; [ "$kind" = echo ] && run_secs=$(awk -v a="$secs" -v b="$warmup" 'BEGIN { print a + b }')
    local cpu_us cpu_pct
    cpu_us=$(awk -v t="$((after - before))" -v hz="$ticks" -v n="$total" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
    cpu_pct=$(awk -v t="$((after - before))" -v hz="$ticks" -v s="$run_secs" 'BEGIN { printf "%.0f", t / hz / s * 100 }')
    echo "$kind $label,$name,$round,$rps,$p99,$cpu_us,$cpu_pct" >>"$csv"
    printf '  %-14s %-16s round %s: rps=%-9s p99=%-7sus cpu/req=%sus server CPU=%s%%\n' \
      "$kind $label" "$name" "$round" "$rps" "$p99" "$cpu_us" "$cpu_pct"
  }
  local benches="echo:${CORES_CONNS:-100}:1 echo:${CORES_CONNS:-100}:16"
  if command -v wrk >/dev/null; then benches="$benches http:100"; else
    echo "http rows skipped: wrk is not installed (apt-get install wrk)"; fi
  local servers=(wakeful-cores tokio-mt tokio-reuseport)
  for bench in $benches; do
    local kind=${bench%%:*} label=${bench#*:}
    for round in $(seq "$rounds"); do
      for i in 0 1 2; do
        cores_run "$kind" "$label" "${servers[$(((round + i) % 3))]}" "$round"
      done
    done
  done
  # Medians and min–max per bench and server; ratios of the medians to wakeful-cores.
  python3 - "$csv" <<'PY' | tee "$OUT/cores.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| bench | server | req/s median [min–max] | p99 µs median | server CPU µs/req median [min–max] | CPU/req ÷ wakeful | server CPU % |")
print("|---|---|---|---:|---|---:|---:|")
for bench in dict.fromkeys(r["bench"] for r in rows):
    base = None
    for server in ("wakeful-cores", "tokio-mt", "tokio-reuseport"):
        sel = [r for r in rows if r["bench"] == bench and r["server"] == server]
        if not sel:
            continue
        col = lambda k: [float(r[k]) for r in sel]
        rps, cpu = col("rps"), col("cpu_us_per_req")
        med_cpu = statistics.median(cpu)
        base = base or med_cpu
        print(f"| {bench} | {server} | {statistics.median(rps):,.0f} [{min(rps):,.0f}–{max(rps):,.0f}] | "
              f"{statistics.median(col('p99_us')):,.0f} | {med_cpu:.2f} [{min(cpu):.2f}–{max(cpu):.2f}] | "
              f"{med_cpu / base:.2f} | {statistics.median(col('cpu_percent')):.0f} |")
PY
}

if [ "${1:-}" = "--cores" ]; then
  cores_rows
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
      # The servers never exit by themselves: stop this one even when the measure fails.
      row=$(taskset -c 1 python3 benches/conn_memory.py --pid "$pid" --addr "$addr" --conns "$conns") ||
        { kill "$pid"; wait "$pid" 2>/dev/null || true; exit 1; }
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
# Only the tracepoints this kernel and perf accept: one unknown name (no
# sys_enter_epoll_pwait2 before Linux 5.11) fails the whole `perf stat`.
if [ -n "$PERF" ] && ! perf stat -x, -e raw_syscalls:sys_enter -o /dev/null -- true 2>/dev/null; then
  echo "syscall counts skipped: perf cannot count raw_syscalls:sys_enter here" >&2
  PERF=""
fi
BY_NAME=""
for call in epoll_wait epoll_pwait epoll_pwait2 recvfrom recvmsg read sendto sendmsg write epoll_ctl; do
  [ -z "$PERF" ] || perf stat -x, -e "syscalls:sys_enter_$call" -o /dev/null -- true 2>/dev/null || continue
  BY_NAME="$BY_NAME,syscalls:sys_enter_$call"
done
# Events per wait: one counter per bucket of the return value and per wait flavour,
# each `-e` with its `--filter` (perf applies a filter to the event before it).
WAIT_BUCKETS="0:0 1:1 2:3 4:7 8:15 16:31 32:63 64:127 128:255 256:511 512:1000000000"
WAIT_EVENTS=()
for call in epoll_wait epoll_pwait epoll_pwait2; do
  [ -n "$PERF" ] || break
  perf stat -x, -e "syscalls:sys_exit_$call" -o /dev/null -- true 2>/dev/null || continue
  for bucket in $WAIT_BUCKETS; do
    WAIT_EVENTS+=(-e "syscalls:sys_exit_$call" --filter "ret >= ${bucket%:*} && ret <= ${bucket#*:}")
  done
done
# Non-blocking waits (a turn with a zero timeout), to tell them from blocking ones:
# epoll_wait's timeout is a number; epoll_pwait2's a pointer, which no filter reads
# (wakeful uses epoll_pwait2 only for a wait bounded by a timer, none in an echo run).
NONBLOCKING_EVENTS=()
for call in epoll_wait epoll_pwait; do
  [ -n "$PERF" ] || break
  perf stat -x, -e "syscalls:sys_enter_$call" -o /dev/null -- true 2>/dev/null || continue
  NONBLOCKING_EVENTS+=(-e "syscalls:sys_enter_$call" --filter "timeout == 0")
done

# server_cmd NAME PROTO -> the command line of that server on port 0
server_cmd() {
  case "$1/$2" in
    wakeful/tcp) echo "$BIN/echo --addr 127.0.0.1:0" ;;
    wakeful/udp) echo "$BIN/udp_server --echo --addr 127.0.0.1:0" ;;
    tokio/tcp) echo "$BIN/tokio_echo --addr 127.0.0.1:0" ;;
    tokio/udp) echo "$BIN/tokio_echo --udp --addr 127.0.0.1:0" ;;
    baseline/tcp) echo "$BASELINE --addr 127.0.0.1:0" ;;
  esac
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_one NAME PROTO CONNS DEPTH SIZE REGIME -> appends a CSV line. REGIME: closed (the
# load generator alone) or saturated (a CPU hog beside the server: see the top).
run_one() {
  local name=$1 proto=$2 conns=$3 depth=$4 size=$5 regime=${6:-closed}
  local log="$OUT/server.log"
  # Emptied here, not only by the redirection below: that one runs in the background
  # job, and on a busy machine the wait loop could read the previous server's address.
  : >"$log"
  # shellcheck disable=SC2046
  taskset -c 0 $(server_cmd "$name" "$proto") >"$log" 2>&1 &
  local pid=$!
  RUN_PIDS=$pid
  local addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "server $name/$proto did not start" >&2; kill "$pid"; exit 1; }
  local udp_flag=""; [ "$proto" = udp ] && udp_flag="--udp"
  local hog=""
  if [ "$regime" = saturated ]; then
    taskset -c 0 sh -c 'while :; do :; done' &
    hog=$! # taskset execs the shell: this PID is the loop itself
    RUN_PIDS="$RUN_PIDS $hog"
  fi
  local before; before=$(cpu_ticks "$pid")
  local perf_out="$OUT/perf.txt"
  # Removed first: a perf that fails leaves the file alone, and the previous run's
  # counts must not be read as this run's.
  rm -f "$perf_out"
  if [ -n "$PERF" ]; then
    # Attached for as long as the load generator runs, connecting included (its
    # `total` counts from the first request): perf stops when its `sleep` is ended
    # below (a background job cannot take SIGINT). A fixed-length sleep missed the
    # end of runs whose thousands of connections took long to set up.
    perf stat -x, -e "raw_syscalls:sys_enter$BY_NAME" "${WAIT_EVENTS[@]}" "${NONBLOCKING_EVENTS[@]}" -p "$pid" -o "$perf_out" -- sleep 3600 &
    local perf_pid=$!
    RUN_PIDS="$RUN_PIDS $perf_pid"
    sleep 0.2 # attached before the first connection
  fi
  local result
  result=$(taskset -c 1 "$BIN/loadgen" $udp_flag --addr "$addr" --conns "$conns" --depth "$depth" \
    --size "$size" --secs "$SECS" --warmup "$WARMUP" | tail -1)
  local after; after=$(cpu_ticks "$pid")
  [ -z "$hog" ] || { kill "$hog"; wait "$hog" 2>/dev/null || true; }
  local syscalls="" by_name=",,,," hist="" nonblocking=""
  if [ -n "$PERF" ]; then
    local sleeper; sleeper=$(pgrep -P "$perf_pid" || true) # perf's own child
    [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true # perf then reports
    wait "$perf_pid" 2>/dev/null || true
    syscalls=$(awk -F, '/raw_syscalls/ && $1 ~ /^[0-9]+$/ {print $1}' "$perf_out" 2>/dev/null || true)
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  RUN_PIDS=""
  local field; field() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  local total; total=$(field total)
  local cpu_us; cpu_us=$(awk -v t="$((after - before))" -v hz="$TICKS" -v n="$total" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
  local per_req=""
  if [ -n "$syscalls" ]; then
    per_req=$(awk -v s="$syscalls" -v n="$total" 'BEGIN { printf "%.3f", s / n }')
    # Per request, by name: epoll_wait (any flavour), recv, send, epoll_ctl, other.
    by_name=$(awk -F, -v n="$total" -v all="$syscalls" '
      seen[$3]++ { next } # a filtered copy of an event counted already (see above)
      /sys_enter_epoll_(p?wait|pwait2),/ { c["wait"] += $1 }
      /sys_enter_(recvfrom|recvmsg|read),/ { c["recv"] += $1 }
      /sys_enter_(sendto|sendmsg|write),/ { c["send"] += $1 }
      /sys_enter_epoll_ctl,/ { c["ctl"] += $1 }
      END { other = all - c["wait"] - c["recv"] - c["send"] - c["ctl"]
            printf "%.4f,%.4f,%.4f,%.4f,%.4f", c["wait"] / n, c["recv"] / n, c["send"] / n, c["ctl"] / n, other / n }' "$perf_out")
    # Waits by events returned: the sys_exit lines, in WAIT_BUCKETS order per flavour.
    hist=$(awk -F, -v k="$(echo "$WAIT_BUCKETS" | wc -w)" '
      /sys_exit_epoll_/ { b = i++ % k; c[b] += ($1 ~ /^[0-9]+$/) ? $1 : 0 }
      END { for (b = 0; b < k; b++) printf "%s%d", (b ? "/" : ""), c[b] }' "$perf_out")
    # The filtered sys_enter lines come after the unfiltered ones of BY_NAME: each call
    # name's second line.
    nonblocking=$(awk -F, -v n="$total" '/sys_enter_epoll_(p?wait),/ { if (seen[$3]++) c += $1 }
      END { printf "%.4f", c / n }' "$perf_out")
  fi
  echo "$proto,$conns,$depth,$size,$name,$(field rps),$(field p50_us),$(field p99_us),$cpu_us,$per_req,$by_name,$regime,$hist,$nonblocking" >>"$CSV"
  printf '  %-8s %-4s conns=%-5s depth=%-3s %-9s rps=%-8s p99=%-6sus cpu/req=%sus syscalls/req=%s (wait,recv,send,ctl,other: %s) waits by events (0/1/2-3/4-7/...): %s, non-blocking waits/req=%s\n' \
    "$name" "$proto" "$conns" "$depth" "$regime" "$(field rps)" "$(field p99_us)" "$cpu_us" "$per_req" "$by_name" "$hist" "$nonblocking"
}

# epoll_wait per request by regime, connections and server: median [min-max] over the
# rounds, the wakeful/tokio ratio of the medians, and the events per wait (the median
# run's bucket holding the middle wait, and the share of waits that returned 0 or 1).
wait_table() {
  python3 - "$1" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["proto"] == "tcp" and r.get("waits_by_events")]
labels = ["0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128-255", "256-511", "512+"]
def middle_bucket(hist):
    counts = [int(c) for c in hist.split("/")]
    half, seen = sum(counts) / 2, 0
    for label, count in zip(labels, counts):
        seen += count
        if seen >= half:
            return label
    return "-"
def low_share(hist):
    counts = [int(c) for c in hist.split("/")]
    return (counts[0] + counts[1]) / max(1, sum(counts))
print("| regime | conns | server | epoll_wait/req median [min–max] | ÷ tokio | events per wait: median bucket | waits returning 0–1 | non-blocking waits/req |")
print("|---|---:|---|---|---:|---|---:|---:|")
for regime in dict.fromkeys(r["regime"] for r in rows):
    for conns in dict.fromkeys(r["conns"] for r in rows if r["regime"] == regime):
        med = {}
        for server in ("wakeful", "tokio", "baseline"):
            sel = [r for r in rows if (r["regime"], r["conns"], r["server"]) == (regime, conns, server)]
            if sel:
                med[server] = (sel, statistics.median(float(r["epoll_wait_per_req"]) for r in sel))
        for server, (sel, m) in med.items():
            waits = sorted(float(r["epoll_wait_per_req"]) for r in sel)
            # The run whose epoll_wait per request is the median's (the lower middle one).
            mid = sorted(sel, key=lambda r: float(r["epoll_wait_per_req"]))[(len(sel) - 1) // 2]
            ratio = m / med["tokio"][1] if "tokio" in med and med["tokio"][1] else float("nan")
            print(f"| {regime} | {conns} | {server} | {m:.3f} [{waits[0]:.3f}–{waits[-1]:.3f}] | {ratio:.2f} | "
                  f"{middle_bucket(mid['waits_by_events'])} | {statistics.median(low_share(r['waits_by_events']) for r in sel):.0%} | "
                  f"{statistics.median(float(r.get('nonblocking_waits_per_req') or 'nan') for r in sel):.4f} |")
PY
}

echo "proto,conns,depth,size,server,rps,p50_us,p99_us,cpu_us_per_req,syscalls_per_req,epoll_wait_per_req,recv_per_req,send_per_req,epoll_ctl_per_req,other_per_req,regime,waits_by_events,nonblocking_waits_per_req" >"$CSV"
CONFIGS=${CONFIGS:-"tcp:1:1 tcp:10:1 tcp:100:1 tcp:1000:1 tcp:10000:1 tcp:100:16 udp:1:1 udp:10:1 udp:100:1"}
# CONNS="10 100 1000": TCP ping-pong (depth 1) at these connection counts instead.
if [ -n "${CONNS:-}" ]; then
  CONFIGS=""
  for conns in $CONNS; do CONFIGS="$CONFIGS tcp:$conns:1"; done
fi
for config in $CONFIGS; do
  IFS=: read -r proto conns depth <<<"$config"
  for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="wakeful tokio"; else order="tokio wakeful"; fi
    [ -n "${BASELINE:-}" ] && [ "$proto" = tcp ] && order="baseline $order"
    for regime in $REGIMES; do
      for name in $order; do run_one "$name" "$proto" "$conns" "$depth" 64 "$regime"; done
    done
  done
done
if [ "${1:-}" = "--echo" ]; then
  python3 benches/report.py --syscalls "$CSV" | tee "$OUT/syscalls.md"
  wait_table "$CSV" | tee "$OUT/waits.md"
  exit 0
fi

# Memory per idle connection: the server's resident set before and with 10 000 idle
# connections (which the server has accepted, each with its task and 4 KiB buffer).
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "server,idle_conns,rss_before_kib,rss_after_kib,bytes_per_conn" >"$OUT/memory.csv"
for name in wakeful tokio; do
  : >"$OUT/server.log" # (see run_one)
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
    : >"$OUT/server.log" # (see run_one)
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
