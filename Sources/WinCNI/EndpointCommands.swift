import CNI
import HCN
import HostLocal
import JSON
import NetAddress

/// ADD, DEL, CHECK, GC and STATUS of the endpoint plugins (L2Bridge and Overlay), on HCN v2.
struct EndpointCommands {
    let client: HCNClient

    // MARK: ADD

    func add(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError) -> CNIResult {
        let request = invocation.request
        let containerID = request.containerID ?? ""
        let ifname = request.ifname ?? "eth0"
        guard let netns = request.netns, let namespace = EndpointNaming.namespaceID(netns: netns) else {
            throw .invalidNamespace(request.netns ?? "")
        }
        // The network's handle stays open from the lookup to the endpoint's creation: two HNS calls fewer per pod.
        let held = try requireOpenNetwork(config, invocation)
        let network = held.network
        let name = EndpointNaming.endpointName(containerID: containerID, netns: netns, network: config.name)
        let ipam = try IPAMBackend(config: config, invocation: invocation)
        let requested = try RequestedAddresses.of(invocation)
        // With host-local, everything from the endpoint lookup to the attached endpoint runs under the container's
        // lock: a second ADD of this pod (which the spec forbids runtimes to start, but some do) waits and then
        // finds the endpoint instead of making a second one.
        let lock = try ipam.lockContainer(containerID, create: true)
        defer { lock?.release() }

        // A retried ADD finds its endpoint already attached: answer from it and create nothing (sdnbridge does
        // this; win-bridge v2 re-adds it to the namespace and, when HNS refuses, releases the IP it still uses).
        let lookup = try reusableEndpoint(
            name, network: network, namespace: namespace, ipam: ipam, lock: lock, invocation)
        if let existing = lookup.endpoint {
            invocation.log("wincni: endpoint \(quoted(name)) already in namespace \(namespace): reusing it")
            return result(existing, network: network, config: config, invocation: invocation)
        }

        // What this call did, undone newest first on failure so a failed ADD leaves HNS and IPAM as they were.
        var reserved: [IPAMAddress]?
        var createdID: String?
        do throws(WinCNIError) {
            // Idempotent: an ADD killed after reserving and retried without a DEL in between (no endpoint in HNS
            // yet) gets the address it already holds back, not a second one. Only a container that flannel saw for
            // the first time, under its lock and with no endpoint in HNS, can hold nothing: host-local skips its
            // scan then.
            var addresses = try ipam.allocate(
                containerID: containerID, ifname: ifname, mode: config.mode, requested: requested,
                knownNew: lock != nil && lookup.endpoint == nil && !lookup.clearedStale && invocation.containerIsNew,
                under: lock)
            reserved = addresses
            if case .hns = ipam, !requested.isEmpty {
                addresses = try Self.requestedOnNetwork(requested, network: network, invocation)
            }

            let document = try endpointDocument(
                name: name, config: config, network: network, addresses: addresses, invocation: invocation)
            // The document is already in HNS's v2 shape (hcsshim's keys and order): sent as built.
            let created = try hns("create endpoint \(quoted(name)) on network \(quoted(network.name))") {
                try client.createEndpoint(settings: document.json.compact(), name: name, on: held.opened)
            }
            held.close()
            createdID = created.id
            try hns("add endpoint \(quoted(name)) to namespace \(namespace)") {
                try client.addEndpoint(created.id, toNamespace: namespace.description)
            }
            // `created` is HNS's own view after the create (the MAC from the pool on L2Bridge, the IP when there is
            // no IPAM), so the result needs no further query.
            return result(created, network: network, config: config, invocation: invocation)
        } catch {
            if let createdID {
                do { try client.deleteEndpoint(id: createdID) } catch {
                    invocation.log("wincni: ADD failed and could not delete endpoint \(quoted(name)): \(error)")
                }
            }
            if let reserved {
                do {
                    try releaseAfterFailedAdd(
                        reserved, ipam: ipam, lock: lock, name: name, network: network, invocation)
                } catch {
                    invocation.log("wincni: ADD failed and could not release the IP addresses: \(error)")
                }
            }
            throw error
        }
    }

    /// With HNS allocating, requested addresses go on the endpoint with the prefix of the network subnet holding
    /// them (HNS then refuses one that another endpoint has).
    static func requestedOnNetwork(_ requested: [IPAddress], network: HostComputeNetwork, _ invocation: Invocation)
        throws(WinCNIError) -> [IPAMAddress]
    {
        let subnets = network.subnets.compactMap { IPPrefix($0.ipAddressPrefix) }
        var addresses: [IPAMAddress] = []
        for address in requested {
            guard let subnet = subnets.first(where: { $0.contains(address) }),
                let prefix = IPPrefix(address: address, length: subnet.length)
            else {
                throw .invalidConfig(
                    path: "",
                    message: "requested IP address \(address) is in no subnet of HNS network "
                        + "\(quoted(network.name)) (\(subnets.map(\.description).joined(separator: ", ")))")
            }
            if addresses.contains(where: { $0.address.isIPv4 == address.isIPv4 }) { continue }
            addresses.append(IPAMAddress(address: prefix, gateway: nil))
        }
        return addresses
    }

    /// Gives back what a failed ADD reserved.
    private func releaseAfterFailedAdd(
        _ addresses: [IPAMAddress], ipam: IPAMBackend, lock: ContainerLock?, name: String,
        network: HostComputeNetwork, _ invocation: Invocation
    ) throws(WinCNIError) {
        let containerID = invocation.request.containerID ?? ""
        let ifname = invocation.request.ifname ?? "eth0"
        if let lock {
            // Nobody else can have taken these for this pod while the lock is held.
            try ipam.release(
                containerID: containerID, ifname: ifname, addresses: addresses.map(\.address.address), under: lock)
            return
        }
        // Without the lock (IPAM exec'd or by HNS), two racing ADDs of this pod get the same addresses, so the
        // loser's are the winner's: if an endpoint of this pod now exists on the network, they are in use and not
        // this call's to give back.
        if let winner = try? client.endpoint(named: name), sameID(winner.hostComputeNetwork, network.id) {
            invocation.log("wincni: endpoint \(quoted(name)) exists: keeping its IP reservation")
            return
        }
        try ipam.release(containerID: containerID, ifname: ifname)
    }

    /// The endpoint named `name` if it is already on `network` in `namespace`; every other same-named endpoint
    /// (stale: on another network, as pkg/hns also deletes, or on this one but left outside any namespace or in
    /// another one by an interrupted ADD) is removed. One enumeration finds them all (HNS does not keep endpoint
    /// names unique). `clearedStale` says whether any was removed.
    private func reusableEndpoint(
        _ name: String, network: HostComputeNetwork, namespace: GUID, ipam: IPAMBackend, lock: ContainerLock?,
        _ invocation: Invocation
    ) throws(WinCNIError) -> (endpoint: HostComputeEndpoint?, clearedStale: Bool) {
        var reusable: HostComputeEndpoint?
        var clearedStale = false
        let found = try hns("look up endpoint \(quoted(name))", { try client.endpoints(named: name) })
        if !found.isEmpty {
            // The endpoint is named after the sandbox, not the interface: when it is another interface's, a second
            // interface of the container would get it as if it were new (win-bridge does), or delete it.
            let request = invocation.request
            let addresses = found.flatMap { $0.ipConfigurations.compactMap { IPAddress($0.ipAddress) } }
            if let held = try ipam.otherInterface(
                containerID: request.containerID ?? "", than: request.ifname ?? "eth0", holding: addresses,
                under: lock)
            {
                throw .interfaceTaken(
                    containerID: request.containerID ?? "", network: network.name, held: held,
                    requested: request.ifname ?? "eth0")
            }
        }
        for endpoint in found {
            let sameNetwork = sameID(endpoint.hostComputeNetwork, network.id)
            let inNamespace = endpoint.hostComputeNamespace.flatMap { GUID($0) } == namespace
            if reusable == nil && sameNetwork && inNamespace {
                reusable = endpoint
                continue
            }
            invocation.log(
                "wincni: removing stale endpoint \(quoted(name)) (network \(endpoint.hostComputeNetwork), namespace "
                    + "\(endpoint.hostComputeNamespace ?? "none"))")
            try remove(endpoint)
            clearedStale = true
        }
        return (reusable, clearedStale)
    }

    /// The HCN endpoint for this pod, with the modes' gateway/MAC rules and every policy.
    func endpointDocument(
        name: String, config: BridgeOverlayConfig, network: HostComputeNetwork, addresses: [IPAMAddress],
        invocation: Invocation
    ) throws(WinCNIError) -> EndpointDocument {
        let sorted = addresses.filter { $0.address.isIPv4 } + addresses.filter { !$0.address.isIPv4 }
        let gateways = try self.gateways(config: config, network: network, addresses: sorted, invocation: invocation)

        var policies = EndpointPolicyList(config.policies)
        switch config.mode {
        case .overlay:
            // win-overlay: the host's provider address from the network, and with ipMasq no SNAT inside the
            // node's pod subnet.
            if let address = Self.providerAddress(of: network) { policies.addProviderAddress(address) }
            if config.ipMasq, let subnet = Self.nodeSubnet(of: network, containing: sorted.first?.address.address) {
                policies.addOutboundNATException(subnet)
            }
        case .l2bridge:
            if let cidr = config.ipMasqNetwork { policies.addOutboundNATException(cidr) }
        }
        let dualStack = sorted.contains { $0.address.isIPv4 } && sorted.contains { !$0.address.isIPv4 }
        policies.addPortMappings(
            config.portMappings, localRoutedVIP: config.optionalFlags.localRoutedPortMapping,
            allowACL: config.optionalFlags.allowAclPortMapping, dualStack: dualStack)
        if config.loopbackDSR {
            if sorted.isEmpty {
                invocation.log("wincni: loopbackDSR needs the pod IP before the endpoint exists; add an ipam section")
            } else if try hns("query the HNS version", { try client.supports(.dsr) }) {
                for address in sorted { policies.addLoopbackDSR(address.address.address) }
            } else {
                // win-bridge skips silently and sdnbridge fails the pod; wincni skips and says so.
                invocation.log("wincni: loopbackDSR ignored: this HNS version has no DSR support (needs 9.3+ or 10.2+)")
            }
        }
        var mac: MACAddress?
        if config.mode == .overlay, let first = sorted.first, first.address.isIPv4 {
            mac = EndpointAddressing.overlayMAC(prefix: config.endpointMacPrefix, address: first.address.address)
        }
        return EndpointDocument(
            name: name, networkID: network.id, addresses: sorted.map(\.address), gateways: gateways, mac: mac,
            dns: Self.podDNS(config, invocation), policies: policies)
    }

    /// sdnbridge/sdnoverlay put the pod's namespace in front of the config's first search suffix
    /// (`svc.cluster.local` → `default.svc.cluster.local`, from `K8S_POD_NAMESPACE` in CNI_ARGS); win-bridge and
    /// win-overlay do not. A search list from the runtime is used as given.
    static func podDNS(_ config: BridgeOverlayConfig, _ invocation: Invocation) -> DNSSettings {
        var dns = config.dns
        guard PluginKind.isSDNType(config.type), !config.searchFromRuntime, let first = dns.search.first,
            let namespace = invocation.request.arg("K8S_POD_NAMESPACE"),
            !namespace.isEmpty
        else { return dns }
        dns.search[0] = "\(namespace).\(first)"
        return dns
    }

    /// One default gateway per family. L2Bridge: the subnet's network address + 2 (flanneld's `<network>_ep`),
    /// whatever IPAM says. Overlay: the HNS network's gateway for that subnet, else IPAM's, else the first address.
    private func gateways(
        config: BridgeOverlayConfig, network: HostComputeNetwork, addresses: [IPAMAddress], invocation: Invocation
    ) throws(WinCNIError) -> [IPAddress] {
        var prefixes = addresses
        if prefixes.isEmpty {
            // HNS allocates: take the network's subnets, one per family.
            let subnets = network.subnets.compactMap { IPPrefix($0.ipAddressPrefix) }
            if let v4 = subnets.first(where: \.isIPv4) { prefixes.append(IPAMAddress(address: v4, gateway: nil)) }
            if let v6 = subnets.first(where: { !$0.isIPv4 }) {
                prefixes.append(IPAMAddress(address: v6, gateway: nil))
            }
        }
        var result: [IPAddress] = []
        for entry in prefixes where !result.contains(where: { $0.isIPv4 == entry.address.isIPv4 }) {
            let prefix = entry.address
            let ipamGateway = entry.gateway
            // sdnbridge/sdnoverlay: a family IPAM gave no gateway takes the first default route of that family in
            // additionalRoutes.
            if config.optionalFlags.gatewayFromAdditionalRoutes, ipamGateway == nil,
                let route = config.additionalRoutes.first(where: {
                    $0.isDefault && $0.gateway.isIPv4 == prefix.isIPv4
                })
            {
                result.append(route.gateway)
                continue
            }
            switch config.mode {
            case .l2bridge:
                guard let gateway = EndpointAddressing.bridgeGateway(for: prefix) else {
                    throw .invalidConfig(
                        path: invocation.configPath.isEmpty ? "ipam" : "\(invocation.configPath).ipam",
                        message: "subnet \(prefix.masked) has no room for the L2Bridge gateway (network address + 2)")
                }
                result.append(gateway)
            case .overlay:
                if let gateway = Self.networkGateway(of: network, for: prefix.address) ?? ipamGateway
                    ?? prefix.network.adding(1)
                {
                    result.append(gateway)
                }
            }
        }
        return result
    }

    // MARK: DEL

    func del(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError) {
        let request = invocation.request
        let containerID = request.containerID ?? ""
        let name = EndpointNaming.endpointName(containerID: containerID, netns: request.netns, network: config.name)
        let ipam = try IPAMBackend(config: config, invocation: invocation)
        // A store lock that is a symbolic link would fail every DEL (it is never followed): it goes first.
        if let warning = ipam.replaceLinkedStoreLock() { invocation.log("wincni: " + warning) }
        // Not while an ADD of the same container is still at work (no store yet: no ADD got that far).
        let lock = try ipam.lockContainer(containerID, create: false)
        defer { lock?.release() }
        // The endpoint goes first: releasing the IP while HNS still holds it could hand it to another pod. win-bridge
        // releases first and leaves the endpoint behind when IPAM fails.
        // HNS does not keep names unique: every endpoint of this name goes (one enumeration finds them all).
        var addresses: [IPAddress] = []
        let found = try hns("look up endpoint \(quoted(name))", { try client.endpoints(named: name) })
        let ifname = request.ifname ?? "eth0"
        let held = try ipam.otherInterface(
            containerID: containerID, than: ifname,
            holding: found.flatMap { $0.ipConfigurations.compactMap { IPAddress($0.ipAddress) } }, under: lock)
        if let held {
            // The endpoint is another interface's; this one holds nothing to delete.
            invocation.log(
                "wincni: DEL of interface \(quoted(ifname)): endpoint \(quoted(name)) belongs to interface "
                    + "\(quoted(held)) of the container; leaving it")
            return
        }
        for endpoint in found {
            try remove(endpoint)
            addresses += endpoint.ipConfigurations.compactMap { IPAddress($0.ipAddress) }
        }
        // The endpoints named the pod's addresses: host-local opens those files instead of scanning (it scans when
        // there were none, or a file is not where the endpoint said).
        try ipam.release(
            containerID: containerID, ifname: request.ifname ?? "eth0", addresses: addresses, under: lock)
    }

    /// Detaches `endpoint` from its namespace and deletes it; what is already gone counts as done.
    func remove(_ endpoint: HostComputeEndpoint) throws(WinCNIError) {
        if let namespace = endpoint.hostComputeNamespace {
            try hnsIgnoringNotFound("remove endpoint \(quoted(endpoint.name)) from namespace \(namespace)") {
                try client.removeEndpoint(endpoint.id, fromNamespace: namespace)
            }
        }
        try hnsIgnoringNotFound("delete endpoint \(quoted(endpoint.name))") {
            try client.deleteEndpoint(id: endpoint.id)
        }
    }

    // MARK: CHECK

    /// Compares HNS with what the runtime was told (win-bridge, win-overlay and flannel return success without
    /// looking).
    func check(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError) {
        let request = invocation.request
        let containerID = request.containerID ?? ""
        let ifname = request.ifname ?? "eth0"
        let network = try requireNetwork(config, invocation)
        let name = EndpointNaming.endpointName(containerID: containerID, netns: request.netns, network: config.name)
        guard let endpoint = try hns("look up endpoint \(quoted(name))", { try client.endpoint(named: name) }),
            sameID(endpoint.hostComputeNetwork, network.id)
        else { throw .endpointMissing(name: name, network: config.name) }

        if let netns = request.netns {
            guard let namespace = EndpointNaming.namespaceID(netns: netns) else { throw .invalidNamespace(netns) }
            let actual = endpoint.hostComputeNamespace.flatMap { GUID($0) }
            guard actual == namespace else {
                throw .endpointMismatch(
                    "endpoint \(quoted(name)) is in namespace \(endpoint.hostComputeNamespace ?? "none"), "
                        + "CNI_NETNS is \(netns)")
            }
        }
        let actualIPs = endpoint.ipConfigurations.compactMap { IPAddress($0.ipAddress) }
        let ipam = try IPAMBackend(config: config, invocation: invocation)
        try ipam.check()
        if let reserved = try ipam.reservedAddresses(containerID: containerID, ifname: ifname) {
            for address in actualIPs where !reserved.contains(address) {
                throw .endpointMismatch(
                    "endpoint \(quoted(name)) has IP \(address), which host-local does not hold for container "
                        + "\(quoted(containerID)) interface \(quoted(ifname))")
            }
        }
        guard let previous = request.config.prevResult else { return }

        let expectedIPs = previous.ips.map(\.address.address)
        for expected in expectedIPs where !actualIPs.contains(expected) {
            let same = actualIPs.first { $0.isIPv4 == expected.isIPv4 }
            throw .endpointMismatch(
                "endpoint \(quoted(name)) has IP \(same.map(\.description) ?? "none"), prevResult says \(expected)")
        }
        for actual in actualIPs where !expectedIPs.contains(actual) {
            throw .endpointMismatch("endpoint \(quoted(name)) has IP \(actual), which prevResult does not list")
        }
        let routes = Self.defaultGateways(of: endpoint)
        for ip in previous.ips {
            guard let gateway = ip.gateway else { continue }
            let actual = routes.first { $0.isIPv4 == gateway.isIPv4 }
            guard actual == gateway else {
                throw .endpointMismatch(
                    "endpoint \(quoted(name)) routes through \(actual.map(\.description) ?? "no gateway"), "
                        + "prevResult says gateway \(gateway)")
            }
        }
        let interface =
            previous.interfaces.first { $0.sandbox != nil && $0.sandbox == request.netns }
            ?? previous.interfaces.first { $0.name == ifname }
        if let expected = interface?.mac, let mac = MACAddress(expected) {
            guard let actualText = endpoint.macAddress, MACAddress(actualText) == mac else {
                throw .endpointMismatch(
                    "endpoint \(quoted(name)) has MAC \(endpoint.macAddress ?? "none"), prevResult says \(expected)")
            }
        }
        let servers = endpoint.dns?.serverList ?? []
        if !previous.dns.nameservers.isEmpty && previous.dns.nameservers != servers {
            throw .endpointMismatch(
                "endpoint \(quoted(name)) has DNS servers [\(servers.joined(separator: ", "))], prevResult says "
                    + "[\(previous.dns.nameservers.joined(separator: ", "))]")
        }
        let search = endpoint.dns?.search ?? []
        if !previous.dns.search.isEmpty && previous.dns.search != search {
            throw .endpointMismatch(
                "endpoint \(quoted(name)) has DNS search [\(search.joined(separator: ", "))], prevResult says "
                    + "[\(previous.dns.search.joined(separator: ", "))]")
        }
    }

    // MARK: GC and STATUS

    /// Deletes this network's pod attachments that no valid attachment owns, then the host-local reservations of
    /// the same. An endpoint is a pod attachment of this network when all of these hold (README, "GC"):
    /// - it is on this network and not remote (another node's pod);
    /// - its name is `<sandboxID>_<network>` with a container ID's syntax, and not flanneld's `<network>_ep`;
    /// - host-local holds its address for that sandbox ID (an ADD killed before attaching it), or it is attached to
    ///   an HCN namespace (what a pod's ADD leaves).
    /// So kube-proxy's `source_vip`, or a `kubeproxy_cbr0` outside any namespace, is left alone. win-bridge and
    /// win-overlay have no GC.
    func gc(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError) {
        let valid = Set(invocation.request.config.validAttachments ?? [])
        let validOwners = Set(valid.map(\.containerID))
        var failures: [WinCNIError] = []
        var notRemoved: Set<String> = []
        var ipam: IPAMBackend?
        do { ipam = try IPAMBackend(config: config, invocation: invocation) } catch { failures.append(error) }
        // A store lock that is a symbolic link would fail every GC as it fails DEL (it is never followed).
        if let warning = ipam?.replaceLinkedStoreLock() { invocation.log("wincni: " + warning) }
        var found = invocation.network
        if found == nil {
            found = try hns("look up network \(quoted(config.name))", { try client.network(named: config.name) })
        }
        if let network = found {
            let endpoints = try hns("list the endpoints of network \(quoted(config.name))") {
                try client.endpoints(networkID: network.id)
            }
            var candidates: [(endpoint: HostComputeEndpoint, owner: String)] = []
            for endpoint in endpoints where sameID(endpoint.hostComputeNetwork, network.id) {
                if endpoint.isRemote || EndpointNaming.isForeign(endpoint.name, network: config.name) { continue }
                let owner = String(endpoint.name.dropLast(config.name.count + 1))
                if validOwners.contains(owner) || !CNIParameters.isContainerID(owner) { continue }
                candidates.append((endpoint, owner))
            }
            var reservedBy: [IPAddress: String] = [:]
            do {
                let addresses = candidates.flatMap {
                    $0.endpoint.ipConfigurations.compactMap { IPAddress($0.ipAddress) }
                }
                reservedBy = try ipam?.reservationOwners(of: addresses) ?? [:]
            } catch {
                failures.append(error)
            }
            for (endpoint, owner) in candidates {
                let reserved = endpoint.ipConfigurations.contains {
                    IPAddress($0.ipAddress).flatMap { reservedBy[$0] } == owner
                }
                guard reserved || endpoint.hostComputeNamespace != nil else {
                    invocation.log(
                        "wincni: GC leaves endpoint \(quoted(endpoint.name)): in no namespace, and its address is not "
                            + "reserved for \(quoted(owner)), so it is not a pod attachment of wincni's")
                    continue
                }
                invocation.log("wincni: GC removes endpoint \(quoted(endpoint.name))")
                do { try remove(endpoint) } catch {
                    // Its address stays reserved while HNS holds it, so the next GC still knows the endpoint.
                    failures.append(error)
                    notRemoved.insert(owner)
                }
            }
        }
        do {
            if let released = try ipam?.collectGarbage(valid: valid, keeping: notRemoved, command: .gc), released > 0 {
                invocation.log("wincni: GC released \(released) host-local reservations")
            }
        } catch {
            failures.append(error)
        }
        if let first = failures.first { throw first }
    }

    /// Ready when HNS answers and the network exists (flanneld has created it).
    func status(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError) {
        _ = try requireNetwork(config, invocation)
        try IPAMBackend(config: config, invocation: invocation).status()
    }

    // MARK: Helpers

    /// The config's HNS network, of the config's mode; the one the invocation already looked up (to fill node
    /// placeholders) is not looked up again.
    func requireNetwork(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError)
        -> HostComputeNetwork
    {
        var found = invocation.network
        if found == nil {
            found = try hns("look up network \(quoted(config.name))", { try client.network(named: config.name) })
        }
        guard let network = found else { throw .networkNotFound(name: config.name) }
        guard config.mode.accepts(networkType: network.type) else {
            throw .networkTypeMismatch(name: config.name, found: network.type, expected: config.mode.rawValue)
        }
        return network
    }

    /// `requireNetwork` with the network's handle left open: the one the invocation opened to fill node
    /// placeholders, or a new one. It is closed by `HeldNetwork.close()` or when the last reference goes.
    func requireOpenNetwork(_ config: BridgeOverlayConfig, _ invocation: Invocation) throws(WinCNIError)
        -> HeldNetwork
    {
        var held = invocation.heldNetwork
        if held == nil {
            let opened = try hns(
                "look up network \(quoted(config.name))", { try client.openNetwork(named: config.name) })
            held = opened.map { HeldNetwork($0, client: client) }
        }
        guard let held else { throw .networkNotFound(name: config.name) }
        guard config.mode.accepts(networkType: held.network.type) else {
            held.close()
            throw .networkTypeMismatch(name: config.name, found: held.network.type, expected: config.mode.rawValue)
        }
        return held
    }

    /// The CNI result for an endpoint as HNS holds it: `interfaces[0]` is CNI_IFNAME with the endpoint's MAC in
    /// the sandbox CNI_NETNS (win-bridge names it after the endpoint and sets no sandbox), the IPs with their
    /// gateways and `interface: 0`, and the DNS. A prevResult (chained plugins) keeps its entries in front.
    func result(
        _ endpoint: HostComputeEndpoint, network: HostComputeNetwork, config: BridgeOverlayConfig,
        invocation: Invocation
    ) -> CNIResult {
        let request = invocation.request
        var result = request.config.prevResult ?? CNIResult()
        result.cniVersion = CNIVersion.current
        let index = result.interfaces.count
        result.interfaces.append(
            CNIResult.Interface(name: request.ifname ?? "eth0", mac: endpoint.macAddress, sandbox: request.netns))
        let gateways = Self.defaultGateways(of: endpoint)
        // IPv4 first, then IPv6, each in HNS's order.
        for pass in 0..<2 {
            for configuration in endpoint.ipConfigurations {
                guard let address = IPAddress(configuration.ipAddress), address.isIPv4 == (pass == 0) else { continue }
                var prefixLength = Int(configuration.prefixLength)
                if prefixLength == 0 {
                    prefixLength =
                        network.subnets.compactMap { IPPrefix($0.ipAddressPrefix) }.first { $0.contains(address) }?
                        .length ?? address.bitWidth
                }
                guard let prefix = IPPrefix(address: address, length: prefixLength) else { continue }
                result.ips.append(
                    CNIResult.IPConfig(
                        address: prefix, gateway: gateways.first { $0.isIPv4 == address.isIPv4 }, interface: index))
            }
        }
        let dns = endpoint.dns
        let ours = DNS(
            nameservers: dns?.serverList ?? config.dns.nameservers,
            domain: (dns?.domain ?? config.dns.domain).isEmpty ? nil : (dns?.domain ?? config.dns.domain),
            search: dns?.search ?? config.dns.search, options: dns?.options ?? config.dns.options)
        if !ours.isEmpty { result.dns = ours }
        return result
    }

    static func defaultGateways(of endpoint: HostComputeEndpoint) -> [IPAddress] {
        endpoint.routes.filter { $0.destinationPrefix == "0.0.0.0/0" || $0.destinationPrefix == "::/0" }
            .compactMap { IPAddress($0.nextHop) }
    }

    /// The `ProviderAddress` network policy HNS adds to Overlay networks (the host's management IP).
    static func providerAddress(of network: HostComputeNetwork) -> IPAddress? {
        for policy in network.policies where policy.type.lowercased() == "provideraddress" {
            if let text = policy.settings[goKey: "ProviderAddress"]?.stringValue, let address = IPAddress(text) {
                return address
            }
        }
        return nil
    }

    /// The network's subnet holding `address` (the first subnet when unknown).
    static func nodeSubnet(of network: HostComputeNetwork, containing address: IPAddress?) -> IPPrefix? {
        let subnets = network.subnets.compactMap { IPPrefix($0.ipAddressPrefix) }
        if let address, let subnet = subnets.first(where: { $0.contains(address) }) { return subnet.masked }
        return subnets.first?.masked
    }

    /// The default route's next hop of the network subnet holding `address` (flanneld vxlan sets `.1`).
    static func networkGateway(of network: HostComputeNetwork, for address: IPAddress) -> IPAddress? {
        for subnet in network.subnets {
            guard let prefix = IPPrefix(subnet.ipAddressPrefix), prefix.contains(address) else { continue }
            for route in subnet.routes where route.destinationPrefix == "0.0.0.0/0" || route.destinationPrefix == "::/0"
            {
                if let hop = IPAddress(route.nextHop) { return hop }
            }
        }
        return nil
    }

    /// `action` is only built when the call fails: on the success path of an ADD these descriptions (with their
    /// quoted names) were a measurable share of the plugin's own work.
    func hns<T>(_ action: @autoclosure () -> String, _ body: () throws -> T) throws(WinCNIError) -> T {
        do {
            return try body()
        } catch let error as HCNError {
            throw .hns(error, action: action())
        } catch {
            throw .internalFailure("cannot \(action()): \(error)")
        }
    }

    func hnsIgnoringNotFound(_ action: @autoclosure () -> String, _ body: () throws -> Void) throws(WinCNIError) {
        do {
            try body()
        } catch let error as HCNError where error.isNotFound {
            return
        } catch let error as HCNError {
            throw .hns(error, action: action())
        } catch {
            throw .internalFailure("cannot \(action()): \(error)")
        }
    }
}

/// HNS IDs are GUIDs printed in either case.
func sameID(_ left: String, _ right: String) -> Bool {
    if let l = GUID(left), let r = GUID(right) { return l == r }
    return asciiEqualFold(left, right)
}
