# Shared by bench/run.sh and bench/profile.sh: simulated flannel nodes and pod commands. Needs RUN, BIN, HNSCTL, FLANNEL.

# pod configs: what flannel-on-Windows manifests install, filled in the way their start scripts fill them
L2_DELEGATE='{"type":"win-bridge","hairpinMode":true,"isDefaultGateway":true,"policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.96.0.0/12","10.240.0.0/12","192.168.1.0/24"]}},{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}},{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"192.168.1.10/32","NeedEncap":true}}]}'
OV_DELEGATE='{"type":"sdnoverlay","AdditionalArgs":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","Settings":{"Exceptions":["10.96.0.0/12","10.240.0.0/12"]}}},{"Name":"EndpointPolicy","Value":{"Type":"SDNROUTE","Settings":{"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}},{"Name":"EndpointPolicy","Value":{"Type":"ProviderAddress","Settings":{"ProviderAddress":"192.168.1.10"}}}]}'
RUNTIME_CONFIG='{"dns":{"servers":["10.96.0.10"],"searches":["default.svc.cluster.local","svc.cluster.local","cluster.local"]}}'
CID_PREFIX=7c3f9a2e5b1d4c6f8a0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d
NSCOUNT=0

# node ID BACKEND NETWORK SUBNET: a simulated Windows node with flannel's network and the plugin configs
mknode() {
  local id=$1 backend=$2 net=$3 sn=$4 d=$RUN/$1 delegate
  mkdir -p "$d/flannel"
  printf 'FLANNEL_NETWORK=10.240.0.0/12\nFLANNEL_SUBNET=%s\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n' "$sn" >"$d/subnet.env"
  if [ "$backend" = vxlan ]; then delegate=$OV_DELEGATE; else delegate=$L2_DELEGATE; fi
  rm -rf "/var/lib/cni/networks/$net"
  printf '{"cniVersion":"1.0.0","name":"%s","type":"flannel","subnetFile":"%s","dataDir":"%s","capabilities":{"portMappings":true,"dns":true},"delegate":%s,"runtimeConfig":%s}' \
    "$net" "$d/subnet.env" "$d/flannel" "$delegate" "$RUNTIME_CONFIG" >"$d/conf.json"
  printf '{"cniVersion":"1.1.0","name":"%s","type":"flannel","subnetFile":"%s","dataDir":"%s","delegate":%s,"cni.dev/valid-attachments":[]}' \
    "$net" "$d/subnet.env" "$d/flannel" "$delegate" >"$d/gc.json"
  "$HNSCTL" --sim "$d/hns" flannel up --subnet-env "$d/subnet.env" --backend "$backend" --name "$net" >"$d/up.log" 2>&1
}

# namespaces NODE FILE COUNT: HCN namespaces created up front, one per pod, as containerd does
namespaces() {
  local i g
  : >"$2"
  for ((i = 0; i < $3; i++)); do
    g=$("$HNSCTL" --sim "$RUN/$1/hns" namespace create) || return 1
    echo "$g" >>"$2"
  done
  NSCOUNT=$((NSCOUNT + $3))
}

# pod_case LABEL COMMAND NODE [LIST]: harness arguments for one CNI command on a node, pod k = round k
pod_case() {
  local d=$RUN/$3 list=${4:-$RUN/$3/ns.lst}
  CASE=(-c "$1" -e "CNI_COMMAND=$2" -e "CNI_CONTAINERID=$CID_PREFIX{k}" -e "CNI_NETNS={line}" -e CNI_IFNAME=eth0
    -e "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-{k};K8S_POD_INFRA_CONTAINER_ID=$CID_PREFIX{k}"
    -e "CNI_PATH=$BIN" -e "WINCNI_HNS=sim:$d/hns" -i "$d/conf.json" -l "$list" -a "$FLANNEL")
}

# endpoints NODE NETWORK: how many endpoints the simulator holds on the network
endpoints() {
  "$HNSCTL" --sim "$RUN/$1/hns" endpoint list --network "$2" --json 2>/dev/null | grep -c '"Name"'
}
