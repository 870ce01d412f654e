// swift-tools-version:6.0
import PackageDescription

// Module layout and import rules: ../shared/DESIGN.md ("Modules").

// `make test` turns every warning of our own targets into an error; plain `swift build` stays lenient.
let strict: [SwiftSetting] =
    Context.environment["WINCNI_WARNINGS_AS_ERRORS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : []

// The commit compiled into wincni and hnsctl (WinCNIVersion): the Makefile exports WINCNI_COMMIT from git. Without
// it (a plain `swift build`, a tree without git) the binaries say "unknown"; SwiftPM's own git information is not
// used because its manifest cache keeps it from the first build (swift-package-manager issue 8202).
let buildCommit: String = {
    let given = Context.environment["WINCNI_COMMIT"] ?? ""
    let allowed = given.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    return given.isEmpty || !allowed ? "unknown" : given
}()

let package = Package(
    name: "wincni",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wincni", targets: ["wincni"]),
        .executable(name: "hnsctl", targets: ["hnsctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
    ],
    targets: [
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .target(name: "JSON", dependencies: ["CJSONC"], swiftSettings: strict, linkerSettings: [.linkedLibrary("m")]),
        // IPv4/IPv6 addresses, CIDR prefixes and MAC addresses: shared by the CNI results, HNS documents, the
        // simulator's checks and host-local's arithmetic.
        .target(name: "NetAddress", swiftSettings: strict),
        .target(name: "CNI", dependencies: ["JSON", "NetAddress"], swiftSettings: strict),
        .target(name: "HCN", dependencies: ["JSON", "NetAddress"], swiftSettings: strict),
        .target(name: "HCNWindows", dependencies: ["HCN"], swiftSettings: strict),
        // Linux system calls Swift's Glibc module lacks (renameat2), as inline C: file recycling in the simulator, in
        // flannel's dataDir and in host-local's store.
        .systemLibrary(name: "CLinux"),
        // The command line for Swift's CommandLine without the standard library's /proc/self/maps scan at start-up.
        .target(name: "CArguments"),
        .target(name: "CBuildInfo", cSettings: [.define("WINCNI_COMMIT", to: "\"\(buildCommit)\"")]),
        .target(
            name: "HNSSimulator", dependencies: ["CLinux", "HCN", "JSON", "NetAddress"], swiftSettings: strict),
        .target(name: "HostLocal", dependencies: ["CLinux", "CNI", "JSON", "NetAddress"], swiftSettings: strict),
        .target(
            name: "WinCNI",
            dependencies: [
                "CBuildInfo", "CNI", "HCN", "HostLocal", "JSON", "NetAddress",
                .target(name: "CLinux", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: strict),
        .target(
            name: "HNSControl",
            dependencies: [
                "HCN", "HNSSimulator", "HostLocal", "JSON", "NetAddress", "WinCNI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wincni",
            dependencies: [
                "CNI", "WinCNI", "HNSSimulator",
                .target(name: "CArguments", condition: .when(platforms: [.linux])),
                .target(name: "HCNWindows", condition: .when(platforms: [.windows])),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hnsctl",
            dependencies: [
                "HNSControl",
                .target(name: "HCNWindows", condition: .when(platforms: [.windows])),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"], swiftSettings: strict),
        .testTarget(name: "CNITests", dependencies: ["CNI", "JSON", "NetAddress"], swiftSettings: strict),
        .testTarget(
            name: "HCNTests",
            dependencies: ["HCN", "HNSSimulator", "JSON", "NetAddress"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HNSSimulatorTests", dependencies: ["HNSSimulator", "HCN", "JSON", "NetAddress"],
            swiftSettings: strict),
        .testTarget(
            name: "HostLocalTests", dependencies: ["HostLocal", "CNI", "JSON", "NetAddress"], swiftSettings: strict),
        .testTarget(
            name: "WinCNITests",
            // HNSControl: `hnsctl doctor` and hnsctl's messages run against the same simulated nodes.
            dependencies: ["WinCNI", "CNI", "HCN", "HNSControl", "HNSSimulator", "HostLocal", "JSON", "NetAddress"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["JSON"], swiftSettings: strict),
        // What users run around the code: the Makefile and its scripts, deploy/'s manifests and CNI config.
        .testTarget(name: "ProjectTests", dependencies: ["JSON"], swiftSettings: strict),
        // Bad input, HNS faults, crashes, concurrency and security, through the built binaries (issue 5).
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["JSON", "CNI", "HCN", "HNSSimulator", "NetAddress", "WinCNIFuzz"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        // The fuzz entry point (Fuzz/README.md): a plain library here; scripts/fuzz.sh links it into a libFuzzer
        // binary with -sanitize=fuzzer, so `swift build` never needs libFuzzer.
        .target(
            name: "WinCNIFuzz", dependencies: ["CNI", "HostLocal", "JSON", "NetAddress", "WinCNI"],
            path: "Fuzz/Sources/WinCNIFuzz", swiftSettings: strict),
    ]
)
