#!/usr/bin/env bash
# Cold build times: the same ~30-line echo server with #[wakeful::main] and with
# #[tokio::main] (tokio with rt, net, io-util, macros), and the macro crates alone
# (wakeful-macros; tokio-macros with syn, quote, proc-macro2, unicode-ident).
#
#   benches/compile_time.sh [ROUNDS] [SCRATCH_DIR]     # defaults: 5, target/compile_time
#
# Each crate is copied out of the workspace into SCRATCH_DIR (its own target dir, the
# wakeful path rewritten to this repository), then, ROUNDS times and taking the crates
# in turn so that a noisy minute hurts all alike: `cargo clean` of that scratch crate
# only, then `cargo build` (debug, then --release), timed by /usr/bin/time. Prints the
# median wall time and the median CPU time (user + system, less sensitive to other
# load on the machine) per crate and profile; raw rows go to SCRATCH_DIR/times.csv.
# Dependencies come from the local registry cache (--offline); run `cargo fetch` in
# SCRATCH_DIR/tokio_echo once if it is empty.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-5}"
scratch="${2:-$repo/target/compile_time}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
unset RUSTFLAGS CARGO_TARGET_DIR
crates=(wakeful_echo tokio_echo wakeful_macros tokio_macros)

mkdir -p "$scratch"
for crate in "${crates[@]}"; do
  rm -rf "${scratch:?}/$crate/src"
  mkdir -p "$scratch/$crate"
  cp -r "$repo/benches/compile_time/$crate/src" "$scratch/$crate/"
  sed "s#path = \"../../..#path = \"$repo#" "$repo/benches/compile_time/$crate/Cargo.toml" \
    > "$scratch/$crate/Cargo.toml"
  (cd "$scratch/$crate" && cargo generate-lockfile --offline -q)
done

csv="$scratch/times.csv"
echo "crate,profile,round,wall_s,cpu_s" > "$csv"
for round in $(seq 1 "$rounds"); do
  for profile in debug release; do
    flag=""; [ "$profile" = release ] && flag="--release"
    for crate in "${crates[@]}"; do
      dir="$scratch/$crate"
      cargo clean -q --manifest-path "$dir/Cargo.toml"
      /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" \
        cargo build -q --offline $flag --manifest-path "$dir/Cargo.toml"
      read -r wall user sys < "$dir/time.txt"
      cpu=$(python3 -c "print(round($user + $sys, 2))")
      echo "$crate,$profile,$round,$wall,$cpu" >> "$csv"
      echo "round $round $profile $crate: ${wall}s wall, ${cpu}s CPU" >&2
    done
  done
done

python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| crate | profile | median wall (s) | median CPU (s) | rounds |")
print("|---|---|---|---|---|")
for crate in ["wakeful_echo", "tokio_echo", "wakeful_macros", "tokio_macros"]:
    for profile in ["debug", "release"]:
        sel = [r for r in rows if r["crate"] == crate and r["profile"] == profile]
        if sel:
            wall = statistics.median(float(r["wall_s"]) for r in sel)
            cpu = statistics.median(float(r["cpu_s"]) for r in sel)
            print(f"| {crate} | {profile} | {wall:.2f} | {cpu:.2f} | {len(sel)} |")
PY
