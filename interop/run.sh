#!/usr/bin/env bash
# Interop test: wincni driven by a real libcni runtime and sharing IPAM state with the real Go host-local.
#
#   sudo interop/run.sh            # from the repository root; `make interop` runs exactly this
#
# What it uses, all from Debian (installed with apt-get when missing): golang-go, golang-github-appc-cni-dev
# (libcni 1.1.2, the library containerd/CRI-O embed; spec <= 1.0.0) for interop/cnirun, and
# containernetworking-plugins (/usr/lib/cni/host-local). wincni and hnsctl come from bin/ (`make build` when
# missing) and run against HNS simulators in a temporary directory (WINCNI_HNS=sim:DIR).
#
# The configs from conf/ run as shipped (only cniVersion, and flannel's subnetFile and dataDir change), so
# their pods' IPs land in host-local's default dataDir, /var/lib/cni/networks. To leave the machine's state
# alone the test runs in a private mount namespace with a tmpfs on /var/lib/cni; where that is not possible it
# points host-local elsewhere: `ipam.dataDir` in plain configs, flannel's "ipam" object in flannel ones (wincni
# merges it into the delegate's IPAM, as the Linux flannel plugin does). Prints one line per check and ends with
# "N passed, M failed"; exits 1 on any failure.
#
# Environment: WINCNI_BIN (default ./bin), INTEROP_BUILD (default ./.build-interop), INTEROP_KEEP=1 keeps the
# temporary directory for inspection.
# Checks are shell expressions that `need` evaluates, so variables they read look unused to shellcheck.
# shellcheck disable=SC2034,SC2016
set -Eeuo pipefail

ROOT=$PWD
BIN=${WINCNI_BIN:-$ROOT/bin}
BUILD=${INTEROP_BUILD:-$ROOT/.build-interop}
CNIRUN=$BUILD/cnirun
GO_HOST_LOCAL=/usr/lib/cni/host-local
HOST_LOCAL_DATA=/var/lib/cni/networks # host-local's default dataDir, which flannel's delegate uses
# 0.3.1, 0.4.0, 1.0.0: the result shapes of the spec (1.1.0 only by direct exec, below: libcni 1.1.2 stops at
# 1.0.0); 0.2.0: what the sig-windows-tools flannel configs for containerd say, and flannel's default.
VERSIONS=(0.2.0 0.3.1 0.4.0 1.0.0)
POD_SUBNET=10.244.1.0/24              # the node's flannel lease in every subnet.env written here
POD_CAPABILITIES='{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local","svc.cluster.local"]}}'

die() {
    echo "interop: $*" >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------------------------
# Setup: packages, the client, the plugin, a private /var/lib/cni

install_packages() {
    local -a missing=()
    command -v go >/dev/null || missing+=(golang-go)
    [[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ]] ||
        missing+=(golang-github-appc-cni-dev)
    [[ -x $GO_HOST_LOCAL ]] || missing+=(containernetworking-plugins)
    command -v jq >/dev/null || missing+=(jq)
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    echo "interop: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_client() {
    local src=$ROOT/interop/cnirun
    mkdir -p "$BUILD"
    if [[ ! -x $CNIRUN || $src/main.go -nt $CNIRUN ]]; then
        # GOPATH mode against Debian's source tree: offline, no module download.
        (cd "$src" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOCACHE="$BUILD/gocache" \
            go build -o "$CNIRUN" .)
    fi
}

ensure_plugin() {
    if [[ ! -x $BIN/wincni || ! -x $BIN/hnsctl ]]; then
        [[ -z ${WINCNI_BIN:-} ]] || die "WINCNI_BIN=$BIN has no wincni/hnsctl"
        make -C "$ROOT" build
    fi
    local name
    for name in wincni hnsctl win-bridge win-overlay flannel; do
        [[ -x $BIN/$name ]] || die "$BIN/$name is missing: run make build"
    done
}

outer() {
    [[ $(id -u) == 0 ]] || die "run as root (it installs packages and mounts a private /var/lib/cni)"
    [[ -f $ROOT/Package.swift && -d $ROOT/interop ]] || die "run from the repository root"
    install_packages
    build_client
    ensure_plugin
    echo "interop: libcni $(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev)," \
        "host-local $(dpkg-query -W -f='${Version}' containernetworking-plugins), $(go version | cut -d' ' -f3)"
    if unshare --mount --propagation private true 2>/dev/null; then
        local created=
        [[ -d /var/lib/cni ]] || { mkdir -p /var/lib/cni && created=1; }
        local rc=0
        unshare --mount --propagation private \
            env INTEROP_INNER=private bash "$ROOT/interop/run.sh" || rc=$?
        [[ -z $created ]] || rmdir /var/lib/cni 2>/dev/null || true
        exit "$rc"
    fi
    echo "interop: no private mount namespace here: flannel's host-local gets a temporary dataDir"
    INTEROP_INNER=shared exec bash "$ROOT/interop/run.sh"
}

# ---------------------------------------------------------------------------------------------------------------
# Reporting: one line per check, each check made of conditions evaluated in the caller's context

PASSED=0
FAILED=0
STEP=
PROBLEMS=()

begin() {
    STEP=$1
    PROBLEMS=()
}

# need DESCRIPTION EXPRESSION — EXPRESSION is evaluated as shell; a false one records DESCRIPTION.
need() {
    if ! eval "$2" >/dev/null 2>&1; then
        PROBLEMS+=("$1")
    fi
}

end() {
    if ((${#PROBLEMS[@]} == 0)); then
        PASSED=$((PASSED + 1))
        printf 'PASS  %s\n' "$STEP"
        return 0
    fi
    FAILED=$((FAILED + 1))
    printf 'FAIL  %s\n' "$STEP"
    local problem
    for problem in "${PROBLEMS[@]}"; do
        printf '        - %s\n' "$problem"
    done
    [[ -z ${OUT:-} ]] || printf '        stdout: %.600s\n' "$(tr '\n' ' ' <<<"$OUT")"
    [[ ! -s $T/stderr ]] || printf '        stderr: %.600s\n' "$(tr '\n' ' ' <"$T/stderr")"
    return 0
}

# ---------------------------------------------------------------------------------------------------------------
# Ways of running a plugin. Each sets OUT (stdout) and RC (exit code); stderr goes to $T/stderr.

# lib VERB CONFIG [cnirun options…] — the libcni runtime, whose environment (WINCNI_HNS included) reaches the
# plugins it execs. $TRACE then holds one line per plugin exec it made.
lib() {
    local verb=$1 config=$2
    shift 2
    : >"$TRACE"
    RC=0
    OUT=$(WINCNI_HNS="sim:$SIM" "$CNIRUN" -path "$PLUGIN_PATH" -cache "$CACHE" -trace "$TRACE" "$@" "$verb" "$config" \
        2>"$T/stderr") ||
        RC=$?
}

# direct COMMAND CONFIG-JSON [VAR=VALUE…] — exec bin/<type> with CNI_* env as a runtime would for GC/STATUS.
direct() {
    local command=$1 config=$2
    shift 2
    local type
    type=$(jq -r .type <<<"$config")
    RC=0
    OUT=$(env CNI_COMMAND="$command" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME= CNI_ARGS= CNI_PATH="$PLUGIN_PATH" \
        WINCNI_HNS="sim:$SIM" "$@" "$BIN/$type" <<<"$config" 2>"$T/stderr") || RC=$?
}

hns() { "$BIN/hnsctl" --sim "$SIM" "$@"; }

# ---------------------------------------------------------------------------------------------------------------
# Small predicates used in need expressions

container_id() { printf '%s' "$1" | sha256sum | cut -c1-64; } # 64 hex digits, like containerd's IDs
cache_file() { printf '%s/results/%s-%s-eth0' "$CACHE" "$1" "$2"; }
first_ip() { jq -c 'if has("ips") then .ips[0] else {address: .ip4.ip, gateway: .ip4.gateway} end' <<<"$1"; } # 0.2.0: ip4
result_ip() { first_ip "$1" | jq -r '.address | split("/")[0]'; }
result_gateway() { first_ip "$1" | jq -r '.gateway'; }
ip_in_pod_subnet() { [[ $1 =~ ^10\.244\.1\.([0-9]+)$ ]] && ((BASH_REMATCH[1] > 0 && BASH_REMATCH[1] < 255)); }
endpoint_count_with_ip() { hns endpoint list --json | jq --arg ip "$1" '[.[] | select(any(.IpConfigurations[]?; .IpAddress == $ip))] | length'; }
endpoint_id_with_ip() { hns endpoint list --json | jq -r --arg ip "$1" 'first(.[] | select(any(.IpConfigurations[]?; .IpAddress == $ip)) | .Id) // ""'; }
endpoint_names() { hns endpoint list --json | jq -c '[.[].Name] | sort'; }
# reserved DIR NETWORK IP CONTAINERID — host-local's file for IP names CONTAINERID and eth0
reserved() { [[ -f $1/$2/$3 ]] && [[ $(tr -d '\r' <"$1/$2/$3" | sed -n 1p) == "$4" ]] &&
    [[ $(tr -d '\r' <"$1/$2/$3" | sed -n 2p) == eth0 ]]; }
# Reservation files (not the lock or last_reserved_ip.*).
reservations() { find "$1/$2" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | wc -l; }
same_json() { [[ $(jq -S -c . <<<"$1") == "$(jq -S -c . <<<"$2")" ]]; }
trace_count() { jq -s --arg c "$1" '[.[] | select(.command == $c)] | length' "$TRACE"; }
trace_stdin() { jq -s -c --arg c "$1" 'map(select(.command == $c)) | last | .stdin' "$TRACE"; }
trace_stdout() { jq -s -r --arg c "$1" 'map(select(.command == $c)) | last | .stdout' "$TRACE"; }

# ---------------------------------------------------------------------------------------------------------------
# 1. Every config in conf/ (flannel and plain), on the node flanneld would have set up, through libcni

WINCNI_TYPES='["flannel", "win-bridge", "win-overlay", "sdnbridge", "sdnoverlay", "wincni"]'

plugin_type() { # the config's (first wincni) plugin type
    jq -r --argjson t "$WINCNI_TYPES" 'if has("plugins") then first(.plugins[] | select(.type as $x | $t | index($x)))
        else . end | .type' "$1"
}

backend_of() { # host-gw or vxlan, from the plugin type (a flannel config's: its delegate's)
    jq -r --argjson t "$WINCNI_TYPES" 'if has("plugins") then first(.plugins[] | select(.type as $x | $t | index($x)))
        else . end
        | (if .type == "flannel" then (.delegate.type // "win-bridge") else .type end) as $t
        | if ($t == "win-bridge" or $t == "sdnbridge") then "host-gw"
          elif ($t == "win-overlay" or $t == "sdnoverlay") then "vxlan"
          elif $t == "wincni" then (if ((.delegate.mode // .mode // "") | ascii_downcase) == "overlay" then "vxlan" else "host-gw" end)
          else "unknown" end' "$1"
}

# versioned SOURCE VERSION — a temporary copy with that cniVersion, flannel's files under $NODE, and, outside a
# private /var/lib/cni, host-local's dataDir under $NODE too.
versioned() {
    local out
    out=$T/conf/$(basename "${1%.*}")-$2.${1##*.}
    mkdir -p "$T/conf"
    jq --arg v "$2" --arg sf "$NODE/subnet.env" --arg dd "$NODE/flannel" --arg ipam "$IPAM_DATA" --arg mode "$INTEROP_INNER" '
        def local: if .type == "flannel" then .subnetFile = $sf | .dataDir = $dd
                | if $mode == "private" then . else .ipam = ((.ipam // {}) + {dataDir: $ipam}) end
            elif $mode != "private" and has("ipam") then .ipam.dataDir = $ipam
            else . end;
        .cniVersion = $v | if has("plugins") then .plugins |= map(local) else local end' "$1" >"$out"
    printf '%s' "$out"
}

# One pod's life through libcni: ADD, the cache, CHECK, DEL, DEL again.
pod_cycle() {
    local conf=$1 version=$2 backend=$3 net=$4
    local tag cid ns netns ip cached
    tag="$(basename "$SOURCE") $version"
    cid=$(container_id "$tag")
    ns=$(hns namespace create)
    netns=/run/netns/$ns
    # What containerd passes: pod identity in CNI_ARGS, and the capability args that libcni turns into
    # runtimeConfig for the capabilities the config enables (portMappings, dns).
    local -a pod=(-args "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-${version//./-};K8S_POD_INFRA_CONTAINER_ID=$cid"
        -cap "$POD_CAPABILITIES")

    begin "$tag: ADD through libcni returns a parsed $version result with a pod IP"
    lib add "$conf" -id "$cid" -netns "$netns" -verify "${pod[@]}"
    local raw
    raw=$(trace_stdout ADD)
    ip=$(result_ip "$OUT" 2>/dev/null || true)
    need "exit code $RC" '((RC == 0))'
    need "cniVersion is $version" '[[ $(jq -r .cniVersion <<<"$OUT") == "$version" ]]'
    need "the plugin printed cniVersion $version itself" '[[ $(jq -r .cniVersion <<<"$raw") == "$version" ]]'
    case $version in
    1.*) need "1.x ips[] carry no version" 'jq -e "all(.ips[]; has(\"version\") | not)" <<<"$raw"' ;;
    0.3.* | 0.4.*) need "0.3/0.4 ips[] carry version 4" 'jq -e "all(.ips[]; .version == \"4\")" <<<"$raw"' ;;
    *) need "0.1/0.2 result has ip4 and no ips[]" 'jq -e "has(\"ip4\") and (has(\"ips\") | not)" <<<"$raw"' ;;
    esac
    need "IP $ip in $POD_SUBNET" 'ip_in_pod_subnet "$ip"'
    if [[ $backend == host-gw ]]; then
        need "gateway is the .2 of flanneld's ${net}_ep" '[[ $(result_gateway "$OUT") == 10.244.1.2 ]]'
        need "IP is not the .2 of ${net}_ep" '[[ $ip != 10.244.1.2 ]]'
    else
        need "gateway is the network's .1" '[[ $(result_gateway "$OUT") == 10.244.1.1 ]]'
    fi
    need "runtimeConfig.dns reached the result" 'jq -e ".dns.nameservers == [\"10.96.0.10\"]" <<<"$OUT"'
    end
    local added=$OUT

    begin "$tag: after ADD the HNS endpoint, the IP reservation, ${SAVED:+$SAVED, }and the libcni cache exist"
    need "one HNS endpoint has $ip" '[[ $(endpoint_count_with_ip "$ip") == 1 ]]'
    local epid
    epid=$(endpoint_id_with_ip "$ip")
    need "runtimeConfig.portMappings became a PortMapping policy (8080 -> 80/tcp)" 'hns endpoint show "$epid" --json |
        jq -e "any(.Policies[]?; .Type == \"PortMapping\" and .Settings.ExternalPort == 8080 and
            .Settings.InternalPort == 80 and .Settings.Protocol == 6)"'
    need "runtimeConfig.dns is on the endpoint" 'hns endpoint show "$epid" --json | jq -e ".Dns.ServerList == [\"10.96.0.10\"]"'
    need "the endpoint is in namespace $ns" '[[ -n $epid ]] && { hns endpoint show "$epid" --json | grep -qi "$ns" ||
        hns namespace show "$ns" --json | grep -qi "$epid"; }'
    need "host-local reservation $IPAM_DATA/$net/$ip names the container" 'reserved "$IPAM_DATA" "$net" "$ip" "$cid"'
    ((!FLANNEL)) || need "flannel saved the delegate config $NODE/flannel/$cid" '[[ -s $NODE/flannel/$cid ]]'
    need "libcni cache file $(cache_file "$net" "$cid")" '[[ -f $(cache_file "$net" "$cid") ]]'
    lib cached "$conf" -id "$cid"
    cached=$OUT
    need "the cached result equals the ADD result" 'same_json "$cached" "$added"'
    end

    if [[ $version == 0.[123].* ]]; then
        begin "$tag: CHECK is refused by libcni for $version without calling the plugin"
        lib check "$conf" -id "$cid" -netns "$netns"
        need "libcni refused (exit $RC)" '((RC == 1)) && grep -q "does not support the CHECK command" <<<"$OUT"'
        need "no plugin exec" '[[ $(trace_count CHECK) == 0 ]]'
        end
    else
        begin "$tag: CHECK succeeds with the cached result as prevResult"
        lib check "$conf" -id "$cid" -netns "$netns" "${pod[@]}"
        need "exit code $RC" '((RC == 0))'
        need "plugin printed nothing" '[[ -z $(trace_stdout CHECK) ]]'
        need "prevResult is the cached result" 'same_json "$(trace_stdin CHECK | jq -c .prevResult)" "$cached"'
        end
    fi

    begin "$tag: DEL removes the endpoint, the IP reservation, ${SAVED:+$SAVED, }and the libcni cache"
    lib del "$conf" -id "$cid" -netns "$netns" "${pod[@]}"
    need "exit code $RC" '((RC == 0))'
    if [[ $version == 0.[123].* ]]; then
        need "no prevResult before 0.4.0" '[[ $(trace_stdin DEL | jq -c .prevResult) == null ]]'
    else
        need "prevResult is the cached result" 'same_json "$(trace_stdin DEL | jq -c .prevResult)" "$cached"'
    fi
    need "no HNS endpoint has $ip" '[[ $(endpoint_count_with_ip "$ip") == 0 ]]'
    need "reservation of $ip released" '[[ ! -e $IPAM_DATA/$net/$ip ]]'
    ((!FLANNEL)) || need "flannel's saved config removed" '[[ ! -e $NODE/flannel/$cid ]]'
    need "libcni cache file removed" '[[ ! -e $(cache_file "$net" "$cid") ]]'
    end

    begin "$tag: a second DEL (no prevResult, nothing left) succeeds"
    lib del "$conf" -id "$cid" -netns "$netns" "${pod[@]}"
    need "exit code $RC" '((RC == 0))'
    need "the plugin ran without prevResult" '[[ $(trace_count DEL) == 1 && $(trace_stdin DEL | jq -c .prevResult) == null ]]'
    end
    hns namespace delete "$ns" >/dev/null 2>&1 || true
}

# CHECK must notice an endpoint that vanished behind the plugin's back, and DEL must still clean up.
pod_broken() {
    local conf=$1 net=$2
    local tag cid ns ip
    tag="$(basename "$SOURCE") 1.0.0"
    cid=$(container_id "$tag broken")
    ns=$(hns namespace create)
    lib add "$conf" -id "$cid" -netns "/run/netns/$ns"
    ip=$(result_ip "$OUT" 2>/dev/null || true)
    begin "$tag: CHECK fails with a CNI error when the HNS endpoint was deleted; DEL still cleans up"
    need "ADD exit code $RC" '((RC == 0))'
    local epid
    epid=$(endpoint_id_with_ip "$ip")
    need "hnsctl endpoint delete $epid" 'hns endpoint delete "$epid"'
    lib check "$conf" -id "$cid" -netns "/run/netns/$ns"
    need "CHECK failed (exit $RC) with a code" '((RC == 1)) && jq -e ".code > 0 and (.msg | length > 0)" <<<"$OUT"'
    lib del "$conf" -id "$cid" -netns "/run/netns/$ns"
    need "DEL exit code $RC" '((RC == 0))'
    need "reservation of $ip released" '[[ ! -e $IPAM_DATA/$net/$ip ]]'
    ((!FLANNEL)) || need "flannel's saved config removed" '[[ ! -e $NODE/flannel/$cid ]]'
    end
    hns namespace delete "$ns" >/dev/null 2>&1 || true
}

# GC (spec 1.1.0) by direct exec: two pods added through libcni, only one of them still valid.
gc_check() {
    local conf=$1 net=$2
    local tag
    tag=$(basename "$SOURCE")
    local keep gone ns keep_ip gone_ip
    keep=$(container_id "$tag gc keep")
    gone=$(container_id "$tag gc gone")
    ns=$(hns namespace create)
    lib add "$conf" -id "$keep" -netns "/run/netns/$ns"
    keep_ip=$(result_ip "$OUT" 2>/dev/null || true)
    lib add "$conf" -id "$gone" -netns "/run/netns/$ns"
    gone_ip=$(result_ip "$OUT" 2>/dev/null || true)

    begin "$tag 1.1.0: GC with cni.dev/valid-attachments removes only the stale pod's endpoint, IP${SAVED:+ and $SAVED}"
    need "two pods added" '[[ -n $keep_ip && -n $gone_ip ]]'
    local gc
    gc=$(jq -c --arg id "$keep" '.cniVersion = "1.1.0" | ."cni.dev/valid-attachments" = [{containerID: $id, ifname: "eth0"}]' "$conf")
    direct GC "$gc"
    need "exit code $RC" '((RC == 0))'
    need "stale endpoint ($gone_ip) deleted" '[[ $(endpoint_count_with_ip "$gone_ip") == 0 ]]'
    need "stale IP released" '[[ ! -e $IPAM_DATA/$net/$gone_ip ]]'
    need "valid endpoint ($keep_ip) kept" '[[ $(endpoint_count_with_ip "$keep_ip") == 1 ]]'
    need "valid IP kept" 'reserved "$IPAM_DATA" "$net" "$keep_ip" "$keep"'
    if ((FLANNEL)); then
        need "flannel's saved config of the stale pod removed" '[[ ! -e $NODE/flannel/$gone ]]'
        need "flannel's saved config of the valid pod kept" '[[ -s $NODE/flannel/$keep ]]'
    fi
    end

    begin "$tag 1.1.0: after DEL of the valid pod, GC with no valid attachment succeeds and leaves nothing"
    lib del "$conf" -id "$keep" -netns "/run/netns/$ns"
    need "DEL exit code $RC" '((RC == 0))'
    lib del "$conf" -id "$gone" -netns "/run/netns/$ns"
    need "DEL of the collected pod exit code $RC" '((RC == 0))'
    gc=$(jq -c '.cniVersion = "1.1.0" | ."cni.dev/valid-attachments" = []' "$conf")
    direct GC "$gc"
    need "GC exit code $RC" '((RC == 0))'
    need "no reservation left" '[[ $(reservations "$IPAM_DATA" "$net") == 0 ]]'
    end
    hns namespace delete "$ns" >/dev/null 2>&1 || true
}

node_suite() {
    SOURCE=$1
    local backend name type
    type=$(plugin_type "$SOURCE")
    FLANNEL=0 SAVED= # SAVED names the flannel-only state in check titles
    [[ $type != flannel ]] || { FLANNEL=1 SAVED="flannel's saved config"; }
    backend=$(backend_of "$SOURCE")
    if [[ $backend == unknown ]]; then
        begin "$(basename "$SOURCE"): a config with a known plugin type"
        PROBLEMS+=("$(jq -c '.delegate.type // .type' "$SOURCE") is not one of wincni's types")
        end
        return
    fi
    name=$(jq -r '.name' "$SOURCE")
    NODE=$T/node-$(basename "${SOURCE%.*}")
    SIM=$NODE/hns
    IPAM_DATA=$HOST_LOCAL_DATA
    [[ $INTEROP_INNER == private ]] || IPAM_DATA=$NODE/ipam
    CACHE=$NODE/cache
    PLUGIN_PATH=$BIN
    mkdir -p "$NODE"
    printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=%s\nFLANNEL_IPMASQ=false\n' \
        "$([[ $backend == vxlan ]] && echo 1450 || echo 1500)" >"$NODE/subnet.env"
    local status
    status=$(jq -c '.cniVersion = "1.1.0"' "$(versioned "$SOURCE" 1.1.0)")

    begin "$(basename "$SOURCE") ($backend, network $name): STATUS is code 50 before flanneld created the network"
    direct STATUS "$status"
    need "exit code 1 (got $RC)" '((RC == 1))'
    need "error code 50" 'jq -e ".code == 50" <<<"$OUT"'
    end

    begin "$(basename "$SOURCE"): hnsctl flannel up --backend $backend --name $name"
    local up_out
    up_out=$(hns flannel up --subnet-env "$NODE/subnet.env" --backend "$backend" --name "$name" 2>&1) ||
        PROBLEMS+=("flannel up failed: $up_out")
    end
    local baseline
    baseline=$(endpoint_names)

    begin "$(basename "$SOURCE") 1.1.0: STATUS succeeds once the network exists"
    direct STATUS "$status"
    need "exit code $RC" '((RC == 0))'
    need "no output" '[[ -z $OUT ]]'
    end

    begin "$(basename "$SOURCE"): libcni's VERSION probe lists every spec version and ValidateNetworkList passes"
    lib version "$SOURCE"
    need "exit code $RC" '((RC == 0))'
    need "$type: 0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0 (got: $OUT)" '[[ $OUT == "$type: 0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" ]]'
    local version
    for version in "${VERSIONS[@]}"; do
        lib validate "$(versioned "$SOURCE" "$version")"
        need "ValidateNetworkList accepts cniVersion $version (exit $RC)" '((RC == 0))'
    done
    end

    for version in "${VERSIONS[@]}"; do
        pod_cycle "$(versioned "$SOURCE" "$version")" "$version" "$backend" "$name"
    done
    pod_broken "$(versioned "$SOURCE" 1.0.0)" "$name"
    gc_check "$(versioned "$SOURCE" 1.0.0)" "$name"

    begin "$(basename "$SOURCE"): the node is clean afterwards"
    need "only flanneld's endpoints remain ($(endpoint_names) vs $baseline)" '[[ $(endpoint_names) == "$baseline" ]]'
    need "no host-local reservation in $IPAM_DATA/$name" '[[ $(reservations "$IPAM_DATA" "$name") == 0 ]]'
    ((!FLANNEL)) || need "no saved flannel delegate config" '[[ -z $(ls -A "$NODE/flannel" 2>/dev/null) ]]'
    need "no libcni cache entry" '[[ -z $(ls -A "$CACHE/results" 2>/dev/null) ]]'
    end
}

# ---------------------------------------------------------------------------------------------------------------
# 2. One dataDir, two allocators: the Go host-local and wincni's built-in host-local

shared_datadir() {
    NODE=$T/shared
    SIM=$NODE/hns
    PLUGIN_PATH=$BIN:/usr/lib/cni
    local data=$NODE/ipam net=shared subnet=10.50.0.0/24
    mkdir -p "$NODE"
    hns network create --type l2bridge --name "$net" --subnet "$subnet" --gateway 10.50.0.1 >/dev/null
    local ipam
    ipam=$(jq -nc --arg s "$subnet" --arg d "$data" '{type: "host-local", subnet: $s, dataDir: $d}')
    jq -n --argjson ipam "$ipam" '{cniVersion: "1.0.0", name: "shared", type: "host-local", ipam: $ipam}' >"$NODE/go.conf"
    jq -n --argjson ipam "$ipam" '{cniVersion: "1.0.0", name: "shared", type: "win-bridge", ipam: $ipam}' >"$NODE/wincni.conf"
    local ns
    ns=$(hns namespace create)
    local -a ids=() ips=() owners=()
    local i side cid

    begin "shared dataDir: Go host-local and wincni allocate alternately in $subnet without a duplicate"
    for i in 1 2 3 4 5 6; do
        side=$([[ $((i % 2)) == 1 ]] && echo go || echo wincni)
        cid=$(container_id "shared $i")
        CACHE=$NODE/cache-$side
        lib add "$NODE/$side.conf" -id "$cid" -netns "/run/netns/$ns"
        need "ADD $i through $side (exit $RC)" '((RC == 0))'
        ids+=("$cid")
        owners+=("$side")
        ips+=("$(result_ip "$OUT" 2>/dev/null || echo none)")
    done
    need "six distinct addresses (${ips[*]})" '[[ $(printf "%s\n" "${ips[@]}" | sort -u | grep -c "^10\.50\.0\.") == 6 ]]'
    for i in 0 1 2 3 4 5; do
        need "reservation of ${ips[i]} names its container" 'reserved "$data" "$net" "${ips[i]}" "${ids[i]}"'
    done
    need "wincni's L2Bridge allocations skip the .2" '[[ ${ips[1]} != 10.50.0.2 && ${ips[3]} != 10.50.0.2 && ${ips[5]} != 10.50.0.2 ]]'
    end

    begin "shared dataDir: the Go host-local releases what wincni allocated (by container ID + ifname)"
    CACHE=$NODE/cache-go
    for i in 1 3; do
        lib del "$NODE/go.conf" -id "${ids[i]}" -netns "/run/netns/$ns"
        need "Go DEL of ${ids[i]:0:12} (exit $RC)" '((RC == 0))'
        need "${ips[i]} released" '[[ ! -e $data/$net/${ips[i]} ]]'
        need "the other reservations untouched" 'reserved "$data" "$net" "${ips[0]}" "${ids[0]}" && reserved "$data" "$net" "${ips[5]}" "${ids[5]}"'
    done
    end

    begin "shared dataDir: wincni releases what the Go host-local allocated (by container ID + ifname)"
    CACHE=$NODE/cache-wincni
    for i in 0 2; do
        lib del "$NODE/wincni.conf" -id "${ids[i]}" -netns "/run/netns/$ns"
        need "wincni DEL of ${ids[i]:0:12} (exit $RC)" '((RC == 0))'
        need "${ips[i]} released" '[[ ! -e $data/$net/${ips[i]} ]]'
        need "the other reservations untouched" 'reserved "$data" "$net" "${ips[4]}" "${ids[4]}" && reserved "$data" "$net" "${ips[5]}" "${ids[5]}"'
    done
    end

    begin "shared dataDir: a freed address is handed out again once, and everything is released at the end"
    CACHE=$NODE/cache-go
    lib add "$NODE/go.conf" -id "$(container_id "shared 7")" -netns "/run/netns/$ns"
    local again
    again=$(result_ip "$OUT" 2>/dev/null || echo none)
    need "Go ADD 7 (exit $RC) got an address no live pod holds ($again)" '((RC == 0)) && [[ $again != "${ips[4]}" && $again != "${ips[5]}" ]]'
    lib del "$NODE/go.conf" -id "$(container_id "shared 7")" -netns "/run/netns/$ns"
    need "Go DEL 7 (exit $RC)" '((RC == 0))'
    for i in 1 3 4 5; do # wincni's own endpoints (1, 3 were released in IPAM only) and the Go pod 4
        CACHE=$NODE/cache-wincni
        lib del "$NODE/wincni.conf" -id "${ids[i]}" -netns "/run/netns/$ns"
        need "wincni DEL ${ids[i]:0:12} (exit $RC)" '((RC == 0))'
    done
    need "no reservation left" '[[ $(reservations "$data" "$net") == 0 ]]'
    need "no endpoint left on $net" '[[ $(hns endpoint list --network "$net" --json | jq length) == 0 ]]'
    end
}

# ---------------------------------------------------------------------------------------------------------------
# 3. IPAM by exec: the Go host-local under another type name, and a failing IPAM plugin

ipam_exec() {
    NODE=$T/ipam-exec
    SIM=$NODE/hns
    CACHE=$NODE/cache
    mkdir -p "$NODE/plugins"
    ln -s "$GO_HOST_LOCAL" "$NODE/plugins/host-local-go"
    cat >"$NODE/plugins/ipam-fail" <<'EOF'
#!/bin/sh
# An IPAM plugin that is out of addresses for now: code 11 on ADD, success for everything else.
cat >/dev/null
if [ "$CNI_COMMAND" = ADD ]; then
    printf '{"cniVersion":"1.0.0","code":11,"msg":"ipam-fail: no free address in pool blue","details":"retry after 5s"}\n'
    exit 1
fi
EOF
    chmod +x "$NODE/plugins/ipam-fail"
    PLUGIN_PATH=$NODE/plugins:$BIN
    local data=$NODE/ipam net=delegated
    hns network create --type l2bridge --name "$net" --subnet 10.51.0.0/24 --gateway 10.51.0.1 >/dev/null
    local ns version conf cid ip
    ns=$(hns namespace create)
    for version in 0.4.0 1.0.0; do
        conf=$NODE/exec-$version.conf
        jq -n --arg v "$version" --arg d "$data" '{cniVersion: $v, name: "delegated", type: "win-bridge",
            ipam: {type: "host-local-go", subnet: "10.51.0.0/24", dataDir: $d}}' >"$conf"
        cid=$(container_id "ipam exec $version")
        begin "IPAM exec $version: win-bridge with ipam.type host-local-go (the Go binary) through libcni"
        lib add "$conf" -id "$cid" -netns "/run/netns/$ns" -verify
        ip=$(result_ip "$OUT" 2>/dev/null || echo none)
        need "ADD exit code $RC" '((RC == 0))'
        need "the Go plugin reserved $ip for the container" 'reserved "$data" "$net" "$ip" "$cid"'
        need "an HNS endpoint has $ip" '[[ $(endpoint_count_with_ip "$ip") == 1 ]]'
        lib check "$conf" -id "$cid" -netns "/run/netns/$ns"
        need "CHECK exit code $RC" '((RC == 0))'
        lib del "$conf" -id "$cid" -netns "/run/netns/$ns"
        need "DEL exit code $RC" '((RC == 0))'
        need "the Go plugin released $ip" '[[ ! -e $data/$net/$ip ]]'
        need "endpoint deleted" '[[ $(endpoint_count_with_ip "$ip") == 0 ]]'
        end
    done

    conf=$NODE/exec-1.0.0.conf
    cid=$(container_id "ipam exec check")
    begin "IPAM exec: CHECK reports the Go host-local's own error when its reservation vanished"
    lib add "$conf" -id "$cid" -netns "/run/netns/$ns"
    ip=$(result_ip "$OUT" 2>/dev/null || echo none)
    need "ADD exit code $RC" '((RC == 0))'
    rm -f "$data/$net/$ip"
    lib check "$conf" -id "$cid" -netns "/run/netns/$ns"
    need "CHECK failed (exit $RC) with host-local's message" '((RC == 1)) && jq -e ".msg | test(\"host-local|address\")" <<<"$OUT"'
    lib del "$conf" -id "$cid" -netns "/run/netns/$ns"
    need "DEL exit code $RC" '((RC == 0))'
    need "endpoint deleted" '[[ $(endpoint_count_with_ip "$ip") == 0 ]]'
    end

    for version in 0.3.1 1.0.0; do
        conf=$NODE/fail-$version.conf
        jq -n --arg v "$version" '{cniVersion: $v, name: "delegated", type: "win-bridge", ipam: {type: "ipam-fail"}}' >"$conf"
        cid=$(container_id "ipam fail $version")
        local before
        before=$(hns endpoint list --json | jq length)
        begin "IPAM failure $version: the IPAM plugin's code 11, message and details reach the runtime"
        lib add "$conf" -id "$cid" -netns "/run/netns/$ns"
        need "ADD failed (exit $RC)" '((RC == 1))'
        need "code 11" 'jq -e ".code == 11" <<<"$OUT"'
        need "the IPAM plugin's msg included verbatim" 'jq -e ".msg | contains(\"ipam-fail: no free address in pool blue\")" <<<"$OUT"'
        need "details intact" 'jq -e ".details == \"retry after 5s\"" <<<"$OUT"'
        need "no endpoint was left behind" '[[ $(hns endpoint list --json | jq length) == "$before" ]]'
        lib del "$conf" -id "$cid" -netns "/run/netns/$ns"
        need "the runtime's DEL after the failed ADD succeeds (exit $RC)" '((RC == 0))'
        end
    done
}

# ---------------------------------------------------------------------------------------------------------------

inner() {
    # An unexpected failure outside a check still ends with the summary line, counted as a failure.
    trap 'trap - ERR; echo "FAIL  aborted at line $LINENO: $BASH_COMMAND"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1' ERR
    if [[ $INTEROP_INNER == private ]] && ! mount -t tmpfs -o mode=0755 interop-cni /var/lib/cni; then
        echo "interop: cannot mount a private /var/lib/cni: flannel's host-local gets a temporary dataDir"
        INTEROP_INNER=shared
    fi
    T=$(mktemp -d /tmp/wincni-interop.XXXXXX)
    TRACE=$T/trace.jsonl
    if [[ -n ${INTEROP_KEEP:-} ]]; then
        trap 'echo "interop: kept $T"' EXIT
    else
        trap 'rm -rf "$T"' EXIT
    fi
    unset WINCNI_HNS
    local started=$SECONDS conf
    local -a configs=()
    for conf in "$ROOT"/conf/*; do
        [[ -f $conf ]] || continue
        [[ $(plugin_type "$conf" 2>/dev/null) == @(flannel|win-bridge|win-overlay|sdnbridge|sdnoverlay|wincni) ]] &&
            configs+=("$conf")
    done
    begin "conf/ holds flannel configs for host-gw and vxlan"
    local -a kinds=()
    for conf in "${configs[@]}"; do
        [[ $(plugin_type "$conf") != flannel ]] || kinds+=("$(backend_of "$conf")")
    done
    need "a flannel host-gw config" '[[ " ${kinds[*]-} " == *" host-gw "* ]]'
    need "a flannel vxlan config" '[[ " ${kinds[*]-} " == *" vxlan "* ]]'
    end
    for conf in "${configs[@]}"; do
        node_suite "$conf"
    done
    shared_datadir
    ipam_exec
    echo "interop: $((SECONDS - started))s"
    trap - ERR
    echo "$PASSED passed, $FAILED failed"
    if ((FAILED > 0)); then
        exit 1
    fi
}

if [[ -n ${INTEROP_INNER:-} ]]; then
    inner
else
    outer
fi
