# Installs wincni on a Windows node: wincni.exe under every plugin name the CNI config uses (plus wincni.exe and
# hnsctl.exe) in the CNI binary directory, and the config itself, with this node's values filled in.
#
# The DaemonSets in deploy/ run it from their start.ps1 each time the pod starts; by hand (manual install):
#   .\install.ps1 -Source C:\wincni-0.1.0 -ConfigTemplate .\10-flannel.conf
#
# Paths are the ones sig-windows-tools' flannel setup uses: binaries in C:\opt\cni\bin, the config as
# C:\etc\cni\net.d\10-flannel.conf. A running plugin keeps its .exe locked, so a binary that differs is replaced by
# renaming the old one aside (Windows allows renaming a running .exe) and moving the new one in; the *.old files are
# removed by a later run once nothing runs them.
[CmdletBinding()]
param(
    # The directory holding wincni.exe and hnsctl.exe.
    [string]$Source = "$env:CONTAINER_SANDBOX_MOUNT_POINT\wincni",
    # The CNI config, with {{NODE_IP}} and {{NODE_SUBNET}} where this node's address and subnet go.
    [string]$ConfigTemplate = "$env:CONTAINER_SANDBOX_MOUNT_POINT\etc\wincni\cni-conf.json",
    [string]$BinDir = "C:\opt\cni\bin",
    [string]$ConfDir = "C:\etc\cni\net.d",
    [string]$ConfName = "10-flannel.conf",
    # The node's address; default: the IPv4 address of the interface that holds the default route.
    [string]$NodeIP = ""
)
$ErrorActionPreference = "Stop"

# The plugin types wincni implements (CONTRACT: the binary's behaviour comes from the config's type).
$wincniTypes = @("flannel", "win-bridge", "win-overlay", "sdnbridge", "sdnoverlay", "wincni")

function Get-NodeAddress {
    $route = Get-NetRoute -DestinationPrefix "0.0.0.0/0" | Sort-Object -Property RouteMetric | Select-Object -First 1
    $address = Get-NetIPAddress -InterfaceIndex $route.ifIndex -AddressFamily IPv4 | Select-Object -First 1
    return $address
}

# "192.168.1.10", 24 -> "192.168.1.0/24"
function Get-SubnetOf([string]$ip, [int]$length) {
    $bytes = ([System.Net.IPAddress]::Parse($ip)).GetAddressBytes()
    for ($i = 0; $i -lt 4; $i++) {
        $bits = [Math]::Max(0, [Math]::Min(8, $length - 8 * $i))
        $bytes[$i] = $bytes[$i] -band ((0xFF -shl (8 - $bits)) -band 0xFF)
    }
    return "$([System.Net.IPAddress]::new($bytes))/$length"
}

# Copies $from to $to unless it is already there; a locked (running) $to is renamed aside first.
function Install-Binary([string]$from, [string]$to) {
    if ((Test-Path $to) -and ((Get-FileHash $from).Hash -eq (Get-FileHash $to).Hash)) {
        Write-Host "unchanged $to"
        return
    }
    $staged = "$to.new"
    Copy-Item -Path $from -Destination $staged -Force
    try {
        Move-Item -Path $staged -Destination $to -Force
    } catch {
        $aside = "$to.$(Get-Date -Format yyyyMMddHHmmss).old"
        Rename-Item -Path $to -NewName (Split-Path -Leaf $aside)
        Move-Item -Path $staged -Destination $to -Force
        Write-Host "renamed the running $to to $aside"
    }
    Write-Host "installed $to"
}

# 1. The config: this node's values in, checked as JSON before anything is installed.
if (-not $NodeIP) {
    $address = Get-NodeAddress
    $NodeIP = $address.IPAddress
    $nodeSubnet = Get-SubnetOf $NodeIP $address.PrefixLength
} else {
    $length = (Get-NetIPAddress -IPAddress $NodeIP).PrefixLength
    $nodeSubnet = Get-SubnetOf $NodeIP $length
}
$text = (Get-Content -Raw -Path $ConfigTemplate).Replace("{{NODE_IP}}", $NodeIP).Replace("{{NODE_SUBNET}}", $nodeSubnet)
$config = $text | ConvertFrom-Json

# 2. Every plugin name the config uses: its type, a flannel delegate's type (win-bridge when absent, as flannel
#    defaults), the types of a conflist's plugins.
$plugins = if ($config.plugins) { @($config.plugins) } else { @($config) }
$names = @()
foreach ($plugin in $plugins) {
    $names += $plugin.type
    if ($plugin.type -eq "flannel") {
        $names += $(if ($plugin.delegate.type) { $plugin.delegate.type } else { "win-bridge" })
    }
}
$names = @($names | Where-Object { $wincniTypes -contains $_ } | Sort-Object -Unique)
if ($names.Count -eq 0) {
    throw "$ConfigTemplate names no plugin type wincni implements ($($wincniTypes -join ', '))"
}

# 3. The binaries.
New-Item -ItemType Directory -Force -Path $BinDir, $ConfDir | Out-Null
Install-Binary "$Source\wincni.exe" "$BinDir\wincni.exe"
Install-Binary "$Source\hnsctl.exe" "$BinDir\hnsctl.exe"
foreach ($name in $names) {
    if ($name -ne "wincni") { Install-Binary "$Source\wincni.exe" "$BinDir\$name.exe" }
}
Get-ChildItem -Path $BinDir -Filter "*.old" | ForEach-Object {
    Remove-Item -Path $_.FullName -ErrorAction SilentlyContinue   # still running: left for the next run
}

# 4. The logFile's directory (wincni does not create it).
foreach ($plugin in $plugins) {
    foreach ($logFile in @($plugin.logFile, $plugin.delegate.logFile)) {
        if ($logFile) { New-Item -ItemType Directory -Force -Path (Split-Path -Parent $logFile) | Out-Null }
    }
}

# 5. The config, written whole and renamed into place (UTF-8 without BOM: containerd refuses a BOM).
$target = Join-Path $ConfDir $ConfName
$staged = "$target.new"
[System.IO.File]::WriteAllText($staged, $text, (New-Object System.Text.UTF8Encoding $false))
Move-Item -Path $staged -Destination $target -Force
Write-Host "wrote $target (plugins: $($names -join ', '); node $NodeIP, subnet $nodeSubnet)"
& "$BinDir\hnsctl.exe" --version
