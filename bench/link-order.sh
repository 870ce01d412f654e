#!/usr/bin/env bash
# Writes bench/link-order.txt: the functions wincni runs for VERSION and for a pod's ADD, CHECK, DEL (flannel ->
# L2Bridge and -> Overlay), GC and STATUS, in the order the commands first need them. The release link (Makefile,
# RELEASE_FLAGS) gives the file to lld as --symbol-ordering-file, which puts those functions next to each other at
# the start of the code instead of spread over its 6.7 MB. Every exec then maps fewer pages (the kernel maps the
# code 64 KB around each first touch), and a pod ADD takes ~30 fewer page faults (bench/findings.md, "Fourth
# round").
#
#   bench/link-order.sh     after `make build`; then `make build` again to link with the new order
#
# The list only moves code: a stale one (a renamed function) costs some locality, never correctness. Functions the
# Swift standard library keeps in its one large code section are left out, since naming one would move all 1.6 MB.
# Needs valgrind. Knob: BENCH_BIN (bin/).
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
OUT=$ROOT/bench/link-order.txt
RUN=$ROOT/bench/tmp/link-order
HNSCTL=$BIN/hnsctl
FLANNEL=$BIN/flannel
WINCNI=$BIN/wincni

command -v valgrind >/dev/null || { echo "link-order: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -x "$WINCNI" ] && [ -x "$HNSCTL" ] || { echo "link-order: run make build first ($BIN)" >&2; exit 2; }
swiftc=$(command -v swiftc) || { echo "link-order: swiftc not found" >&2; exit 2; }
CORE=$(dirname "$(readlink -f "$swiftc")")/../lib/swift_static/linux/libswiftCore.a
[ -f "$CORE" ] || { echo "link-order: $CORE not found" >&2; exit 2; }
rm -rf "$RUN"
mkdir -p "$RUN"
. "$ROOT/bench/lib.sh"

# The standard library's functions that share its main code section (named ".text" in Swift.o).
(cd "$RUN" && ar x "$CORE" Swift.o) || exit 2
objdump -t "$RUN/Swift.o" | awk '$4 == ".text" { print $NF }' | sort -u >"$RUN/bulk.txt"

mknet l2 node host-gw 10.242.0.1/24 && mknet ov node vxlan 10.242.1.0/24 ||
  { echo "link-order: 'hnsctl flannel up' failed: $(cat "$RUN"/*/up.log)" >&2; exit 2; }
namespaces node "$RUN/ns.lst" 2 || exit 2

# run NAME COMMAND NET NS STDIN: one exec under callgrind, symbol names as linked
run() {
  env -i CNI_COMMAND="$2" CNI_CONTAINERID=1ink0rder0000000000000000000000000000000000000000000000000000000"$3" \
    CNI_NETNS="$4" CNI_IFNAME=eth0 CNI_PATH="$BIN" WINCNI_HNS="sim:$RUN/node/hns" PATH=/usr/bin:/bin \
    "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$3;K8S_POD_INFRA_CONTAINER_ID=$3" \
    valgrind --tool=callgrind --demangle=no --dump-instr=no --callgrind-out-file="$RUN/$1.cg" \
    "$FLANNEL" <"$5" >"$RUN/$1.out" 2>"$RUN/$1.log" ||
    { echo "link-order: $1 failed: $(tail -3 "$RUN/$1.log")" >&2; exit 2; }
}
printf '{"cniVersion":"1.1.0"}' >"$RUN/version.json"
env -i CNI_COMMAND=VERSION valgrind --tool=callgrind --demangle=no --dump-instr=no \
  --callgrind-out-file="$RUN/version.cg" "$WINCNI" <"$RUN/version.json" >/dev/null 2>"$RUN/version.log" || exit 2
ns1=$(sed -n 1p "$RUN/ns.lst") ns2=$(sed -n 2p "$RUN/ns.lst")
run add ADD l2 "$ns1" "$RUN/l2/conf.json"
conf=$(cat "$RUN/l2/conf.json")
printf '%s,"prevResult":%s}' "${conf%\}}" "$(cat "$RUN/add.out")" >"$RUN/check.json"
run check CHECK l2 "$ns1" "$RUN/check.json"
run del DEL l2 "$ns1" "$RUN/l2/conf.json"
run ov-add ADD ov "$ns2" "$RUN/ov/conf.json"
run ov-del DEL ov "$ns2" "$RUN/ov/conf.json"
run gc GC l2 "$ns1" "$RUN/l2/gc.json"
run status STATUS l2 "$ns1" "$RUN/l2/gc.json"

{
  echo "# Functions wincni runs, in the order its commands first need them: written by bench/link-order.sh from"
  echo "# callgrind runs of VERSION, ADD, CHECK, DEL, GC and STATUS; read by the release link (lld"
  echo "# --symbol-ordering-file). Regenerate after large changes; a stale list only costs locality."
  for name in version add check del ov-add ov-del gc status; do
    # "fn=(id) name" defines a function the first time callgrind meets it
    sed -nE 's/^c?fn=\([0-9]+\) (.+)$/\1/p' "$RUN/$name.cg"
  done | awk 'NR == FNR { bulk[$0] = 1; next } /^[A-Za-z_$]/ && !bulk[$0] && !seen[$0]++' "$RUN/bulk.txt" -
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
# SwiftPM does not know the link reads the list: drop the linked executables so that `make build` links again.
rm -f "$ROOT"/.build/release/wincni "$ROOT"/.build/release/hnsctl
echo "link-order: $(grep -vc '^#' "$OUT") functions in $OUT; run make build to link with it"
