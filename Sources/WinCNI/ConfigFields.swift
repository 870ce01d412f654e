import JSON

/// `JSONFields` reads that fail with `WinCNIError.invalidConfig` (same path and message), so config decoding
/// speaks one error type.
struct ConfigFields {
    let fields: JSONFields

    init(_ fields: JSONFields) { self.fields = fields }

    init(_ value: JSON, path: String) throws(WinCNIError) {
        do { fields = try JSONFields(value, path: path) } catch { throw WinCNIError(error) }
    }

    init(object: JSONObject, path: String) { fields = JSONFields(object: object, path: path) }

    var object: JSONObject { fields.object }
    var path: String { fields.path }
    func path(of key: String) -> String { fields.path(of: key) }
    func value(_ key: String) -> JSON? { fields.value(key) }

    func string(_ key: String) throws(WinCNIError) -> String? {
        do { return try fields.string(key) } catch { throw WinCNIError(error) }
    }

    func bool(_ key: String) throws(WinCNIError) -> Bool? {
        do { return try fields.bool(key) } catch { throw WinCNIError(error) }
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(WinCNIError) -> Int64? {
        do { return try fields.integer(key, in: range) } catch { throw WinCNIError(error) }
    }

    func strings(_ key: String) throws(WinCNIError) -> [String]? {
        do { return try fields.strings(key) } catch { throw WinCNIError(error) }
    }

    func array(_ key: String) throws(WinCNIError) -> [JSON]? {
        do { return try fields.array(key) } catch { throw WinCNIError(error) }
    }

    func child(_ key: String) throws(WinCNIError) -> ConfigFields? {
        do { return try fields.fields(key).map(ConfigFields.init) } catch { throw WinCNIError(error) }
    }

    /// The members of an array of objects, as `JSONFields`: callers wrap each one in `ConfigFields` where they read
    /// it (an array of `ConfigFields`, built only to be iterated, set up one more generic type in every exec).
    func objects(_ key: String) throws(WinCNIError) -> [JSONFields]? {
        do { return try fields.objects(key) } catch { throw WinCNIError(error) }
    }
}
