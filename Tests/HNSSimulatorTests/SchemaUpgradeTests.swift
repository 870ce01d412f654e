import HCN
import JSON
import Testing

@testable import HNSSimulator

/// A state directory of an earlier wincni (schema version 1: `endpoint_ip`, `endpoint_port`, `fault` and `trace`
/// from the start) is converted when it is opened, and keeps every rule its rows held.
@Suite("HNS simulator: a version 1 database is upgraded")
struct SchemaUpgradeTests {
    /// Turns a version 2 database back into version 1's tables, with the same rows. The log is emptied first, so
    /// the connection does not restart it on close (that one-page write sets the current version).
    static let downgrade = """
        PRAGMA wal_checkpoint(TRUNCATE);
        BEGIN IMMEDIATE;
        CREATE TABLE endpoint_ip(
            network TEXT NOT NULL, ip TEXT NOT NULL, endpoint TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
            PRIMARY KEY (network, ip)) WITHOUT ROWID;
        CREATE INDEX endpoint_ip_by_endpoint ON endpoint_ip(endpoint);
        CREATE TABLE endpoint_port(
            network TEXT NOT NULL, port INTEGER NOT NULL, protocol INTEGER NOT NULL, vip TEXT NOT NULL,
            endpoint TEXT NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
            PRIMARY KEY (network, port, protocol, vip)) WITHOUT ROWID;
        CREATE INDEX endpoint_port_by_endpoint ON endpoint_port(endpoint);
        INSERT INTO endpoint_ip SELECT network, claim, endpoint FROM claim WHERE claim NOT LIKE 'port/%';
        INSERT INTO endpoint_port SELECT network, 56789, 17, '', endpoint FROM claim WHERE claim LIKE 'port/%';
        DROP TABLE claim;
        ALTER TABLE config DROP COLUMN faults;
        CREATE TABLE fault(seq INTEGER PRIMARY KEY, op TEXT NOT NULL, hresult INTEGER, crash TEXT, count INTEGER NOT NULL);
        INSERT INTO fault(op, hresult, crash, count) VALUES ('HcnCreateEndpoint', 2147942405, NULL, 1);
        CREATE TABLE trace(
            seq INTEGER PRIMARY KEY, process INTEGER NOT NULL, function TEXT NOT NULL, object TEXT NOT NULL,
            request TEXT NOT NULL, hresult INTEGER NOT NULL, result TEXT NOT NULL);
        PRAGMA user_version = 1;
        COMMIT
        """

    @Test("address and host port rows become claims, planted faults are counted, and the rules still hold")
    func upgrade() throws {
        let node = try SimulatedNode()
        let network = try node.createNetwork(type: "Overlay", vsid: 5000)
        let mapping = #"[{"Type":"PortMapping","Settings":{"Protocol":17,"InternalPort":45678,"ExternalPort":56789}}]"#
        try node.createEndpoint(network: network, name: "a", ip: "10.244.1.7", policies: mapping)
        do {
            let database = try SimulatorDatabase(path: node.directory + "/hns.db")
            try database.execute(Self.downgrade)
            #expect(try database.integer("PRAGMA user_version") == 1)
        }
        let simulator = try node.simulator()
        #expect(try simulator.consistencyProblems() == [])
        #expect(simulator.faults().count == 1)
        // The planted fault is found through the upgraded count and used once.
        expectHCNError(0x8007_0005) { () throws(HCNError) in
            try node.createEndpoint(network: network, name: "b", ip: "10.244.1.8")
        }
        #expect(simulator.faults().isEmpty)
        // The migrated claims keep their rules.
        expectHCNError(0x8007_1392) { () throws(HCNError) in
            try node.createEndpoint(network: network, name: "c", ip: "10.244.1.7")
        }
        expectHCNError(0x803B_0013) { () throws(HCNError) in
            try node.createEndpoint(network: network, name: "d", policies: mapping)
        }
        try node.createEndpoint(network: network, name: "e", ip: "10.244.1.9")
        #expect(try simulator.consistencyProblems() == [])
    }
}
