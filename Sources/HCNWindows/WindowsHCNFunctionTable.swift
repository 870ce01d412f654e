#if os(Windows)
    import HCN
    import WinSDK

    /// Loads the HCN entry points from `computenetwork.dll`, `HNSCall` from `vmcompute.dll` and `CoTaskMemFree`
    /// from `ole32.dll` into an `HCNFunctionTable`. The modules stay loaded for the life of the process.
    public func loadWindowsHCNFunctionTable() throws(HCNError) -> HCNFunctionTable {
        let hcn = try loadSystemLibrary("computenetwork.dll")
        let vmcompute = try loadSystemLibrary("vmcompute.dll")
        let ole32 = try loadSystemLibrary("ole32.dll")

        return HCNFunctionTable(
            enumerateNetworks: try symbol(hcn, "HcnEnumerateNetworks", "computenetwork.dll"),
            createNetwork: try symbol(hcn, "HcnCreateNetwork", "computenetwork.dll"),
            openNetwork: try symbol(hcn, "HcnOpenNetwork", "computenetwork.dll"),
            modifyNetwork: try symbol(hcn, "HcnModifyNetwork", "computenetwork.dll"),
            queryNetworkProperties: try symbol(hcn, "HcnQueryNetworkProperties", "computenetwork.dll"),
            deleteNetwork: try symbol(hcn, "HcnDeleteNetwork", "computenetwork.dll"),
            closeNetwork: try symbol(hcn, "HcnCloseNetwork", "computenetwork.dll"),
            enumerateEndpoints: try symbol(hcn, "HcnEnumerateEndpoints", "computenetwork.dll"),
            createEndpoint: try symbol(hcn, "HcnCreateEndpoint", "computenetwork.dll"),
            openEndpoint: try symbol(hcn, "HcnOpenEndpoint", "computenetwork.dll"),
            modifyEndpoint: try symbol(hcn, "HcnModifyEndpoint", "computenetwork.dll"),
            queryEndpointProperties: try symbol(hcn, "HcnQueryEndpointProperties", "computenetwork.dll"),
            deleteEndpoint: try symbol(hcn, "HcnDeleteEndpoint", "computenetwork.dll"),
            closeEndpoint: try symbol(hcn, "HcnCloseEndpoint", "computenetwork.dll"),
            enumerateNamespaces: try symbol(hcn, "HcnEnumerateNamespaces", "computenetwork.dll"),
            createNamespace: try symbol(hcn, "HcnCreateNamespace", "computenetwork.dll"),
            openNamespace: try symbol(hcn, "HcnOpenNamespace", "computenetwork.dll"),
            modifyNamespace: try symbol(hcn, "HcnModifyNamespace", "computenetwork.dll"),
            queryNamespaceProperties: try symbol(hcn, "HcnQueryNamespaceProperties", "computenetwork.dll"),
            deleteNamespace: try symbol(hcn, "HcnDeleteNamespace", "computenetwork.dll"),
            closeNamespace: try symbol(hcn, "HcnCloseNamespace", "computenetwork.dll"),
            hnsCall: try symbol(vmcompute, "HNSCall", "vmcompute.dll"),
            coTaskMemFree: try symbol(ole32, "CoTaskMemFree", "ole32.dll")
        )
    }

    /// `LoadLibraryExW` restricted to System32, so a DLL of the same name next to the plugin or in the working
    /// directory (which the container runtime controls only loosely) is never picked up instead.
    private func loadSystemLibrary(_ name: String) throws(HCNError) -> HMODULE {
        var wide = Array(name.utf16)
        wide.append(0)
        let module = wide.withUnsafeBufferPointer { buffer in
            LoadLibraryExW(buffer.baseAddress, nil, DWORD(LOAD_LIBRARY_SEARCH_SYSTEM32))
        }
        guard let module else {
            throw win32Error(
                operation: "LoadLibraryExW \(name)",
                message: "\(name) could not be loaded: HNS v2 needs Windows Server 2019 (1809) or later")
        }
        return module
    }

    /// Looks `name` up in `module` and reinterprets it as the C function type `Function`. The table's types carry
    /// the exact `computenetwork.dll` signatures, and x64/arm64 Windows have one calling convention.
    private func symbol<Function>(_ module: HMODULE, _ name: String, _ library: String) throws(HCNError) -> Function {
        guard let address = GetProcAddress(module, name) else {
            throw win32Error(
                operation: "GetProcAddress \(name)",
                message: "\(library) has no \(name): this Windows build is too old for HNS v2")
        }
        return unsafeBitCast(address, to: Function.self)
    }

    /// The calling thread's last Win32 error as an HRESULT (`HRESULT_FROM_WIN32`).
    private func win32Error(operation: String, message: String) -> HCNError {
        let win32 = GetLastError()
        let code: UInt32 = win32 == 0 ? 0x8000_4005 : (UInt32(win32) & 0xFFFF) | 0x8007_0000
        return HCNError(
            operation: operation, code: HCN.HRESULT(code), name: HCNErrorCatalog.name(of: HCN.HRESULT(code)),
            message: "\(message) (Win32 error \(win32))")
    }
#endif
