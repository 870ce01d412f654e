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
        // The platform layer (DESIGN.md "Modules"): every OS call, behind one C header; posix.c and win32.c are each
        // guarded whole.
        .target(name: "CPlatform"),
        // The Swift side of it: one error type (PlatformError), files, locks, processes, environment, clocks.
        .target(name: "Platform", dependencies: ["CPlatform"], swiftSettings: strict),
        // The HNS simulator's state: one SQLite database per simulator directory.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "JSON", dependencies: ["CJSONC"], swiftSettings: strict,
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        // IPv4/IPv6 addresses, CIDR prefixes and MAC addresses: shared by the CNI results, HNS documents, the
        // simulator's checks and host-local's arithmetic.
        .target(name: "NetAddress", swiftSettings: strict),
        .target(name: "CNI", dependencies: ["JSON", "NetAddress", "Platform"], swiftSettings: strict),
        .target(name: "HCN", dependencies: ["JSON", "NetAddress"], swiftSettings: strict),
        .target(name: "CBuildInfo", cSettings: [.define("WINCNI_COMMIT", to: "\"\(buildCommit)\"")]),
        .target(
            name: "HNSSimulator", dependencies: ["CSQLite", "HCN", "JSON", "NetAddress", "Platform"],
            swiftSettings: strict),
        .target(name: "HostLocal", dependencies: ["CNI", "JSON", "NetAddress", "Platform"], swiftSettings: strict),
        .target(
            name: "WinCNI",
            dependencies: [
                "CBuildInfo", "CNI", "HCN", "HostLocal", "JSON", "NetAddress", "Platform",
            ],
            swiftSettings: strict),
        .target(
            name: "HNSControl",
            dependencies: [
                "HCN", "HNSSimulator", "HostLocal", "JSON", "NetAddress", "Platform", "WinCNI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wincni",
            dependencies: [
                "CNI", "WinCNI", "HNSSimulator", "Platform",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hnsctl",
            dependencies: [
                "HNSControl", "Platform",
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"], swiftSettings: strict),
        .testTarget(name: "CNITests", dependencies: ["CNI", "JSON", "NetAddress", "Platform"], swiftSettings: strict),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"], swiftSettings: strict),
        .testTarget(
            name: "HCNTests",
            dependencies: ["HCN", "HNSSimulator", "JSON", "NetAddress", "Platform"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HNSSimulatorTests", dependencies: ["HNSSimulator", "HCN", "JSON", "NetAddress"],
            swiftSettings: strict),
        .testTarget(
            name: "HostLocalTests", dependencies: ["HostLocal", "CNI", "JSON", "NetAddress", "Platform"],
            swiftSettings: strict),
        .testTarget(
            name: "WinCNITests",
            // HNSControl: `hnsctl doctor` and hnsctl's messages run against the same simulated nodes.
            dependencies: [
                "WinCNI", "CNI", "HCN", "HNSControl", "HNSSimulator", "HostLocal", "JSON", "NetAddress", "Platform",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["JSON", "Platform"], swiftSettings: strict),
        // What users run around the code: the Makefile and its scripts, deploy/'s manifests and CNI config.
        .testTarget(name: "ProjectTests", dependencies: ["JSON"], swiftSettings: strict),
        // Bad input, HNS faults, crashes, concurrency and security, through the built binaries (issue 5).
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["JSON", "CNI", "HCN", "HNSSimulator", "HostLocal", "NetAddress", "Platform", "WinCNIFuzz"],
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
