#!/usr/bin/env bash
# make bench: per-pod latency of wincni against the cost of exec'ing a static C no-op, measured in one run.
#
#   bench/run.sh            after `make build` (uses bin/wincni, bin/flannel, bin/hnsctl)
#
# Sections (each prints what it could not measure and why, and goes on):
#   1. interleaved rounds: C no-op, wincni VERSION, flannel -> L2Bridge ADD/DEL, flannel -> Overlay ADD/DEL,
#      CHECK, and the Go host-local ADD/DEL as the peer (Debian's containernetworking-plugins);
#   2. scale: ADD/DEL on networks that already hold 10, 250 and 1,000 pods, interleaved; GC of the 1,000;
#   3. throughput: pod ADDs then DELs with a fixed number in flight;
#   4. storage: pod ADD/DEL and the Go host-local with the state on tmpfs and on the repository's disk, alternating
#      (ADD, DEL, ADD, ...) and in bursts (BENCH_BURST ADDs, then as many DELs, per round), as pods come.
# Writes the tables to stdout and to bench/latest.md. Exits 0 unless the harness itself could not run (2).
#
# Knobs (environment): BENCH_N rounds per command (200), BENCH_WARMUP (10), BENCH_SCALE_N (200),
# BENCH_SCALE_MAX existing pods for the largest scale point (1000), BENCH_TP_N pods (500), BENCH_TP_JOBS (8),
# BENCH_BIN directory of the binaries (bin/), BENCH_OUT results file (bench/latest.md),
# BENCH_TIME_LIMIT seconds per interleaved section before it stops early (75), BENCH_STORE_N alternating rounds per
# storage (100), BENCH_BURST pods per burst (40), BENCH_BURST_ROUNDS bursts per storage (5).
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
OUT=${BENCH_OUT:-$ROOT/bench/latest.md}
BUILD=$ROOT/.build-bench
RUN=$ROOT/bench/tmp/run
N=${BENCH_N:-200}
W=${BENCH_WARMUP:-10}
SN=${BENCH_SCALE_N:-200}
SMAX=${BENCH_SCALE_MAX:-1000}
TPN=${BENCH_TP_N:-500}
TPJ=${BENCH_TP_JOBS:-8}
TLIM=${BENCH_TIME_LIMIT:-75}
STN=${BENCH_STORE_N:-100}
BURST=${BENCH_BURST:-40}
BROUNDS=${BENCH_BURST_ROUNDS:-5}
PEER=/usr/lib/cni/host-local
T0=$(date +%s)

notes=()   # lines for the "not measured / notes" list
note() { notes+=("$*"); echo "bench: $*" >&2; }
log() { echo "bench: $*" >&2; }
broken() { echo "bench: harness failure: $*" >&2; exit 2; }

# ---------------------------------------------------------------- build the floor and the harness
mkdir -p "$BUILD"
command -v cc >/dev/null || broken "no C compiler (cc)"
cc -O2 -Wall -o "$BUILD/harness" "$ROOT/bench/harness.c" -lm || broken "cannot compile bench/harness.c"
cc -O2 -static -o "$BUILD/noop" "$ROOT/bench/noop.c" || broken "cannot link a static C no-op (is libc.a installed?)"
H=$BUILD/harness

rm -rf "$RUN"
mkdir -p "$RUN"
# Section 4 keeps one node's state on tmpfs: /dev/shm when it is one, else a tmpfs mounted for the run (root only).
TMPFS=
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
  TMPFS=$(mktemp -d /dev/shm/wincni-bench.XXXXXX)
elif [ "$(id -u)" = 0 ] && mkdir -p "$RUN/tmpfs" && mount -t tmpfs -o size=512m,mode=0700 wincni-bench "$RUN/tmpfs"; then
  TMPFS=$RUN/tmpfs
fi
cleanup() {
  case $TMPFS in /dev/shm/*) rm -rf "$TMPFS" ;; "$RUN/tmpfs") umount "$TMPFS" 2>/dev/null ;; esac
}
trap cleanup EXIT

# ---------------------------------------------------------------- the peer: Debian's Go host-local
if [ ! -x "$PEER" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing containernetworking-plugins (the Go host-local peer) with apt-get"
    { apt-get -o DPkg::Lock::Timeout=120 update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq containernetworking-plugins; } \
      >"$RUN/apt.log" 2>&1 || true
  fi
  [ -x "$PEER" ] || note "peer column skipped: $PEER is missing and containernetworking-plugins could not be installed"
fi
HAVE_PEER=0
[ -x "$PEER" ] && HAVE_PEER=1

# ---------------------------------------------------------------- what the built tree can do
HNSCTL=$BIN/hnsctl
FLANNEL=$BIN/flannel
WINCNI=$BIN/wincni
HAVE_VERSION=0 HAVE_SIM=0 HAVE_POD=0 PLACEHOLDER=0
if [ -x "$WINCNI" ]; then
  v=$(printf '{"cniVersion":"1.1.0"}' | env -i CNI_COMMAND=VERSION "$WINCNI" 2>/dev/null) && HAVE_VERSION=1
  case "$v" in *supportedVersions*) ;; *) PLACEHOLDER=1; note "wincni VERSION does not print supportedVersions yet (placeholder binary?): measured as an exec only" ;; esac
else
  note "wincni not measured: $WINCNI is missing (run make build first)"
fi
GUID_RE='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
if [ -x "$HNSCTL" ]; then
  g=$("$HNSCTL" --sim "$RUN/probe-hns" namespace create 2>/dev/null | head -1)
  if [[ $g =~ $GUID_RE ]]; then HAVE_SIM=1; else note "simulator not measured: 'hnsctl namespace create' printed no GUID (${g:0:60})"; fi
fi

# nodes, networks, namespaces, pod commands
. "$ROOT/bench/lib.sh"
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

if [ $HAVE_SIM = 1 ] && [ -x "$FLANNEL" ]; then
  # one trial pod decides whether the plugin can do a full ADD yet
  if mknet probe probe host-gw 10.241.9.1/24 && namespaces probe "$RUN/probe/ns.lst" 1; then
    ns=$(cat "$RUN/probe/ns.lst")
    t=$(now_ms)
    r=$(env -i CNI_COMMAND=ADD CNI_CONTAINERID=probe0 CNI_NETNS="$ns" CNI_IFNAME=eth0 CNI_PATH="$BIN" \
      WINCNI_HNS="sim:$RUN/probe/hns" "$FLANNEL" <"$RUN/probe/conf.json" 2>"$RUN/probe/err")
    rc=$?
    PROBE_ADD_MS=$(($(now_ms) - t))
    if [ $rc = 0 ] && [[ $r == *'"ips"'* ]]; then
      HAVE_POD=1
      env -i CNI_COMMAND=DEL CNI_CONTAINERID=probe0 CNI_NETNS="$ns" CNI_IFNAME=eth0 CNI_PATH="$BIN" \
        WINCNI_HNS="sim:$RUN/probe/hns" "$FLANNEL" <"$RUN/probe/conf.json" >/dev/null 2>&1
      log "trial pod ADD took ${PROBE_ADD_MS} ms"
    else
      note "pod ADD/DEL/CHECK, scale, GC and throughput not measured: a trial flannel ADD failed (exit $rc): $(echo "$r" | tr -s ' \n' ' ' | cut -c1-160)"
    fi
  else
    note "pod ADD/DEL not measured: 'hnsctl flannel up' failed: $(head -c 160 "$RUN/probe/up.log" 2>/dev/null)"
  fi
fi

# ---------------------------------------------------------------- setup, in parallel across simulated nodes
# Node "main" holds the L2Bridge and the Overlay network (each round's namespace serves one pod on each, one after
# the other); s10/s250/s1000 are the scale nodes, pre-populated with pods through wincni; "tp" is for throughput.
mid=$((SMAX >= 1000 ? 250 : SMAX / 4))
SIZES=(10 "$mid" "$SMAX")
NSCOUNT=0
if [ $HAVE_POD = 1 ]; then
  t=$(now_ms)
  ok=1
  mknet l2 main host-gw 10.241.1.1/24 && mknet ov main vxlan 10.242.1.1/24 || ok=0
  for i in 0 1 2; do mknet "s$i" "s$i" host-gw "10.243.$((i * 16)).1/20" || ok=0; done
  mknet tp tp host-gw 10.244.0.1/20 || ok=0
  if [ $ok = 1 ]; then
    log "setup: namespaces for every pod, and ${SIZES[*]} existing pods on the scale networks (in parallel per node)"
    { namespaces main "$RUN/main/ns.lst" $((N + W)) && namespaces main "$RUN/main/check.lst" 1; echo $? >"$RUN/main/setup.rc"; } &
    { namespaces tp "$RUN/tp/ns.lst" "$TPN"; echo $? >"$RUN/tp/setup.rc"; } &
    for i in 0 1 2; do
      {
        s=${SIZES[$i]}
        if namespaces "s$i" "$RUN/s$i/pre.lst" "$s" && namespaces "s$i" "$RUN/s$i/ns.lst" $((SN + W)); then
          pod_case pre ADD "s$i" "$RUN/s$i/pre.lst"
          "$H" -n "$s" -w 0 -k 100000 -j 2 "${CASE[@]}" >"$RUN/s$i/pre.out" 2>"$RUN/s$i/pre.err"
          echo $? >"$RUN/s$i/setup.rc"
        else
          echo 3 >"$RUN/s$i/setup.rc"
        fi
      } &
    done
    wait
    NSCOUNT=$((N + W + 1 + TPN + ${SIZES[0]} + ${SIZES[1]} + ${SIZES[2]} + 3 * (SN + W)))
    for node in main tp s0 s1 s2; do
      case $(cat "$RUN/$node/setup.rc" 2>/dev/null) in
        0) ;;
        1) note "setup of node $node: some pod ADDs failed (bench/tmp/run/$node/pre.err)" ;;
        2) cat "$RUN/$node/pre.err" >&2; broken "scale pre-population on $node" ;;
        *) note "setup of node $node failed ('hnsctl namespace create')"; ok=0 ;;
      esac
    done
    log "setup took $((($(now_ms) - t) / 1000)) s; existing pods: s0 $(endpoints s0), s1 $(endpoints s1), s2 $(endpoints s2) endpoints (with flannel's host endpoint)"
  fi
  [ $ok = 1 ] || { HAVE_POD=0; note "pod ADD/DEL, scale and throughput not measured: setting up the simulated nodes failed"; }
fi

# ---------------------------------------------------------------- 1. interleaved rounds
printf '{"cniVersion":"1.1.0"}' >"$RUN/version.json"
printf '{"cniVersion":"1.0.0","name":"wincni-bench-peer","type":"bridge","ipam":{"type":"host-local","subnet":"10.245.1.0/24","dataDir":"%s"}}' \
  "$RUN/peer-ipam" >"$RUN/peer.json"
ARGS=(-n "$N" -w "$W" -T "$TLIM" -R "$RUN/main.raw" -b noop)
ARGS+=(-c noop -e CNI_COMMAND=ADD -e "CNI_CONTAINERID=${CID_BASE}0{k}" -e CNI_IFNAME=eth0 -i "$RUN/peer.json" -a "$BUILD/noop")
[ $HAVE_VERSION = 1 ] && ARGS+=(-c version -e CNI_COMMAND=VERSION -e CNI_CONTAINERID= -e CNI_NETNS=dummy -e CNI_IFNAME=dummy
  -e CNI_PATH=dummy -i "$RUN/version.json" -a "$WINCNI")
if [ $HAVE_POD = 1 ]; then
  # the CHECK pod: added once, then checked every round against its ADD result (prevResult)
  cns=$(cat "$RUN/main/check.lst")
  res=$(env -i CNI_COMMAND=ADD CNI_CONTAINERID=checkpod CNI_NETNS="$cns" CNI_IFNAME=eth0 CNI_PATH="$BIN" \
    WINCNI_HNS="sim:$RUN/main/hns" "$FLANNEL" <"$RUN/l2/conf.json" 2>/dev/null)
  conf=$(cat "$RUN/l2/conf.json")
  printf '%s,"prevResult":%s}' "${conf%\}}" "$res" >"$RUN/l2/check.json"
  pod_case l2-add ADD l2 "$RUN/main/ns.lst"; ARGS+=("${CASE[@]}")
  pod_case l2-del DEL l2 "$RUN/main/ns.lst"; ARGS+=("${CASE[@]}")
  pod_case ov-add ADD ov "$RUN/main/ns.lst"; ARGS+=("${CASE[@]}")
  pod_case ov-del DEL ov "$RUN/main/ns.lst"; ARGS+=("${CASE[@]}")
  ARGS+=(-c l2-check -e CNI_COMMAND=CHECK -e CNI_CONTAINERID=checkpod -e "CNI_NETNS=$cns" -e CNI_IFNAME=eth0
    -e "CNI_PATH=$BIN" -e "WINCNI_HNS=sim:$RUN/main/hns" -i "$RUN/l2/check.json" -a "$FLANNEL")
fi
if [ $HAVE_PEER = 1 ]; then
  ARGS+=(-b hl-add
    -c hl-add -e CNI_COMMAND=ADD -e "CNI_CONTAINERID=${CID_BASE}0{k}" -e CNI_NETNS=/run/netns/bench -e CNI_IFNAME=eth0
    -e "CNI_PATH=${PEER%/*}" -i "$RUN/peer.json" -a "$PEER"
    -c hl-del -e CNI_COMMAND=DEL -e "CNI_CONTAINERID=${CID_BASE}0{k}" -e CNI_NETNS=/run/netns/bench -e CNI_IFNAME=eth0
    -e "CNI_PATH=${PEER%/*}" -i "$RUN/peer.json" -a "$PEER")
fi
T_SETUP=$(($(date +%s) - T0))
log "1/3 interleaved: $N rounds (+$W warm-up) of: $(printf '%s\n' "${ARGS[@]}" | awk 'p{print;p=0} /^-c$/{p=1}' | tr '\n' ' ')"
"$H" "${ARGS[@]}" >"$RUN/main.out" 2>"$RUN/main.err"
rc=$?
[ $rc = 2 ] && { cat "$RUN/main.err" >&2; broken "interleaved run"; }
[ $rc = 1 ] && note "some commands of the interleaved run exited unexpectedly (first ones: bench/tmp/run/main.err)"
grep -q '^note' "$RUN/main.out" && note "interleaved run stopped at the ${TLIM} s limit after $(awk -F'stopped_after=' '/^note/{print $2}' "$RUN/main.out") rounds"

T_MAIN=$(($(date +%s) - T0 - T_SETUP))
# ---------------------------------------------------------------- 2. scale and GC
SCALE_OK=0
GC_US= GC_LEFT= GC_RC= GC_BEFORE=
if [ $HAVE_POD = 1 ]; then
  [ "$SMAX" != 1000 ] && note "scale points scaled down by BENCH_SCALE_MAX: 10, $mid, $SMAX existing pods"
  log "2/3 scale: ADD/DEL next to ${SIZES[*]} existing pods, $SN rounds"
  sargs=(-n "$SN" -w "$W" -T "$TLIM" -R "$RUN/scale.raw" -b add@10 -b del@10)
  for i in 0 1 2; do
    pod_case "add@${SIZES[$i]}" ADD "s$i" "$RUN/s$i/ns.lst"; sargs+=("${CASE[@]}")
    pod_case "del@${SIZES[$i]}" DEL "s$i" "$RUN/s$i/ns.lst"; sargs+=("${CASE[@]}")
  done
  "$H" "${sargs[@]}" >"$RUN/scale.out" 2>"$RUN/scale.err"
  rc=$?
  [ $rc = 2 ] && { cat "$RUN/scale.err" >&2; broken "scale run"; }
  [ $rc = 1 ] && note "some commands of the scale run exited unexpectedly (bench/tmp/run/scale.err)"
  grep -q '^note' "$RUN/scale.out" && note "scale run stopped at the ${TLIM} s limit after $(awk -F'stopped_after=' '/^note/{print $2}' "$RUN/scale.out") rounds"
  SCALE_OK=1
  # GC: every pre-populated pod of the largest network is stale (empty valid-attachments)
  GC_BEFORE=$(endpoints s2)
  log "GC of the $SMAX-pod network ($GC_BEFORE endpoints)"
  "$H" -n 1 -w 0 -c gc -e CNI_COMMAND=GC -e CNI_CONTAINERID= -e CNI_NETNS= -e CNI_IFNAME= -e CNI_ARGS= \
    -e "CNI_PATH=$BIN" -e "WINCNI_HNS=sim:$RUN/s2/hns" -i "$RUN/s2/gc.json" -a "$FLANNEL" >"$RUN/gc.out" 2>"$RUN/gc.err"
  GC_RC=$?
  [ $GC_RC = 2 ] && { cat "$RUN/gc.err" >&2; broken "GC run"; }
  GC_US=$(awk -F'\t' '/^case/{for(i=2;i<=NF;i++) if ($i ~ /^med_us=/) print substr($i,8)}' "$RUN/gc.out")
  GC_LEFT=$(endpoints s2)
  [ $GC_RC = 1 ] && note "GC exited with an error: $(head -c 300 "$RUN/gc.err" | tr '\n' ' ')"
fi

T_SCALE=$(($(date +%s) - T0 - T_SETUP - T_MAIN))
# ---------------------------------------------------------------- 3. throughput
TP_OK=0
if [ $HAVE_POD = 1 ]; then
  log "3/3 throughput: $TPN pod ADDs then DELs, $TPJ in flight"
  targs=(-n "$TPN" -w 0 -j "$TPJ" -R "$RUN/tp.raw")
  pod_case tp-add ADD tp "$RUN/tp/ns.lst"; targs+=("${CASE[@]}")
  pod_case tp-del DEL tp "$RUN/tp/ns.lst"; targs+=("${CASE[@]}")
  "$H" "${targs[@]}" >"$RUN/tp.out" 2>"$RUN/tp.err"
  rc=$?
  [ $rc = 2 ] && { cat "$RUN/tp.err" >&2; broken "throughput run"; }
  [ $rc = 1 ] && note "some commands of the throughput run exited unexpectedly (bench/tmp/run/tp.err)"
  TP_LEFT=$(endpoints tp)
  TP_OK=1
fi

T_TP=$(($(date +%s) - T0 - T_SETUP - T_MAIN - T_SCALE))
# ---------------------------------------------------------------- 4. storage: tmpfs and disk, alternating and bursts
# Each storage has a node of its own whose whole state (HNS database, host-local store, flannel's dataDir) lives
# there, and a Go host-local store next to it. Alternating: one interleaved harness run of all eight commands per
# round. Bursts: per round, BURST ADDs of new pods, then their DELs, on each storage, and the same for the peer.
STORE_OK=0
STORES=()
[ -n "$TMPFS" ] && STORES+=(tmpfs) || note "tmpfs not measured: /dev/shm is not a tmpfs and none could be mounted"
STORES+=(disk)
store_dir() { if [ "$1" = tmpfs ]; then echo "$TMPFS/state"; else echo "$RUN/disk/state"; fi; }
if [ $HAVE_POD = 1 ] && [ $HAVE_PEER = 1 ]; then
  log "4/4 storage: ${STORES[*]}, $STN alternating rounds and $BROUNDS bursts of $BURST pods each"
  sok=1
  for st in "${STORES[@]}"; do
    d=$(store_dir "$st")
    mkdir -p "$d"
    # the node's directories are RUN/<name>: make the name a link to the storage
    ln -sfn "$d" "$RUN/st-$st"
    mknet "st-$st" "st-$st" host-gw 10.246.$([ "$st" = tmpfs ] && echo 0 || echo 16).1/20 || sok=0
    namespaces "st-$st" "$RUN/st-$st/ns.lst" $((STN + W)) && namespaces "st-$st" "$RUN/st-$st/burst.ns" "$BURST" || sok=0
    for ((i = 0; i < BROUNDS; i++)); do cat "$RUN/st-$st/burst.ns"; done >"$RUN/st-$st/bursts.lst"
    printf '{"cniVersion":"1.0.0","name":"wincni-bench-peer","type":"bridge","ipam":{"type":"host-local","subnet":"10.247.0.0/16","dataDir":"%s"}}' \
      "$d/peer-ipam" >"$d/peer.json"
  done
  if [ $sok = 1 ]; then
    peer_case() { # peer_case LABEL COMMAND STORAGE
      CASE=(-c "$1" -e "CNI_COMMAND=$2" -e "CNI_CONTAINERID=${CID_BASE}7{k}" -e CNI_NETNS=/run/netns/bench
        -e CNI_IFNAME=eth0 -e "CNI_PATH=${PEER%/*}" -i "$(store_dir "$3")/peer.json" -a "$PEER")
    }
    aargs=(-n "$STN" -w "$W" -T "$TLIM" -R "$RUN/store.raw")
    for st in "${STORES[@]}"; do
      aargs+=(-b "hl-add-$st")
      pod_case "add-$st" ADD "st-$st" "$RUN/st-$st/ns.lst"; aargs+=("${CASE[@]}")
      pod_case "del-$st" DEL "st-$st" "$RUN/st-$st/ns.lst"; aargs+=("${CASE[@]}")
      peer_case "hl-add-$st" ADD "$st"; aargs+=("${CASE[@]}")
      peer_case "hl-del-$st" DEL "$st"; aargs+=("${CASE[@]}")
    done
    "$H" "${aargs[@]}" >"$RUN/store.out" 2>"$RUN/store.err"
    rc=$?
    [ $rc = 2 ] && { cat "$RUN/store.err" >&2; broken "storage run"; }
    [ $rc = 1 ] && note "some commands of the storage run exited unexpectedly (bench/tmp/run/store.err)"
    # bursts: one harness run per burst, BURST rounds of one command; raw lines are "label round us rss code"
    : >"$RUN/burst.raw"
    for ((r = 0; r < BROUNDS; r++)); do
      for st in "${STORES[@]}"; do
        for cmd in ADD DEL; do
          pod_case "burst-${cmd,,}-$st" "$cmd" "st-$st" "$RUN/st-$st/bursts.lst"
          "$H" -n "$BURST" -w 0 -k $((50000 + r * BURST)) -R "$RUN/b.raw" "${CASE[@]}" >/dev/null 2>>"$RUN/burst.err" ||
            note "a $cmd burst on $st had failures (bench/tmp/run/burst.err)"
          awk -v r="$r" '{ print $1 "\t" r "\t" $3 }' "$RUN/b.raw" >>"$RUN/burst.raw"
        done
        for cmd in ADD DEL; do
          peer_case "burst-hl-${cmd,,}-$st" "$cmd" "$st"
          "$H" -n "$BURST" -w 0 -k $((50000 + r * BURST)) -R "$RUN/b.raw" "${CASE[@]}" >/dev/null 2>>"$RUN/burst.err" ||
            note "a peer $cmd burst on $st had failures (bench/tmp/run/burst.err)"
          awk -v r="$r" '{ print $1 "\t" r "\t" $3 }' "$RUN/b.raw" >>"$RUN/burst.raw"
        done
      done
    done
    STORE_OK=1
  else
    note "storage section not measured: setting up its nodes failed"
  fi
else
  note "storage section not measured: needs a working pod ADD and the Go host-local"
fi
# burst_med LABEL [ROUND]: median over all execs (of one burst round); burst_ratio A B: median over rounds of
# (median A ÷ median B) in the round
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
burst_med() { awk -F'\t' -v l="$1" -v r="${2:-}" '$1 == l && (r == "" || $2 == r) { print $3 }' "$RUN/burst.raw" | median; }
burst_ratio() {
  local r a b
  for ((r = 0; r < BROUNDS; r++)); do
    a=$(burst_med "$1" "$r") b=$(burst_med "$2" "$r")
    [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'
  done | median
}
T_STORE=$(($(date +%s) - T0 - T_SETUP - T_MAIN - T_SCALE - T_TP))
# ---------------------------------------------------------------- report
# get FILE KIND LABEL KEY [BASE]: one field of the harness output
get() {
  awk -F'\t' -v kind="$2" -v label="$3" -v key="$4" -v base="${5:-}" '
    $1 == kind { delete f; for (i = 2; i <= NF; i++) { p = index($i, "="); f[substr($i, 1, p - 1)] = substr($i, p + 1) }
      if (f["label"] == label && (base == "" || f["base"] == base)) { print f[key]; exit } }' "$1"
}
ms() { [ -n "$1" ] && awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }' || echo "—"; }
x() { [ -n "$1" ] && awk -v r="$1" 'BEGIN { printf "%.2f×", r }' || echo "—"; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }' || echo "—"; }
# verdict VALUE OP LIMIT: PASS/FAIL, or "not measured"
verdict() { [ -z "$1" ] && { echo "not measured"; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v < l; print ok ? "**PASS**" : "**FAIL**" }'; }

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(uname -srm), $(nproc) cores, ${CPU:-unknown CPU}, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
M=$RUN/main.out
label_of() {
  case $1 in
    noop) echo "static C no-op (the floor)" ;;
    version) echo "\`wincni\` VERSION" ;;
    l2-add) echo "pod ADD: flannel → L2Bridge (host-gw), host-local, simulator" ;;
    l2-del) echo "pod DEL: flannel → L2Bridge" ;;
    ov-add) echo "pod ADD: flannel → Overlay (vxlan)" ;;
    ov-del) echo "pod DEL: flannel → Overlay" ;;
    l2-check) echo "pod CHECK: flannel → L2Bridge (prevResult)" ;;
    hl-add) echo "Go host-local ADD alone (the peer)" ;;
    hl-del) echo "Go host-local DEL (between rounds)" ;;
    *) echo "$1" ;;
  esac
}
fails() { local f; f=$(get "$1" case "$2" fail); [ -n "$f" ] && [ "$f" != 0 ] && echo " (**$f failed**)"; }

{
  echo "# wincni benchmark"
  echo
  echo "Machine: $MACHINE. Tree: \`$REV\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "Medians over the measured execs of one interleaved run (every round runs each command once, in table order;"
  echo "ratios are medians of per-round ratios, so machine drift cancels). Wall time from spawn to reap; peak RSS from"
  echo "the kernel's accounting of the child (never below the harness's own ~1.5 MiB, which the child shares until exec)."
  echo
  echo "| command | n | median | p90 | p99 | × C no-op | × Go host-local ADD | peak RSS |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for c in noop version l2-add l2-del ov-add ov-del l2-check hl-add hl-del; do
    n=$(get "$M" case "$c" n)
    [ -z "$n" ] && continue
    echo "| $(label_of "$c")$(fails "$M" "$c") | $n | $(ms "$(get "$M" case "$c" med_us)") | $(ms "$(get "$M" case "$c" p90_us)") |" \
      "$(ms "$(get "$M" case "$c" p99_us)") | $(x "$(get "$M" ratio "$c" med noop)") | $(x "$(get "$M" ratio "$c" med hl-add)") |" \
      "$(mib "$(get "$M" case "$c" rss_max_kib)") |"
  done
  echo
  echo "Where the time goes (medians per exec, same run): CPU is user + system time of the child; faults are minor"
  echo "page faults (memory touched); read/write calls and bytes from the kernel's I/O accounting; storage writes are"
  echo "bytes the child sent to the block layer."
  echo
  echo "| command | CPU | minor faults | context switches | read calls | write calls | bytes read | bytes written | storage writes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in noop version l2-add l2-del ov-add ov-del l2-check hl-add hl-del; do
    [ -z "$(get "$M" detail "$c" cpu_us)" ] && continue
    echo "| $c | $(ms "$(get "$M" detail "$c" cpu_us)") | $(get "$M" detail "$c" minflt) | $(get "$M" detail "$c" csw) |" \
      "$(get "$M" detail "$c" syscr) | $(get "$M" detail "$c" syscw) | $(get "$M" detail "$c" rchar) | $(get "$M" detail "$c" wchar) |" \
      "$(get "$M" detail "$c" wbytes) |"
  done
  if [ $SCALE_OK = 1 ]; then
    S=$RUN/scale.out
    echo
    echo "## Scale: existing pods on the L2Bridge network (interleaved, ratios per round against 10 pods)"
    echo
    echo "| existing pods | n | ADD median | ADD p90 | ADD ÷ ADD@10 | DEL median | DEL p90 | DEL ÷ DEL@10 | ADD peak RSS | ADD CPU | ADD bytes read | ADD read calls |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in "${SIZES[@]}"; do
      echo "| $s$(fails "$S" "add@$s")$(fails "$S" "del@$s") | $(get "$S" case "add@$s" n) | $(ms "$(get "$S" case "add@$s" med_us)") | $(ms "$(get "$S" case "add@$s" p90_us)") |" \
        "$(x "$(get "$S" ratio "add@$s" med add@10)") | $(ms "$(get "$S" case "del@$s" med_us)") | $(ms "$(get "$S" case "del@$s" p90_us)") |" \
        "$(x "$(get "$S" ratio "del@$s" med del@10)") | $(mib "$(get "$S" case "add@$s" rss_max_kib)") |" \
        "$(ms "$(get "$S" detail "add@$s" cpu_us)") | $(get "$S" detail "add@$s" rchar) | $(get "$S" detail "add@$s" syscr) |"
    done
    echo
    echo "GC (cniVersion 1.1.0, empty \`cni.dev/valid-attachments\`) on the network with $GC_BEFORE endpoints (pods + flannel's host endpoint):" \
      "$(ms "$GC_US"), exit $([ "$GC_RC" = 0 ] && echo 0 || echo "≠ 0"), $GC_LEFT endpoints left."
  fi
  if [ $TP_OK = 1 ]; then
    T=$RUN/tp.out
    echo
    echo "## Throughput: $TPN pods, $TPJ in flight (L2Bridge)"
    echo
    echo "| phase | pods | wall | pods/s | median | p99 | max |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for c in tp-add tp-del; do
      echo "| ${c#tp-}$(fails "$T" "$c") | $(get "$T" phase "$c" n) | $(ms "$(get "$T" phase "$c" wall_us)") | $(get "$T" phase "$c" per_s) |" \
        "$(ms "$(get "$T" case "$c" med_us)") | $(ms "$(get "$T" case "$c" p99_us)") | $(ms "$(get "$T" case "$c" max_us)") |"
    done
    echo
    echo "Endpoints left on the network after the DELs: $TP_LEFT (flannel's host endpoint counts as one)."
  fi
  if [ $STORE_OK = 1 ]; then
    A=$RUN/store.out
    echo
    echo "## Storage: the node's state on tmpfs and on the repository's disk"
    echo
    echo "Pod ADD/DEL (flannel → L2Bridge, host-local, simulator) and the Go host-local with its store on the same"
    echo "storage. Alternating: ADD then DEL of a new pod every round, interleaved with the others ($STN rounds)."
    echo "Bursts: $BURST ADDs of new pods, then their $BURST DELs, $BROUNDS times; ratios are medians of per-burst ratios."
    echo "Disk: $(df -P "$RUN" | awk 'NR == 2 { print $1 }') ($(stat -f -c %T "$RUN")) under bench/tmp."
    echo
    echo "| storage | pattern | ADD median | DEL median | Go host-local ADD | Go host-local DEL | ADD ÷ Go ADD | DEL ÷ Go ADD |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for st in "${STORES[@]}"; do
      echo "| $st | alternating$(fails "$A" "add-$st")$(fails "$A" "del-$st") | $(ms "$(get "$A" case "add-$st" med_us)") |" \
        "$(ms "$(get "$A" case "del-$st" med_us)") | $(ms "$(get "$A" case "hl-add-$st" med_us)") | $(ms "$(get "$A" case "hl-del-$st" med_us)") |" \
        "$(x "$(get "$A" ratio "add-$st" med "hl-add-$st")") | $(x "$(get "$A" ratio "del-$st" med "hl-add-$st")") |"
      echo "| $st | bursts of $BURST | $(ms "$(burst_med "burst-add-$st")") | $(ms "$(burst_med "burst-del-$st")") |" \
        "$(ms "$(burst_med "burst-hl-add-$st")") | $(ms "$(burst_med "burst-hl-del-$st")") |" \
        "$(x "$(burst_ratio "burst-add-$st" "burst-hl-add-$st")") | $(x "$(burst_ratio "burst-del-$st" "burst-hl-add-$st")") |"
    done
  fi
  echo
  echo "## Targets"
  echo
  echo "| target | measured | limit | verdict |"
  echo "|---|---:|---:|---|"
  r=$(get "$M" ratio version med noop)
  [ $PLACEHOLDER = 1 ] && r=
  echo "| \`wincni\` VERSION ÷ C no-op | $(x "$r") | ≤ 2.00× | $(verdict "$r" '<=' 2.0) |"
  for c in l2-add l2-del; do
    w=ADD; [ $c = l2-del ] && w=DEL
    r=$(get "$M" ratio $c med hl-add)
    echo "| full $w (flannel → L2Bridge) ÷ Go host-local ADD | $(x "$r") | ≤ 0.60× | $(verdict "$r" '<=' 0.6) |"
    r=$(get "$M" ratio $c med noop)
    echo "| full $w (flannel → L2Bridge) ÷ C no-op | $(x "$r") | ≤ 5.00× | $(verdict "$r" '<=' 5.0) |"
  done
  r=; [ $SCALE_OK = 1 ] && [ "$SMAX" = 1000 ] && r=$(get "$RUN/scale.out" ratio add@1000 med add@10)
  echo "| ADD at 1,000 existing ÷ ADD at 10 | $(x "$r") | ≤ 1.20× | $(verdict "$r" '<=' 1.2) |"
  r=; [ $SCALE_OK = 1 ] && [ "$SMAX" = 1000 ] && [ "$GC_RC" = 0 ] && [ "$GC_LEFT" -le 1 ] 2>/dev/null && r=$GC_US
  echo "| GC of 1,000 stale endpoints | $(ms "$r") | < 1000 ms | $(verdict "$r" '<' 1000000) |"
  if [ $STORE_OK = 1 ]; then
    for st in "${STORES[@]}"; do
      lim=0.6; [ "$st" = disk ] && lim=1.0
      r=$(get "$RUN/store.out" ratio "add-$st" med "hl-add-$st")
      echo "| ADD ÷ Go host-local ADD, state on $st, alternating | $(x "$r") | ≤ ${lim}0× | $(verdict "$r" '<=' "$lim") |"
      r=$(burst_ratio "burst-add-$st" "burst-hl-add-$st")
      echo "| ADD ÷ Go host-local ADD, state on $st, bursts of $BURST | $(x "$r") | ≤ ${lim}0× | $(verdict "$r" '<=' "$lim") |"
    done
  fi
  r=$(get "$M" case l2-add rss_max_kib)
  echo "| peak RSS of an ADD | $(mib "$r") | ≤ 6.0 MiB | $(verdict "$r" '<=' 6144) |"
  echo
  echo "Configs: flannel → \`win-bridge\` with v1-shaped policies (host-gw) and flannel → \`sdnoverlay\` with v2-shaped"
  echo "\`AdditionalArgs\` (vxlan), as published flannel-on-Windows manifests install them, cniVersion 1.0.0 (CHECK needs ≥ 0.4.0),"
  echo "runtimeConfig.dns as containerd passes it. Each round has a fresh container ID and its own HCN namespace"
  echo "($NSCOUNT created up front with \`hnsctl namespace create\`; the round's L2Bridge pod and then its Overlay pod use it,"
  echo "both networks being on one simulated node); ADD k is followed by DEL k so state stays bounded. Scale and throughput"
  echo "networks each have a simulated node of their own."
  echo "The peer is Debian's Go host-local run as the IPAM plugin alone, with its DEL between rounds."
  if [ ${#notes[@]} -gt 0 ]; then
    echo
    echo "Notes and what was not measured:"
    for n in "${notes[@]}"; do echo "- $n"; done
  fi
  echo
  echo "Whole run: $(($(date +%s) - T0)) s (build and setup $T_SETUP s, interleaved $T_MAIN s, scale and GC $T_SCALE s, throughput $T_TP s, storage $T_STORE s)."
} >"$RUN/report.md"

cp "$RUN/report.md" "$OUT"
cat "$RUN/report.md"
exit 0
