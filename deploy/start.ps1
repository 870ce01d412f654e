# The entry point of deploy/'s HostProcess DaemonSets: install wincni and its config (install.ps1), then run
# flanneld, which creates the HNS network wincni attaches pods to. It runs on the node's file system; the image's
# files are under $env:CONTAINER_SANDBOX_MOUNT_POINT, the ConfigMaps under the mount paths of the DaemonSet.
$ErrorActionPreference = "Stop"
$root = $env:CONTAINER_SANDBOX_MOUNT_POINT

# wincni.exe under every name the config uses, and C:\etc\cni\net.d\10-flannel.conf, before flanneld starts, so
# the first pod after flanneld made the network finds both.
& "$root\wincni\install.ps1" -Source "$root\wincni" -ConfigTemplate "$root\etc\wincni\cni-conf.json"

# flanneld reads its net-conf.json from C:\etc\kube-flannel (kube-flannel-cfg, shared with the Linux nodes).
New-Item -ItemType Directory -Force -Path "C:\etc\kube-flannel" | Out-Null
Copy-Item -Force "$root\etc\kube-flannel\net-conf.json" "C:\etc\kube-flannel\net-conf.json"

# flanneld talks to the API server as the pod's service account: a kubeconfig over the token and CA that the
# kubelet mounts under the mount point. The server is the DaemonSet's APISERVER_URL (the control plane's own
# address): the kubernetes Service address works only once kube-proxy runs, which on Windows waits for the network
# flanneld makes. Without it, the Service address the kubelet puts in the environment is tried.
$account = "$root\var\run\secrets\kubernetes.io\serviceaccount"
$kubeconfig = "$root\wincni\kubeconfig.conf"
$server = $env:APISERVER_URL
if (-not $server) { $server = "https://$($env:KUBERNETES_SERVICE_HOST):$($env:KUBERNETES_SERVICE_PORT)" }
@"
apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: $server
    certificate-authority: $($account -replace '\\', '/')/ca.crt
users:
- name: flannel
  user:
    tokenFile: $($account -replace '\\', '/')/token
contexts:
- name: flannel
  context:
    cluster: cluster
    user: flannel
current-context: flannel
"@ | Set-Content -Encoding ascii -Path $kubeconfig

$route = Get-NetRoute -DestinationPrefix "0.0.0.0/0" | Sort-Object -Property RouteMetric | Select-Object -First 1
$nodeIP = (Get-NetIPAddress -InterfaceIndex $route.ifIndex -AddressFamily IPv4 | Select-Object -First 1).IPAddress
Write-Host "starting flanneld on $nodeIP"
& "$root\flannel\flanneld.exe" --kube-subnet-mgr --kubeconfig-file $kubeconfig `
    --iface $nodeIP
exit $LASTEXITCODE
