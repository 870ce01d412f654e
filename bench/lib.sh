# Shared by bench/run.sh and bench/profile.sh: simulated flannel nodes and pod commands. Needs RUN, BIN, HNSCTL, FLANNEL.
#
# A node is one simulator directory ($RUN/NODE/hns) with its HCN namespaces ($RUN/NODE/*.lst, one GUID a line);
# a network is a flannel network on a node, with its subnet.env, flannel dataDir and configs in $RUN/NET/.

# pod configs: what flannel-on-Windows manifests install, filled in the way their start scripts fill them
L2_DELEGATE='{"type":"win-bridge","hairpinMode":true,"isDefaultGateway":true,"policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12","10.240.0.0/12","192.168.1.0/24"]}},{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"192.168.1.10/32","NeedEncap":true}}]}'
OV_DELEGATE='{"type":"sdnoverlay","AdditionalArgs":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12","10.240.0.0/12"]}}},{"Name":"EndpointPolicy","Value":{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}},{"Name":"EndpointPolicy","Value":{"Type":"ProviderAddress","Settings":{"ProviderAddress":"192.168.1.10"}}}]}'
RUNTIME_CONFIG='{"dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local","svc.cluster.local","cluster.local"]}}'
# container IDs as containerd makes them (64 hex digits): a prefix per network, then the round number
CID_BASE=7c3f9a2e5b1d4c6f8a0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d
declare -A NODE_OF=()

# mknet NET NODE BACKEND SUBNET: flannel's network NET (HNS name wincni-bench-NET) on NODE, and its configs
mknet() {
  local id=$1 node=$2 backend=$3 sn=$4 d=$RUN/$1 net=wincni-bench-$1 delegate
  NODE_OF[$id]=$node
  mkdir -p "$d/flannel" "$RUN/$node"
  printf 'FLANNEL_NETWORK=10.240.0.0/12\nFLANNEL_SUBNET=%s\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n' "$sn" >"$d/subnet.env"
  if [ "$backend" = vxlan ]; then delegate=$OV_DELEGATE; else delegate=$L2_DELEGATE; fi
  # host-local's files go to $RUN/NET/ipam (flannel's own "ipam" object is merged into the delegate's, as on Linux)
  printf '{"cniVersion":"1.0.0","name":"%s","type":"flannel","subnetFile":"%s","dataDir":"%s","ipam":{"dataDir":"%s"},"capabilities":{"portMappings":true,"dns":true},"delegate":%s,"runtimeConfig":%s}' \
    "$net" "$d/subnet.env" "$d/flannel" "$d/ipam" "$delegate" "$RUNTIME_CONFIG" >"$d/conf.json"
  printf '{"cniVersion":"1.1.0","name":"%s","type":"flannel","subnetFile":"%s","dataDir":"%s","ipam":{"dataDir":"%s"},"delegate":%s,"cni.dev/valid-attachments":[]}' \
    "$net" "$d/subnet.env" "$d/flannel" "$d/ipam" "$delegate" >"$d/gc.json"
  "$HNSCTL" --sim "$RUN/$node/hns" flannel up --subnet-env "$d/subnet.env" --backend "$backend" --name "$net" >"$d/up.log" 2>&1
}

# namespaces NODE FILE COUNT: HCN namespaces created up front, one per pod, as containerd does
namespaces() {
  local i g
  : >"$2"
  for ((i = 0; i < $3; i++)); do
    g=$("$HNSCTL" --sim "$RUN/$1/hns" namespace create) || return 1
    echo "$g" >>"$2"
  done
}

# pod_case LABEL COMMAND NET LIST: harness arguments for one CNI command; pod k = round k, namespace = line k
pod_case() {
  local d=$RUN/$3 node=${NODE_OF[$3]} cid
  cid=$CID_BASE$(printf %s "$3" | od -An -tx1 | tr -d ' \n')
  CASE=(-c "$1" -e "CNI_COMMAND=$2" -e "CNI_CONTAINERID=$cid{k}" -e "CNI_NETNS={line}" -e CNI_IFNAME=eth0
    -e "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-{k};K8S_POD_INFRA_CONTAINER_ID=$cid{k}"
    -e "CNI_PATH=$BIN" -e "WINCNI_HNS=sim:$RUN/$node/hns" -i "$d/conf.json" -l "$4" -a "$FLANNEL")
}

# endpoints NET: how many endpoints the simulator holds on the network
endpoints() {
  "$HNSCTL" --sim "$RUN/${NODE_OF[$1]}/hns" endpoint list --network "wincni-bench-$1" --json 2>/dev/null |
    grep -c '"HostComputeNetwork"'
}
