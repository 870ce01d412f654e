import HNSSimulator
import Testing

/// One kill -9: the command, the HCN operation it dies at (the first call of it), before or after the operation
/// takes effect, and how the node is then brought back (the runtime's DEL, or a GC that no longer lists the pod).
struct CrashPoint: CustomTestStringConvertible, Sendable {
    var flavor: Flavor
    var command: String
    var operation: String
    var after: Bool
    var recovery: String

    var testDescription: String {
        "\(flavor.rawValue) \(command) killed \(after ? "after" : "before") \(operation), then \(recovery)"
    }

    /// Every state a crash can leave: between two operations that change HNS only reads happen, so the first
    /// call of each operation, before and after it, reaches every distinct on-disk state. "Before
    /// HcnCreateEndpoint" is the point between the IPAM and HNS steps (the IP is reserved, no endpoint exists);
    /// with flannel, "before HcnEnumerateNetworks" is the point after the delegate config is saved.
    static let all: [CrashPoint] = {
        var points: [CrashPoint] = []
        for flavor in Flavor.allCases {
            for recovery in ["DEL", "GC"] {
                for operation in Operations.add + Operations.closes {
                    for after in [false, true] {
                        points.append(
                            CrashPoint(
                                flavor: flavor, command: "ADD", operation: operation, after: after, recovery: recovery))
                    }
                }
                for operation in Operations.del + Operations.delCloses {
                    for after in [false, true] {
                        points.append(
                            CrashPoint(
                                flavor: flavor, command: "DEL", operation: operation, after: after, recovery: recovery))
                    }
                }
            }
        }
        return points
    }()
}

@Suite("kill -9 at any HCN operation: DEL or GC brings the node back clean, and the pod can be added again")
struct CrashMatrixTests {
    @Test("a crashed command is recovered", .enabled(if: PluginAvailability.isWired), arguments: CrashPoint.all)
    func recover(_ point: CrashPoint) throws {
        let node = try TestNode()
        let pod = try node.pod("crashed")
        if point.command == "DEL" {
            #expect(try node.run(point.flavor, "ADD", pod).status == 0)
        }
        try node.plant(point.operation, point.after ? .crashAfter : .crashBefore)

        let crashed = try node.run(point.flavor, point.command, pod)
        #expect(crashed.status == 137, "the crash did not happen: \(crashed.status) \(crashed.stdout)")
        #expect(node.plantedFaults().isEmpty)
        if point.command == "ADD" && point.operation == "HcnCreateEndpoint" && !point.after {
            // Between IPAM and HNS: the address is held, no endpoint exists yet.
            #expect(node.endpoints().isEmpty)
            #expect(node.traces(of: pod).contains { $0.contains("reservation") })
        }

        let recovered =
            point.recovery == "DEL" ? try node.run(point.flavor, "DEL", pod) : try node.gc(point.flavor, keeping: [])
        #expect(recovered.status == 0, "\(point.recovery) after the crash failed: \(recovered.stdout)")
        #expect(node.leftovers().isEmpty, "left after \(point.recovery): \(node.leftovers())")
        if point.recovery == "GC" {
            // The runtime's DEL still follows a GC, and must succeed on the cleaned node.
            #expect(try node.run(point.flavor, "DEL", pod).status == 0)
        }

        let again = try node.run(point.flavor, "ADD", pod)
        #expect(again.status == 0, "ADD after recovery failed: \(again.stdout)")
        #expect(node.endpoints().count == 1)
        #expect(try node.run(point.flavor, "DEL", pod).status == 0)
        #expect(node.leftovers().isEmpty, "\(node.leftovers())")
    }
}
