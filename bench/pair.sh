#!/usr/bin/env bash
# bench/pair.sh [-n ROUNDS] BIN_A BIN_B: is B faster than A, per pod ADD and DEL?
#
# BIN_A and BIN_B are two `make build` bin/ directories (copy one aside before building the other). Each gets a
# simulated flannel node on tmpfs (flannel -> L2Bridge, host-local), and the harness runs, every round, a new pod's
# ADD and DEL on each, interleaved: once with A's commands first and once with B's first. For each run it takes the
# median of the per-round ratios B/A, and prints both and their geometric mean, so that the position of a command in
# the round (a few per cent here) cancels. Before the runs both `wincni` files are dropped from the page cache and
# read back, so they are cached the same way: a file just written by the linker and one read back from the disk
# take different numbers of page faults for the same code.
#
# Also printed: median wall time, CPU time (user + system) and minor page faults per command and binary.
# Exits 2 when the harness or a node could not be set up, 1 when a command failed, else 0.
set -u
export LC_ALL=C

ROUNDS=150
if [ "${1:-}" = -n ]; then
  ROUNDS=$2
  shift 2
fi
[ $# = 2 ] || { echo "usage: bench/pair.sh [-n ROUNDS] BIN_A BIN_B" >&2; exit 2; }
A=$(cd "$1" && pwd) && B=$(cd "$2" && pwd) || exit 2
for b in "$A" "$B"; do
  [ -x "$b/wincni" ] && [ -x "$b/hnsctl" ] || { echo "pair: $b has no wincni and hnsctl (a make build bin/)" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/.build-bench
mkdir -p "$BUILD"
cc -O2 -Wall -o "$BUILD/harness" "$ROOT/bench/harness.c" -lm || { echo "pair: cannot compile bench/harness.c" >&2; exit 2; }
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || { echo "pair: /dev/shm is not a tmpfs" >&2; exit 2; }
RUN=$(mktemp -d /dev/shm/wincni-pair.XXXXXX)
trap 'rm -rf "$RUN"' EXIT

# the same page-cache state for both binaries: written back, dropped, read again
for b in "$A" "$B"; do
  sync "$b/wincni"
  dd if="$b/wincni" iflag=nocache count=0 status=none
  cat "$b/wincni" >/dev/null
done

source "$ROOT/bench/lib.sh"
W=10
cases=()
for side in a b; do
  if [ $side = a ]; then BIN=$A; else BIN=$B; fi
  HNSCTL=$BIN/hnsctl FLANNEL=$BIN/flannel
  mknet "pair-$side" "node-$side" host-gw "10.248.$([ $side = a ] && echo 1 || echo 2).1/24" &&
    namespaces "node-$side" "$RUN/ns-$side.lst" $((2 * (ROUNDS + W))) || { echo "pair: node $side: $(cat "$RUN/pair-$side/up.log" 2>/dev/null)" >&2; exit 2; }
done

run() { # run FIRST SECOND OUT: one interleaved harness run, FIRST's commands first in each round
  local args=(-n "$ROUNDS" -w "$W" -R "$3") side first=$1 second=$2 k0=$4
  for side in "$first" "$second"; do
    if [ "$side" = a ]; then BIN=$A; else BIN=$B; fi
    FLANNEL=$BIN/flannel
    pod_case "add-$side" ADD "pair-$side" "$RUN/ns-$side.lst"; args+=("${CASE[@]}")
    pod_case "del-$side" DEL "pair-$side" "$RUN/ns-$side.lst"; args+=("${CASE[@]}")
  done
  "$BUILD/harness" -k "$k0" "${args[@]}" >/dev/null 2>"$RUN/err" || { cat "$RUN/err" >&2; return 1; }
}
rc=0
run a b "$RUN/ab.raw" 0 || rc=1
run b a "$RUN/ba.raw" $((ROUNDS + W)) || rc=1

# raw lines: label round wall_us rss_kib code cpu_us minor_faults
awk -F'\t' -v a="$A" -v b="$B" '
  function median(list, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) { t = list[j]; list[j] = list[j - 1]; list[j - 1] = t }
    return n % 2 ? list[(n + 1) / 2] : (list[n / 2] + list[n / 2 + 1]) / 2
  }
  FNR == 1 { file++ }
  { split($1, p, "-"); key = file SUBSEP p[1] SUBSEP $2; wall[key, p[2]] = $3
    n = ++count[p[1], p[2]]; w[p[1], p[2], n] = $3; c[p[1], p[2], n] = $6; f[p[1], p[2], n] = $7 }
  END {
    printf "A: %s\nB: %s\n", a, b
    for (ci = 1; ci <= 2; ci++) {
      cmd = ci == 1 ? "add" : "del"
      for (run = 1; run <= 2; run++) {
        m = 0
        for (k in wall) { split(k, q, SUBSEP); if (q[1] == run && q[2] == cmd && q[4] == "a" && ((run SUBSEP cmd SUBSEP q[3]) SUBSEP "b") in wall) r[++m] = wall[run, cmd, q[3], "b"] / wall[k] }
        ratio[run] = median(r, m); delete r
      }
      printf "%s: B/A %.3f (A first), %.3f (B first), geometric mean %.3f\n", toupper(cmd), ratio[1], ratio[2], sqrt(ratio[1] * ratio[2])
      for (si = 1; si <= 2; si++) {
        s = si == 1 ? "a" : "b"; n = count[cmd, s]
        for (i = 1; i <= n; i++) { x[i] = w[cmd, s, i]; y[i] = c[cmd, s, i]; z[i] = f[cmd, s, i] }
        printf "  %s: wall %.2f ms, CPU %.2f ms, %d minor faults (medians of %d)\n", toupper(s), median(x, n) / 1000, median(y, n) / 1000, median(z, n), n
        delete x; delete y; delete z
      }
    }
  }' "$RUN/ab.raw" "$RUN/ba.raw"
exit $rc
