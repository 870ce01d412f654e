import ArgumentParser

/// What hnsctl says for a word that is not one of its commands: the nearest command by edit distance, as git and
/// kubectl suggest one, and the list to choose from.
enum CommandSuggestion {
    /// The message for the first word of `arguments` that names no subcommand of the group it is given to, or nil
    /// when every command word is known (then the parser's own message stands).
    static func unknownCommand(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var group = root
        var path = [root._commandName]
        for word in arguments {
            if word.hasPrefix("-") { return nil }  // options come after the command words
            let subcommands = group.configuration.subcommands
            if subcommands.isEmpty { return nil }  // a leaf: the rest are its arguments
            if word == "help" { return nil }
            if let next = subcommands.first(where: { $0._commandName == word }) {
                group = next
                path.append(word)
                continue
            }
            let names = subcommands.map { $0._commandName }
            let prefix = path.joined(separator: " ")
            var message = "unknown command \"\(prefix) \(word)\""
            if let nearest = nearest(to: word, among: names) {
                message += ": did you mean \"\(prefix) \(nearest)\"?"
            }
            return message + " (\(prefix) commands: \(names.joined(separator: ", ")))"
        }
        return nil
    }

    /// The candidate closest to `word`, when it is close enough to be a typo: at most a third of the word's letters
    /// differ (at least one), or the word is a prefix of exactly one candidate.
    static func nearest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let prefixed = candidates.filter { $0.hasPrefix(lowered) }
        if !lowered.isEmpty, prefixed.count == 1 { return prefixed[0] }
        let scored = candidates.map { (name: $0, distance: distance(lowered, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        let limit = max(1, max(lowered.count, best.name.count) / 3)
        guard best.distance <= limit else { return nil }
        // Two equally near candidates: no guess.
        return scored.filter { $0.distance == best.distance }.count == 1 ? best.name : nil
    }

    /// Damerau-Levenshtein distance (insertions, deletions, substitutions, swaps of neighbours).
    static func distance(_ first: String, _ second: String) -> Int {
        let a = Array(first), b = Array(second)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}
