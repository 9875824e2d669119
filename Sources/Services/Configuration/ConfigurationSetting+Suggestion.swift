extension ConfigurationSetting {
    /// The setting a mistyped flag or file key most likely meant, for "did you mean" hints.
    ///
    /// `name` is compared in every spelling (flag, env var, file key) after normalising case,
    /// dashes and the `TAPE_` prefix, so `TAPE_PROT` in a file or `--feed_rate` still find
    /// their setting. Only close matches count: a wild guess is worse than none.
    static func suggestion(for name: String) -> ConfigurationSetting? {
        let typed = normalized(name)
        guard !typed.isEmpty else { return nil }
        var best: (setting: ConfigurationSetting, distance: Int)?
        for setting in allCases {
            let distance = editDistance(Array(typed.utf8), Array(setting.rawValue.utf8))
            if distance < (best?.distance ?? .max) { best = (setting, distance) }
        }
        guard let best else { return nil }
        let allowed = typed.count <= 4 ? 1 : typed.count <= 8 ? 2 : 3
        return best.distance <= allowed ? best.setting : nil
    }

    private static func normalized(_ name: String) -> String {
        var text = name.lowercased()
        while text.hasPrefix("-") { text.removeFirst() }
        if text.hasPrefix("tape_") { text.removeFirst(5) }
        return String(text.map { $0 == "-" ? "_" : $0 })
    }

    /// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the most
    /// common typo (`prot` → `port` is one edit, not two).
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
