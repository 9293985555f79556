#!/usr/bin/env bash
# User-space instructions per echoed UDP datagram, under callgrind (repeatable on a
# loaded machine, unlike time): examples/udp_server --echo and tokio_echo --udp, each
# driven by benches/loadgen.rs for SECS seconds at each socket count, minus the
# instructions of a run that only starts and stops (the startup).
#
#   benches/udp_callgrind.sh            # 1, 10, 100 sockets
#   CONNS="10" SECS=4 benches/udp_callgrind.sh
#
# Kernel work (most of a datagram's cost) is not counted: compare CPU per request with
# `CONFIGS="udp:1:1 udp:10:1 udp:100:1" ROUNDS=5 benches/compare.sh` for that.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-"1 10 100"}
SECS=${SECS:-4}
OUT=target/compare/callgrind
mkdir -p "$OUT"
cargo build --release --quiet --example udp_server --example tokio_echo --example loadgen
BIN=target/release/examples

server_cmd() {
  case "$1" in
    wakeful) echo "$BIN/udp_server --echo --addr 127.0.0.1:0" ;;
    tokio) echo "$BIN/tokio_echo --udp --addr 127.0.0.1:0" ;;
  esac
}

# profile NAME CONNS -> "instructions datagrams" (CONNS=0: start and stop only)
profile() {
  local log="$OUT/server.log" out="$OUT/$1-$2.out" addr="" datagrams=0
  # shellcheck disable=SC2046
  valgrind --tool=callgrind --callgrind-out-file="$out" $(server_cmd "$1") >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 400); do
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "server $1 did not start" >&2; kill "$pid"; exit 1; }
  if [ "$2" != 0 ]; then
    datagrams=$("$BIN/loadgen" --udp --addr "$addr" --conns "$2" --secs "$SECS" --warmup 0 |
      tail -1 | tr ' ' '\n' | sed -n 's/^total=//p')
  fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }') $datagrams"
}

for name in wakeful tokio; do
  read -r startup _ <<<"$(profile "$name" 0)"
  for conns in $CONNS; do
    read -r total datagrams <<<"$(profile "$name" "$conns")"
    printf '%-8s sockets=%-4s datagrams=%-7s instructions per datagram=%s\n' "$name" "$conns" "$datagrams" \
      "$(awk -v t="$total" -v s="$startup" -v n="$datagrams" 'BEGIN { printf "%.0f", (t - s) / n }')"
  done
done
