#!/usr/bin/env bash
# make demo: a simulated flannel node on Linux. For host-gw (HNS L2Bridge) and then vxlan (HNS Overlay): set up the
# network as flanneld would, then run one pod's ADD -> CHECK -> DEL -> DEL with the real binaries in bin/, showing
# the CNI result and the HNS endpoint before and after. Everything lives in a temporary directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/wincni-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Headings in bold on a terminal only: a log file or a pipe gets plain text.
if [ -t 1 ]; then
    bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
    bold() { printf '\n%s\n' "$*"; }
fi
show() { printf '$ %s\n' "$*"; "$@"; }

# What flanneld writes on a node that leased 10.244.1.0/24 from the cluster network 10.244.0.0/16.
printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' \
    >"$work/subnet.env"

# The shipped config, pointed at this demo's files: flannel's subnetFile and dataDir, and host-local's dataDir
# (through flannel's own "ipam" object, which wincni merges into the delegate's IPAM as flannel does on Linux).
demo_config() { # CONF MODE_DIR
    sed -e "0,/\"type\": \"flannel\",/s##\"type\": \"flannel\", \"subnetFile\": \"$work/subnet.env\", \"dataDir\": \"$2/flannel\", \"ipam\": {\"dataDir\": \"$2/ipam\"},#" \
        "$1"
}

cni() { # COMMAND CONFIG-FILE  (the env a runtime sets; CNI_NETNS is the HCN namespace GUID)
    CNI_COMMAND=$1 CNI_CONTAINERID=$container CNI_NETNS=$namespace CNI_IFNAME=eth0 CNI_PATH=$bin \
        "$bin/flannel" <"$2"
}

run_mode() { # BACKEND CONF
    local backend=$1 conf=$2 dir=$work/$1
    mkdir -p "$dir"
    export WINCNI_HNS=sim:$dir/hns
    container=demo-$backend-pod
    bold "=== flannel $backend: $(basename "$conf") ==="
    bold "1. flanneld sets up the node's HNS network"
    show "$bin/hnsctl" flannel up --subnet-env "$work/subnet.env" --backend "$backend"
    show "$bin/hnsctl" network list
    show "$bin/hnsctl" endpoint list
    namespace=$("$bin/hnsctl" namespace create)
    echo "containerd created the pod's HCN namespace $namespace"
    demo_config "$conf" "$dir" >"$dir/config.json"

    bold "2. ADD (CNI_COMMAND=ADD CNI_CONTAINERID=$container CNI_NETNS=$namespace CNI_IFNAME=eth0 bin/flannel)"
    cni ADD "$dir/config.json" | tee "$dir/result.json"
    echo
    bold "   the pod's HNS endpoint"
    show "$bin/hnsctl" endpoint list
    local endpoint
    endpoint=$("$bin/hnsctl" endpoint list --json | grep -o "\"Name\": *\"[^\"]*$container[^\"]*\"" | head -n 1 \
        | sed -e 's/.*: *"//' -e 's/"$//')
    show "$bin/hnsctl" endpoint show "$endpoint" --json

    bold "3. CHECK with the ADD result as prevResult"
    # The runtime caches the ADD result and hands it back as prevResult.
    { sed -e '$ s/}[[:space:]]*$//' "$dir/config.json"; printf ', "prevResult": '; cat "$dir/result.json"; printf '}\n'; } \
        >"$dir/check.json"
    cni CHECK "$dir/check.json" && echo "CHECK: exit 0 (HNS matches the result)"

    bold "4. DEL, twice (DEL is idempotent)"
    cni DEL "$dir/config.json" && echo "DEL: exit 0"
    cni DEL "$dir/config.json" && echo "DEL again: exit 0"

    bold "5. the node afterwards: only flanneld's own endpoints, no IP reservation, no saved delegate config"
    show "$bin/hnsctl" endpoint list
    echo "host-local reservations: $(find "$dir/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null | wc -l)"
    echo "saved flannel delegate configs: $(find "$dir/flannel" -type f 2>/dev/null | wc -l)"
}

run_mode host-gw "$root/conf/flannel-host-gw.conf"
run_mode vxlan "$root/conf/flannel-vxlan.conf"
bold "Done: both modes added, checked and deleted one pod and left the node clean."
