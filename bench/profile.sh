#!/usr/bin/env bash
# Where a pod ADD spends its work, counted in instructions (repeatable on a noisy, shared machine):
#   - the instruction count of wincni VERSION, a pod ADD, DEL and CHECK (flannel -> L2Bridge, host-local, simulator),
#     with the top functions by own and by inclusive cost;
#   - the same ADD on a network that already holds 1,000 pods (anything linear in the pod count shows here);
#   - the system calls of one ADD by kind, the files it opens and how often.
#
#   bench/profile.sh        after `make build`; writes bench/profile-latest.md (details in bench/tmp/profile/)
#
# Knobs: BENCH_BIN (bin/), PROFILE_OUT (bench/profile-latest.md), PROFILE_TOP functions per list (25),
# PROFILE_PODS existing pods for the large point (1000).
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/bin}
OUT=${PROFILE_OUT:-$ROOT/bench/profile-latest.md}
TOP=${PROFILE_TOP:-25}
PODS=${PROFILE_PODS:-1000}
RUN=$ROOT/bench/tmp/profile
BUILD=$ROOT/.build-bench
HNSCTL=$BIN/hnsctl
FLANNEL=$BIN/flannel
WINCNI=$BIN/wincni

command -v valgrind >/dev/null || { echo "profile: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
mkdir -p "$BUILD"
cc -O2 -Wall -o "$BUILD/harness" "$ROOT/bench/harness.c" -lm || exit 2
rm -rf "$RUN"
mkdir -p "$RUN"
. "$ROOT/bench/lib.sh"

# Swift symbol names, readable when the toolchain's demangler is around
DEMANGLE=cat
if command -v swift-demangle >/dev/null; then DEMANGLE="swift-demangle --simplified"
elif command -v swift >/dev/null && swift demangle --help >/dev/null 2>&1; then DEMANGLE="swift demangle --simplified"; fi

# pod_env NODE COMMAND CID NS: the environment containerd gives the plugin
pod_env() {
  ENV=(CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_NETNS="$4" CNI_IFNAME=eth0 CNI_PATH="$BIN"
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=$3;K8S_POD_INFRA_CONTAINER_ID=$3"
    WINCNI_HNS="sim:$RUN/$1/hns" PATH=/usr/bin:/bin)
}

# callgrind NAME STDIN PROGRAM: profile one exec with ENV; prints the total instruction count
callgrind() {
  env -i "${ENV[@]}" valgrind --tool=callgrind --callgrind-out-file="$RUN/$1.cg" "$3" <"$2" >"$RUN/$1.stdout" 2>"$RUN/$1.log"
  echo $? >"$RUN/$1.rc"
  awk '/^summary:|^totals:/ { print $2; exit }' "$RUN/$1.cg"
}

# top NAME inclusive|self: the heaviest functions of a profile as markdown rows
top() {
  local inc=no
  [ "$2" = inclusive ] && inc=yes
  callgrind_annotate --inclusive=$inc --threshold=100 "$RUN/$1.cg" 2>/dev/null | grep -v 'PROGRAM TOTALS' |
    sed -nE 's/^ *([0-9,]+) +\( *([0-9.]+)%\) +(.*)$/\1\t\2\t\3/p' | $DEMANGLE |
    sed -E "s#\t($ROOT/)?(Sources/[^:]*|//<compiler-generated>|\?\?\?):#\t#; s/ \[[^]]*\]$//; s/\|/\\\\|/g" |
    awk -F'\t' '$3 !~ /^\(below main\)/ && !seen[$3]++ { printf "| %s | %s%% | %s |\n", $1, $2, substr($3, 1, 160) }' |
    head -n "$TOP"
}

ok=1
mknet p10 p10 host-gw 10.243.0.1/20 || ok=0
mknet pbig pbig host-gw 10.243.16.1/20 || ok=0
[ $ok = 1 ] || { echo "profile: 'hnsctl flannel up' failed: $(cat "$RUN"/p10/up.log)" >&2; exit 2; }
namespaces p10 "$RUN/p10/pre.lst" 10 && namespaces p10 "$RUN/p10/ns.lst" 4 &&
  namespaces pbig "$RUN/pbig/pre.lst" "$PODS" && namespaces pbig "$RUN/pbig/ns.lst" 4 || exit 2
for id in p10 pbig; do
  n=$(wc -l <"$RUN/$id/pre.lst")
  pod_case pre ADD "$id" "$RUN/$id/pre.lst"
  "$BUILD/harness" -n "$n" -w 0 -k 100000 -j 2 "${CASE[@]}" >"$RUN/$id/pre.out" 2>"$RUN/$id/pre.err" ||
    echo "profile: pre-populating $id had failures: $(head -c 300 "$RUN/$id/pre.err")" >&2
done
ns() { sed -n "$2p" "$RUN/$1/ns.lst"; }
CID=5eed0000aaaabbbbccccddddeeeeffff0000111122223333444455556666

# warm the page cache and the simulator's state with one pod ADD/DEL first (not profiled)
pod_env p10 ADD warm "$(ns p10 4)"; env -i "${ENV[@]}" "$FLANNEL" <"$RUN/p10/conf.json" >/dev/null 2>&1
pod_env p10 DEL warm "$(ns p10 4)"; env -i "${ENV[@]}" "$FLANNEL" <"$RUN/p10/conf.json" >/dev/null 2>&1

printf '{"cniVersion":"1.1.0"}' >"$RUN/version.json"
ENV=(CNI_COMMAND=VERSION); I_VERSION=$(callgrind version "$RUN/version.json" "$WINCNI")
pod_env p10 ADD "${CID}01" "$(ns p10 1)"; I_ADD=$(callgrind add "$RUN/p10/conf.json" "$FLANNEL")
conf=$(cat "$RUN/p10/conf.json")
printf '%s,"prevResult":%s}' "${conf%\}}" "$(cat "$RUN/add.stdout")" >"$RUN/p10/check.json"
pod_env p10 CHECK "${CID}01" "$(ns p10 1)"; I_CHECK=$(callgrind check "$RUN/p10/check.json" "$FLANNEL")
pod_env p10 DEL "${CID}01" "$(ns p10 1)"; I_DEL=$(callgrind del "$RUN/p10/conf.json" "$FLANNEL")
pod_env pbig ADD "${CID}02" "$(ns pbig 1)"; I_ADDBIG=$(callgrind addbig "$RUN/pbig/conf.json" "$FLANNEL")
pod_env pbig DEL "${CID}02" "$(ns pbig 1)"; I_DELBIG=$(callgrind delbig "$RUN/pbig/conf.json" "$FLANNEL")

# system calls of one ADD (and of one DEL), by kind, and the files they name
pod_env p10 ADD "${CID}03" "$(ns p10 2)"
env -i "${ENV[@]}" valgrind --tool=none --trace-syscalls=yes "$FLANNEL" <"$RUN/p10/conf.json" >"$RUN/sys-add.stdout" 2>"$RUN/sys-add.log"
pod_env p10 DEL "${CID}03" "$(ns p10 2)"
env -i "${ENV[@]}" valgrind --tool=none --trace-syscalls=yes "$FLANNEL" <"$RUN/p10/conf.json" >"$RUN/sys-del.stdout" 2>"$RUN/sys-del.log"
syscalls() { sed -nE 's/^SYSCALL\[[0-9,]+\]\([0-9]+\) +(sys_)?([A-Za-z0-9_]+).*/\2/p' "$RUN/$1.log" | sort | uniq -c | sort -rn |
  awk '{ printf "%s %s, ", $2, $1 } END { print "" }' | sed 's/, $//'; }
paths() { grep '^SYSCALL' "$RUN/$1.log" | grep -oE '\((/[^)]*)\)' | sort | uniq -c | sort -rn | sed -E "s#$ROOT/##g; s#\(|\)##g" |
  awk '{ printf "| %s | %s |\n", $2, $1 }' | head -40; }
nsys() { grep -c '^SYSCALL\[' "$RUN/$1.log"; }

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == 0) print "—"; else printf "%.2f×", b / a }'; }
num() { [ -n "$1" ] && echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' || echo "—"; }
rcs() { for n in version add check del addbig delbig; do printf '%s exit %s; ' "$n" "$(cat "$RUN/$n.rc")"; done; }

{
  echo "# wincni profile (instruction counts)"
  echo
  echo "Machine: $(uname -srm), $(nproc) cores. Tree: \`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Counted by valgrind's callgrind (instructions executed in user space: exec, page faults and the kernel side of"
  echo "system calls are not in these numbers, which is why the wall-time table in latest.md matters too). Exit codes: $(rcs)"
  echo
  echo "| command | instructions | ÷ VERSION |"
  echo "|---|---:|---:|"
  echo "| \`wincni\` VERSION | $(num "$I_VERSION") | 1.00× |"
  echo "| pod ADD, flannel → L2Bridge, 10 pods on the network | $(num "$I_ADD") | $(pct "$I_VERSION" "$I_ADD") |"
  echo "| pod CHECK (prevResult) | $(num "$I_CHECK") | $(pct "$I_VERSION" "$I_CHECK") |"
  echo "| pod DEL, 10 pods on the network | $(num "$I_DEL") | $(pct "$I_VERSION" "$I_DEL") |"
  echo "| pod ADD, $PODS pods on the network | $(num "$I_ADDBIG") | $(pct "$I_VERSION" "$I_ADDBIG") |"
  echo "| pod DEL, $PODS pods on the network | $(num "$I_DELBIG") | $(pct "$I_VERSION" "$I_DELBIG") |"
  echo
  echo "ADD at $PODS pods ÷ ADD at 10: $(pct "$I_ADD" "$I_ADDBIG") in instructions; DEL: $(pct "$I_DEL" "$I_DELBIG")."
  for p in add addbig del; do
    for kind in self inclusive; do
      echo
      echo "## $p: top $TOP functions by $kind cost"
      echo
      echo "| instructions | share | function |"
      echo "|---:|---:|---|"
      top "$p" "$kind"
    done
  done
  echo
  echo "## System calls of one ADD ($(nsys sys-add) in all)"
  echo
  syscalls sys-add
  echo
  echo "| path named | times |"
  echo "|---|---:|"
  paths sys-add
  echo
  echo "## System calls of one DEL ($(nsys sys-del) in all)"
  echo
  syscalls sys-del
  echo
  echo "| path named | times |"
  echo "|---|---:|"
  paths sys-del
} >"$RUN/profile.md"
cp "$RUN/profile.md" "$OUT"
cat "$RUN/profile.md"
