#!/usr/bin/env bash
# Checks that benches/compare.sh leaves no process behind when a run fails or is
# interrupted: the SATURATE regime's CPU hog (an endless loop) and the server. Runs a
# copy of the script in a scratch directory with stub binaries (a server that only
# prints its address, a load generator that fails or is interrupted, no cargo, no
# perf), then looks for processes whose working directory is that scratch directory.
# Usage: benches/compare_cleanup_test.sh   (a few seconds; exit status 0 = held)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
mkdir -p "$scratch/benches" "$scratch/target/release/examples" "$scratch/bin"
cp "$here/benches/compare.sh" "$scratch/benches/"
for server in echo tokio_echo udp_server; do
  printf '#!/bin/sh\necho "listening on 127.0.0.1:1"\nexec sleep 30\n' >"$scratch/target/release/examples/$server"
done
printf '#!/bin/sh\n[ -n "${LOADGEN_HANG:-}" ] && exec sleep 30\nexit 1\n' >"$scratch/target/release/examples/loadgen"
printf '#!/bin/sh\nexit 0\n' >"$scratch/bin/cargo"
printf '#!/bin/sh\nexit 1\n' >"$scratch/bin/perf"
chmod +x "$scratch"/target/release/examples/* "$scratch"/bin/*

# left_behind -> the PIDs of processes started in the scratch directory, still alive
left_behind() {
  for dir in /proc/[0-9]*; do
    [ "$(readlink "$dir/cwd" 2>/dev/null)" = "$scratch" ] && echo "${dir#/proc/}"
  done
  true
}

# Whatever happens to this script, nothing it started is left running.
trap 'for p in $(left_behind); do kill "$p" 2>/dev/null || true; done; rm -rf "$scratch"' EXIT

failed=0
check() {
  local what=$1 pids
  pids=$(left_behind | tr '\n' ' ')
  if [ -n "$pids" ]; then
    echo "FAIL: $what left processes behind: $pids" >&2
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    failed=1
  else
    echo "ok: $what"
  fi
}

# A load generator that fails (as it does when the server under test dies).
(cd "$scratch" && PATH="$scratch/bin:$PATH" SATURATE=1 CONNS=10 ROUNDS=1 SECS=1 \
  benches/compare.sh --echo >/dev/null 2>&1) || true
sleep 0.5
check "a failing load generator"

# Ctrl-C during a run: SIGINT to the script's whole process group, as a terminal sends.
(cd "$scratch" && PATH="$scratch/bin:$PATH" LOADGEN_HANG=1 SATURATE=1 CONNS=10 ROUNDS=1 SECS=1 \
  setsid benches/compare.sh --echo >/dev/null 2>&1) &
runner=$!
for _ in $(seq 50); do
  [ -n "$(left_behind)" ] && break
  sleep 0.1
done
sleep 1 # the server and hog started, the load generator waiting
# The script's process group: setsid made it its own, and its jobs stay in it (the
# subshell that started it is in this script's group, and is passed over).
# pgid PID -> its process group, from /proc (after the command name: state, parent, group)
pgid() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3; }
own=$(pgid $$)
group=""
for pid in $(left_behind); do
  g=$(pgid "$pid" || true)
  [ -n "$g" ] && [ "$g" != "$own" ] && { group=$g; break; }
done
[ -n "$group" ] || { echo "FAIL: the run under test did not start" >&2; failed=1; }
[ -z "$group" ] || kill -INT -- "-$group" 2>/dev/null || true
wait "$runner" 2>/dev/null || true
sleep 0.5
check "Ctrl-C during a saturated run"

exit "$failed"
