#!/usr/bin/env bash
# The experiments behind bench/findings.md §1 and §5, on a scratch copy of the committed tree (bench/tmp/experiment):
#   - each module's fsync calls gated by an environment variable (BENCH_NOFSYNC_SIM, _HOSTLOCAL, _FLANNEL), so one
#     build runs every variant, interleaved with the Go host-local and the C no-op in one harness run;
#   - an ASCII fast path for the UTF-16 decoding of the HCN function table, compared in instructions.
# Nothing in Sources/ is changed. Takes a release build (a few minutes) plus ~1 minute.
#
#   bench/experiment.sh     after `make build` (uses bin/hnsctl for the simulated node); N rounds (100)
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EXP=$ROOT/bench/tmp/experiment
BUILD=$ROOT/.build-bench
N=${N:-100}
W=5
mkdir -p "$BUILD"
cc -O2 -Wall -o "$BUILD/harness" "$ROOT/bench/harness.c" -lm || exit 2
cc -O2 -static -o "$BUILD/noop" "$ROOT/bench/noop.c" || exit 2
command -v valgrind >/dev/null || { echo "experiment: needs valgrind" >&2; exit 2; }

build() { # DIR: release build of the scratch copy in DIR, binaries in DIR/bin
  (cd "$1" && swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product wincni) >"$1/build.log" 2>&1 ||
    { tail -20 "$1/build.log" >&2; exit 2; }
  mkdir -p "$1/bin" && cp "$1/.build/release/wincni" "$1/bin/" && ln -sf wincni "$1/bin/flannel"
}
patched() { grep -q "$2" "$1" || echo "experiment: patch not applied to $1 (the code changed?)" >&2; }

rm -rf "$EXP/gated" "$EXP/ascii"
mkdir -p "$EXP/gated" "$EXP/ascii"
git -C "$ROOT" archive HEAD | tar -x -C "$EXP/gated"

# 1. fsync gated per module
for pair in HNSSimulator/POSIXFiles.swift:SIM HostLocal/StoreDirectory.swift:HOSTLOCAL WinCNI/FileSystem.swift:FLANNEL; do
  f=$EXP/gated/Sources/${pair%%:*} m=${pair##*:}
  sed -i 's/\bfsync(/benchFsync(/g' "$f"
  printf '\n// experiment: BENCH_NOFSYNC_%s in the environment skips this module'"'"'s fsync calls\nprivate func benchFsync(_ fd: Int32) -> Int32 { getenv("BENCH_NOFSYNC_%s") != nil ? 0 : fsync(fd) }\n' "$m" "$m" >>"$f"
  patched "$f" "benchFsync(.*) != 0\|= benchFsync("
done
cp -a "$EXP/gated/." "$EXP/ascii/"
# 2. on top of it, ASCII fast path for the UTF-16 -> String decoding on both sides of the function table
FAST='var ascii = true; for unit in units where unit >= 0x80 { ascii = false; break }; if !ascii { return String(decoding: units, as: UTF16.self) }; return String(unsafeUninitializedCapacity: units.count) { bytes in for index in 0..<units.count { bytes[index] = UInt8(truncatingIfNeeded: units[index]) }; return units.count }'
f=$EXP/ascii/Sources/HNSSimulator/FunctionTableThunks.swift
sed -i "s|^    return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF16.self)|    let units = UnsafeBufferPointer(start: pointer, count: count); $FAST|" "$f"
patched "$f" "unsafeUninitializedCapacity"
f=$EXP/ascii/Sources/HCN/HCNFunctionTableService.swift
sed -i "s|^        return String(decoding: UnsafeBufferPointer(start: buffer, count: length), as: UTF16.self)|        let units = UnsafeBufferPointer(start: buffer, count: length); $FAST|" "$f"
patched "$f" "unsafeUninitializedCapacity"
echo "experiment: building two scratch copies" >&2
build "$EXP/gated"
build "$EXP/ascii"

# a simulated node with one L2Bridge network per variant, one namespace per round
RUN=$EXP/run BIN=$EXP/gated/bin HNSCTL=$ROOT/bin/hnsctl FLANNEL=$EXP/gated/bin/flannel
rm -rf "$RUN"
mkdir -p "$RUN"
. "$ROOT/bench/lib.sh"
i=0
for v in base sim simhl all ascii; do mknet "x$v" x host-gw "10.246.$i.1/24" || exit 2; i=$((i + 1)); done
namespaces x "$RUN/x/ns.lst" $((N + W)) || exit 2
printf '{"cniVersion":"1.0.0","name":"wincni-bench-peer","type":"bridge","ipam":{"type":"host-local","subnet":"10.245.1.0/24","dataDir":"%s"}}' \
  "$RUN/peer-ipam" >"$RUN/peer.json"
A=(-n "$N" -w "$W" -b noop -b hl-add -c noop -a "$BUILD/noop")
if [ -x /usr/lib/cni/host-local ]; then
  for c in ADD DEL; do
    A+=(-c "hl-${c,,}" -e "CNI_COMMAND=$c" -e "CNI_CONTAINERID=peer{k}" -e CNI_NETNS=/run/netns/bench -e CNI_IFNAME=eth0
      -e CNI_PATH=/usr/lib/cni -i "$RUN/peer.json" -a /usr/lib/cni/host-local)
  done
fi
for v in base sim simhl all ascii; do
  case $v in
    base) E=() ;;
    sim) E=(-e BENCH_NOFSYNC_SIM=1) ;;
    simhl) E=(-e BENCH_NOFSYNC_SIM=1 -e BENCH_NOFSYNC_HOSTLOCAL=1) ;;
    all | ascii) E=(-e BENCH_NOFSYNC_SIM=1 -e BENCH_NOFSYNC_HOSTLOCAL=1 -e BENCH_NOFSYNC_FLANNEL=1) ;;
  esac
  for c in ADD DEL; do
    pod_case "$v-${c,,}" "$c" "x$v" "$RUN/x/ns.lst"
    [ $v = ascii ] && CASE[-1]=$EXP/ascii/bin/flannel
    A+=("${CASE[@]}" "${E[@]}")
  done
done
"$BUILD/harness" "${A[@]}" >"$RUN/harness.out" 2>"$RUN/harness.err"
echo "## fsync variants (base: as committed; sim: no fsync in the simulator; simhl: nor in host-local; all: none;"
echo "## ascii: none and the UTF-16 ASCII fast path), $N interleaved rounds"
echo
echo "| variant | ADD | DEL | ADD ÷ Go host-local ADD | DEL ÷ Go host-local ADD | ADD ÷ C no-op | ADD CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|"
f() { awk -F'\t' -v k="$1" -v l="$2" -v key="$3" -v b="${4:-}" '$1 == k { delete a; for (i = 2; i <= NF; i++) { p = index($i, "="); a[substr($i, 1, p - 1)] = substr($i, p + 1) }
  if (a["label"] == l && (b == "" || a["base"] == b)) { print a[key]; exit } }' "$RUN/harness.out"; }
for v in base sim simhl all ascii; do
  printf '| %s | %.2f ms | %.2f ms | %s× | %s× | %s× | %.2f ms |\n' "$v" "$(f case "$v-add" med_us | awk '{print $1/1000}')" \
    "$(f case "$v-del" med_us | awk '{print $1/1000}')" "$(f ratio "$v-add" med hl-add)" "$(f ratio "$v-del" med hl-add)" \
    "$(f ratio "$v-add" med noop)" "$(f detail "$v-add" cpu_us | awk '{print $1/1000}')"
done

# instructions of one ADD and one DEL, without and with the ASCII fast path
echo
echo "## instructions of one pod ADD / DEL"
echo
echo "| build | ADD | DEL |"
echo "|---|---:|---:|"
namespaces x "$RUN/x/cg.lst" 2 || exit 2
j=0
for b in gated ascii; do
  j=$((j + 1))
  ns=$(sed -n "${j}p" "$RUN/x/cg.lst")
  for c in ADD DEL; do
    env -i CNI_COMMAND=$c CNI_CONTAINERID=cg$j CNI_NETNS="$ns" CNI_IFNAME=eth0 CNI_PATH="$EXP/$b/bin" \
      WINCNI_HNS="sim:$RUN/x/hns" valgrind --tool=callgrind --callgrind-out-file="$RUN/$b-$c.cg" "$EXP/$b/bin/flannel" \
      <"$RUN/xbase/conf.json" >/dev/null 2>&1
  done
  echo "| $b | $(awk '/^totals:/ { print $2 }' "$RUN/$b-ADD.cg") | $(awk '/^totals:/ { print $2 }' "$RUN/$b-DEL.cg") |"
done
