import CNI
import HostLocal
import JSON
import NetAddress

/// An address IPAM handed out: the address with its prefix length and IPAM's gateway, if any. host-local's own
/// type, so that its allocations are used as they come (a second array type, mapped into, cost every exec the set-up
/// of its generic metadata and a copy).
typealias IPAMAddress = HostLocalAllocation

/// Where a pod's addresses come from: host-local inside this process (same on-disk store as the Go plugin), an
/// IPAM plugin exec'd from `CNI_PATH`, or HNS itself when the config has no `ipam` (win-bridge: "HNS can provide
/// IP/GW").
enum IPAMBackend {
    case hostLocal(HostLocalStore)
    case delegated(type: String, delegator: PluginDelegator, stdin: [UInt8])
    case hns

    init(config: BridgeOverlayConfig, invocation: Invocation) throws(WinCNIError) {
        guard let ipam = config.ipam, let type = config.ipamType else {
            self = .hns
            return
        }
        if type == "host-local" {
            let ipamPath = invocation.configPath.isEmpty ? "ipam" : "\(invocation.configPath).ipam"
            do {
                let hostLocal = try HostLocalConfig.decode(ipam, path: ipamPath)
                self = .hostLocal(
                    try HostLocalStore(
                        config: hostLocal, networkName: config.name, platform: invocation.environment.platform))
            } catch {
                throw Self.mapped(error)
            }
        } else {
            self = .delegated(type: type, delegator: invocation.delegator, stdin: invocation.request.config.bytes)
        }
    }

    /// One address per family (or per host-local range set). `excluding` is the L2Bridge `.2`, which flanneld's
    /// `<network>_ep` holds: Go host-local hands it out first and HNS then fails the first pod with 0x1392.
    ///
    /// `requested`: the addresses the runtime asks for (`RequestedAddresses`), which host-local reserves exactly.
    /// An exec'd IPAM plugin reads them from its own stdin and `CNI_ARGS`; with HNS allocating, the caller puts them
    /// on the endpoint.
    ///
    /// `knownNew`: the container can hold no address yet (`HostLocalStore.allocate`), so host-local does not scan.
    /// `lock`: the container's lock from `lockContainer`, whose open file host-local's store lock then uses.
    func allocate(
        containerID: String, ifname: String, mode: NetworkMode, requested: [IPAddress] = [], knownNew: Bool = false,
        under lock: ContainerLock? = nil
    )
        throws(WinCNIError) -> [IPAMAddress]
    {
        switch self {
        case .hns: return []
        case .hostLocal(let store):
            var excluded: [IPAddress] = []
            if mode == .l2bridge {
                // The subnets as host-local lists them: a copy of the nested range sets here went through their
                // generic value witness, which set up the metadata of [[Range]] in every exec.
                for subnet in store.config.subnets {
                    if let gateway = EndpointAddressing.bridgeGateway(for: subnet), !excluded.contains(gateway) {
                        excluded.append(gateway)
                    }
                }
            }
            do {
                return try store.allocate(
                    containerID: containerID, ifname: ifname, excluding: excluded, requested: requested,
                    knownNew: knownNew, under: lock)
            } catch {
                throw Self.mapped(error)
            }
        case .delegated(let type, let delegator, let stdin):
            let result: CNIResult?
            do {
                result = try delegator.delegate(type, command: .add, stdin: stdin)
            } catch {
                throw .delegated(error, plugin: "IPAM plugin \(quoted(type))")
            }
            guard let result, !result.ips.isEmpty else {
                throw .ipam(message: "IPAM plugin \(quoted(type)) returned no IP address", code: nil)
            }
            return result.ips.map { IPAMAddress(address: $0.address, gateway: $0.gateway) }
        }
    }

    /// Serializes this container's calls on the network (host-local only: its store holds the lock; the other
    /// backends give nil). Without `create`, a store that does not exist yet gives nil.
    /// host-local's `replaceLinkedLock` (for DEL); nil for the other backends or when the lock is no link.
    func replaceLinkedStoreLock() -> String? {
        guard case .hostLocal(let store) = self else { return nil }
        return store.replaceLinkedLock()
    }

    func lockContainer(_ containerID: String, create: Bool) throws(WinCNIError) -> ContainerLock? {
        guard case .hostLocal(let store) = self else { return nil }
        do {
            return try store.lockContainer(containerID, create: create)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Gives the container's addresses back; nothing held is success. `addresses` (from the HNS endpoint) lets
    /// host-local open just those files instead of scanning its store. `lock`: as for `allocate`.
    func release(
        containerID: String, ifname: String, addresses: [IPAddress] = [], under lock: ContainerLock? = nil
    ) throws(WinCNIError) {
        switch self {
        case .hns: return
        case .hostLocal(let store):
            do {
                try store.release(containerID: containerID, ifname: ifname, addresses: addresses, under: lock)
            } catch {
                throw Self.mapped(error)
            }
        case .delegated(let type, let delegator, let stdin):
            do {
                _ = try delegator.delegate(type, command: .del, stdin: stdin)
            } catch {
                throw .delegated(error, plugin: "IPAM plugin \(quoted(type))")
            }
        }
    }

    /// The addresses host-local holds for this container, to compare in CHECK (nil: not host-local).
    func reservedAddresses(containerID: String, ifname: String) throws(WinCNIError) -> Set<IPAddress>? {
        guard case .hostLocal(let store) = self else { return nil }
        do {
            return Set(
                try store.reservations().filter { $0.containerID == containerID && $0.ifname == ifname }.map(\.address))
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The interface of this container that host-local holds `addresses` (an endpoint's) for, when it is not
    /// `ifname`; nil when they are `ifname`'s, nobody's, or the backend is not host-local (exec'd IPAM and HNS cannot
    /// tell the interfaces of a container apart). Files of older host-local versions name no interface and count as
    /// `ifname`'s. `lock`: as for `allocate`.
    func otherInterface(
        containerID: String, than ifname: String, holding addresses: [IPAddress], under lock: ContainerLock? = nil
    ) throws(WinCNIError) -> String? {
        guard case .hostLocal(let store) = self else { return nil }
        var heldByThis = false
        var other: String? = nil
        do {
            try store.forEachOwner(of: addresses, under: lock) { _, owner, interface in
                guard owner == containerID else { return }
                if interface == ifname || interface.isEmpty {
                    heldByThis = true
                } else if other == nil {
                    other = interface
                }
            }
        } catch {
            throw Self.mapped(error)
        }
        return heldByThis ? nil : other
    }

    /// Which container host-local holds each of `addresses` for (nil when the backend is not host-local).
    func reservationOwners(of addresses: [IPAddress]) throws(WinCNIError) -> [IPAddress: String]? {
        guard case .hostLocal(let store) = self else { return nil }
        do {
            var owners: [IPAddress: String] = [:]
            for owner in try store.owners(of: addresses) { owners[owner.address] = owner.containerID }
            return owners
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Releases every reservation whose container/interface is not in `valid`; returns how many.
    /// `keeping`: containers whose addresses stay reserved whatever their interface (an endpoint of theirs that GC
    /// could not delete still holds them).
    func collectGarbage(valid: Set<GCAttachment>, keeping: Set<String> = [], command: CNICommand)
        throws(WinCNIError) -> Int
    {
        switch self {
        case .hns: return 0
        case .hostLocal(let store):
            do {
                return try store.releaseAll { containerID, ifname in
                    valid.contains(GCAttachment(containerID: containerID, ifname: ifname))
                        || keeping.contains(containerID)
                }
            } catch {
                throw Self.mapped(error)
            }
        case .delegated(let type, let delegator, let stdin):
            do {
                _ = try delegator.delegate(type, command: command, stdin: stdin)
            } catch {
                throw .delegated(error, plugin: "IPAM plugin \(quoted(type))")
            }
            return 0
        }
    }

    /// CHECK of an exec'd IPAM plugin, which the spec requires a plugin to pass on (host-local is compared with HNS
    /// by the caller; HNS needs nothing).
    func check() throws(WinCNIError) {
        guard case .delegated(let type, let delegator, let stdin) = self else { return }
        do {
            _ = try delegator.delegate(type, command: .check, stdin: stdin)
        } catch {
            throw .delegated(error, plugin: "IPAM plugin \(quoted(type))")
        }
    }

    /// STATUS of an exec'd IPAM plugin (host-local and HNS need nothing).
    func status() throws(WinCNIError) {
        guard case .delegated(let type, let delegator, let stdin) = self else { return }
        do {
            _ = try delegator.delegate(type, command: .status, stdin: stdin)
        } catch {
            throw .delegated(error, plugin: "IPAM plugin \(quoted(type))")
        }
    }

    static func mapped(_ error: HostLocalError) -> WinCNIError {
        switch error.kind {
        case .invalidConfig: return .invalidConfig(path: error.path, message: error.message)
        case .invalidName: return .ipam(message: "host-local: \(error.description)", code: 4)
        case .exhausted: return .ipam(message: "host-local: \(error.description)", code: 999)
        case .io: return .ipam(message: "host-local: \(error.description)", code: 5)
        }
    }
}
