/// Names of the vertebral levels from C1 to S1 and of the segments between them.
public enum VertebralLevels {
    public static let names: [String] = (1...7).map { "C\($0)" } + (1...12).map { "T\($0)" } + (1...5).map { "L\($0)" } + ["S1"]

    public static func index(of name: String) -> Int? { names.firstIndex(of: name.uppercased()) }

    /// The level at `index`, or `V<index>` past S1.
    public static func name(at index: Int) -> String {
        names.indices.contains(index) ? names[index] : "V\(index + 1)"
    }

    /// The segment between level `index` and the next one: `C2-3`, `C7-T1`.
    public static func segmentName(upper index: Int) -> String {
        let upper = name(at: index), lower = name(at: index + 1)
        let upperRegion = upper.prefix(1), lowerRegion = lower.prefix(1)
        return upperRegion == lowerRegion && upperRegion != "V" ? "\(upper)-\(lower.dropFirst())" : "\(upper)-\(lower)"
    }
}
