#!/usr/bin/env bash
# Soak: wakeful under many connections, slow clients and clients that never read.
#
#   scripts/soak.sh --short   # CI's form: ~30 s once built
#   scripts/soak.sh           # the long form: bigger runs, AddressSanitizer, timer model
#
# 1. echo (benches/soak/echo.rs): CYCLES cycles of CONNS concurrent connections to an
#    in-process echo server, every byte checked; after each cycle the process's fds and
#    both runtimes' live tasks are back at baseline exactly, RSS within a stated slack.
# 2. slowloris (benches/soak/slowloris.rs) against examples/http with 2 s deadlines:
#    LORIS clients trickling a header section, then LORIS trickling a body, then HOARDERS
#    pipelining 1 MiB requests and never reading. Each is cut off by the deadline (+1.5 s),
#    a normal client's p99 latency stays under 200 ms, the server's RSS under a bound,
#    and its fds return to their count before the attack.
# 3. long form only: every crate's unit and integration tests (examples included) under
#    AddressSanitizer (nightly, -Zbuild-std, target/asan), and the timer wheel's model
#    tests in release.
#
# Every check prints what it measured; a broken bound exits non-zero with a line
# starting "soak: FAIL". Traffic stays on 127.0.0.1; every step has a time limit; only
# the server processes started here are stopped, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  --short) SHORT=1 ;;
  "") SHORT=0 ;;
  *) echo "usage: scripts/soak.sh [--short]" >&2; exit 2 ;;
esac
if [ "$SHORT" = 1 ]; then
  CYCLES=3 CONNS=500 LORIS=200 HOARDERS=20 ATTACK_SECS=5
else
  CYCLES=20 CONNS=4000 LORIS=2000 HOARDERS=50 ATTACK_SECS=12
fi
DEADLINE=2 # the http server's header, body and write timeouts, in seconds

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "soak: FAIL: $*"; exit 1; }
started=$(date +%s)

# Both ends of 4000 connections live in one process, and 2000 attackers face a server
# in another: raise the soft limit on open files (children inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((2 * CONNS + 256)) ] ||
  fail "the hard limit on open files ($(ulimit -Hn)) is under $((2 * CONNS + 256))"

step "build"
# All features, as the README's test command builds: then after `cargo test` this
# step has nothing to do.
cargo build --quiet --all-features --example soak --example http
BIN="${CARGO_TARGET_DIR:-target}/debug/examples"

SERVERS=()
cleanup() {
  for pid in "${SERVERS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

step "echo: $CYCLES cycles of $CONNS connections"
timeout 600 "$BIN/soak" echo --cycles "$CYCLES" --conns "$CONNS"

step "http under slowloris ($LORIS trickling clients, $HOARDERS that never read)"
log=$(mktemp)
"$BIN/http" --addr 127.0.0.1:0 --header-timeout $DEADLINE --body-timeout $DEADLINE \
  --write-timeout $DEADLINE >"$log" 2>&1 &
SERVERS+=($!)
http_pid=$!
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
  [ -n "$addr" ] && break
  kill -0 "$http_pid" 2>/dev/null || fail "the http server exited: $(cat "$log")"
  sleep 0.1
done
[ -n "$addr" ] || fail "the http server did not start listening within 10 s"
for mode in header body noread; do
  clients=$LORIS
  [ "$mode" = noread ] && clients=$HOARDERS
  timeout 300 "$BIN/soak" slowloris --addr "$addr" --pid "$http_pid" --mode "$mode" \
    --clients "$clients" --secs "$ATTACK_SECS" --deadline $DEADLINE --p99-ms 200
done
kill -0 "$http_pid" 2>/dev/null || fail "the http server died during the attacks: $(cat "$log")"
if grep -v 'listening on' "$log"; then fail "the http server printed errors (above)"; fi
rm -f "$log"

if [ "$SHORT" = 0 ]; then
  step "AddressSanitizer: every crate's tests and the examples' (nightly, -Zbuild-std)"
  rustup component add --toolchain nightly rust-src >/dev/null
  asan() {
    RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan timeout 1800 \
      cargo +nightly "$@" -Zbuild-std --target x86_64-unknown-linux-gnu
  }
  # tests/examples_*.rs start the example binaries: build them (instrumented) first.
  asan build --quiet -p wakeful --examples
  asan test -p wakeful-executor -p wakeful-reactor -p wakeful-net -p wakeful --lib --tests

  step "timer wheel: model tests, release"
  # 2000 random seeds of the model run (CI's test run does 48).
  WAKEFUL_TIMER_PROPTEST_ITERS=2000 timeout 600 cargo test --quiet --release -p wakeful-reactor timer
fi

echo
echo "soak: all checks passed in $(($(date +%s) - started)) s"
