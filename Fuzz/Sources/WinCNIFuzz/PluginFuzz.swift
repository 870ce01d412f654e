/// The plugin's decoders join the fuzz target when the WinCNI plugin is on main (see FuzzEntry.extraTargets).
let pluginTargets: [@Sendable ([UInt8]) -> [String]] = []
