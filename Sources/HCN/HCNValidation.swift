import NetAddress

/// The VSID range HNS accepts (moby/libnetwork#1843; flannel refuses VNIs below 4096 on Windows).
public let validVSIDRange: ClosedRange<UInt32> = 4096...16_777_214

extension HostComputeNetwork {
    /// The checks hcsshim's `HostComputeNetwork.Create()` makes before calling HNS (every route of a subnet with
    /// a prefix has a `NextHop`, and one route is the default route), plus the forms of the values: a known
    /// `Type`, CIDR prefixes, IP next hops, VSIDs in HNS's range. Errors name the JSON path of the bad value.
    public func validate() throws(HCNDecodingError) {
        if name.isEmpty { throw HCNDecodingError(path: "Name", message: "a network needs a name") }
        if networkType == nil {
            let known = NetworkType.allCases.map(\.rawValue).joined(separator: ", ")
            throw HCNDecodingError(path: "Type", message: "\"\(type)\" is not an HNS network type (\(known))")
        }
        for (ipamIndex, ipam) in ipams.enumerated() {
            for (subnetIndex, subnet) in ipam.subnets.enumerated() {
                try subnet.validate(path: "Ipams[\(ipamIndex)].Subnets[\(subnetIndex)]")
            }
        }
    }
}

extension Subnet {
    func validate(path: String) throws(HCNDecodingError) {
        if !ipAddressPrefix.isEmpty {
            guard IPPrefix(ipAddressPrefix) != nil else {
                throw HCNDecodingError(path: path + ".IpAddressPrefix", message: "\"\(ipAddressPrefix)\" is not a CIDR")
            }
            // hcsshim's client-side checks, with its wording.
            if routes.contains(where: { $0.nextHop.isEmpty }) {
                throw HCNDecodingError(
                    path: path + ".Routes",
                    message: "network create error, subnet has address prefix but no gateway specified")
            }
            if gateway == nil {
                throw HCNDecodingError(path: path + ".Routes", message: "network create error, no default gateway")
            }
        }
        for (index, route) in routes.enumerated() {
            try route.validate(path: "\(path).Routes[\(index)]")
        }
        for (index, policy) in policies.enumerated() where policy.type == SubnetPolicyType.vsid.rawValue {
            let policyPath = "\(path).Policies[\(index)].Settings.IsolationId"
            let setting: VsidPolicySetting?
            do {
                setting = try policy.settings(as: VsidPolicySetting.self)
            } catch {
                throw HCNDecodingError(path: "\(path).Policies[\(index)].\(error.path)", message: error.message)
            }
            if let setting, !validVSIDRange.contains(setting.isolationId) {
                throw HCNDecodingError(
                    path: policyPath,
                    message:
                        "VSID \(setting.isolationId) is outside \(validVSIDRange.lowerBound)-\(validVSIDRange.upperBound)"
                )
            }
        }
    }
}

extension Route {
    func validate(path: String) throws(HCNDecodingError) {
        if !nextHop.isEmpty && IPAddress(nextHop) == nil {
            throw HCNDecodingError(path: path + ".NextHop", message: "\"\(nextHop)\" is not an IP address")
        }
        if !destinationPrefix.isEmpty && IPPrefix(destinationPrefix) == nil {
            throw HCNDecodingError(path: path + ".DestinationPrefix", message: "\"\(destinationPrefix)\" is not a CIDR")
        }
    }
}

extension HostComputeEndpoint {
    /// The forms of the values HNS parses: IP addresses and prefix lengths, route prefixes and next hops, the MAC
    /// (dashes or colons, any case), DNS server IPs and the network ID. Errors name the JSON path of the bad value.
    public func validate() throws(HCNDecodingError) {
        if !hostComputeNetwork.isEmpty && GUID(hostComputeNetwork) == nil {
            throw HCNDecodingError(path: "HostComputeNetwork", message: "\"\(hostComputeNetwork)\" is not a GUID")
        }
        for (index, config) in ipConfigurations.enumerated() {
            let path = "IpConfigurations[\(index)]"
            guard let address = IPAddress(config.ipAddress) else {
                throw HCNDecodingError(
                    path: path + ".IpAddress", message: "\"\(config.ipAddress)\" is not an IP address")
            }
            if Int(config.prefixLength) > address.bitWidth {
                throw HCNDecodingError(
                    path: path + ".PrefixLength",
                    message: "\(config.prefixLength) is longer than an IPv\(address.isIPv4 ? 4 : 6) address")
            }
        }
        for (index, route) in routes.enumerated() {
            try route.validate(path: "Routes[\(index)]")
        }
        if let macAddress, MACAddress(macAddress) == nil {
            throw HCNDecodingError(path: "MacAddress", message: "\"\(macAddress)\" is not a MAC address")
        }
        for (index, server) in (dns?.serverList ?? []).enumerated() where IPAddress(server) == nil {
            throw HCNDecodingError(path: "Dns.ServerList[\(index)]", message: "\"\(server)\" is not an IP address")
        }
    }
}
