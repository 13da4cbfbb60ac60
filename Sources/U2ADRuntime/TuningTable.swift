import Foundation

/// Per-device kernel parameters in the style of CLBlast's database: entries keyed by vendor, device name and device
/// type, each holding parameters for the tunable ops (GEMM, attention, LayerNorm); an op a device's entry leaves out,
/// and every op of a device without an entry, takes the defaults of its device type (each op's `defaults(for:)`).
///
/// The table is a JSON file read once at start-up (``RuntimeSettings/tuning``): `U2AD_TUNING=PATH`, else
/// `~/.config/u2ad/tuning.json` when it exists. `u2ad tune` measures candidates on the current device and writes its
/// entry there; `u2ad devices` shows which entry each device uses.
///
/// ```json
/// {"entries": [{"vendor": "NVIDIA Corporation", "device": "NVIDIA H200", "type": "gpu",
///               "gemm": {"tileM": 128, "tileN": 64, "tileK": 16, "workPerThreadM": 8, "workPerThreadN": 8, "doubleBuffer": true},
///               "attention": {"block": 64, "queries": 2, "keys": 2, "keyChunk": 16},
///               "layerNorm": {"groupSize": 32}}]}
/// ```
public struct TuningTable: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var vendor: String
        public var device: String
        public var type: String
        public var gemm: GEMMTiles?
        public var attention: AttentionTiles?
        public var layerNorm: LayerNormTiles?
        /// When and how the entry was measured (`u2ad tune` writes it).
        public var note: String?

        public init(vendor: String, device: String, type: String, gemm: GEMMTiles? = nil, attention: AttentionTiles? = nil,
                    layerNorm: LayerNormTiles? = nil, note: String? = nil) {
            self.vendor = vendor
            self.device = device
            self.type = type
            self.gemm = gemm
            self.attention = attention
            self.layerNorm = layerNorm
            self.note = note
        }

        func matches(_ device: OpenCLDevice) -> Bool {
            vendor == device.vendor && self.device == device.name && type == device.type.rawValue
        }
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    /// The entry of `device`, if the table has one.
    public func entry(for device: OpenCLDevice) -> Entry? { entries.first { $0.matches(device) } }

    /// The table with `entry` in place of any earlier entry for the same device.
    public func replacing(_ entry: Entry) -> TuningTable {
        var table = self
        table.entries.removeAll { $0.vendor == entry.vendor && $0.device == entry.device && $0.type == entry.type }
        table.entries.append(entry)
        return table
    }

    /// The table in `url`; throws one line naming the file and the first value that cannot be used.
    public static func read(_ url: URL) throws -> TuningTable {
        let setting = "U2AD_TUNING"
        guard let data = try? Data(contentsOf: url) else { throw RuntimeError.badSetting(setting, url.path, "a readable tuning table (JSON)") }
        let table: TuningTable
        do { table = try JSONDecoder().decode(TuningTable.self, from: data) } catch {
            throw RuntimeError.badSetting(setting, url.path, "a tuning table as docs/gpu.md shows (\(error))")
        }
        for entry in table.entries {
            guard OpenCLDeviceType(rawValue: entry.type) != nil else {
                throw RuntimeError.badSetting(setting, url.path, "entry \(entry.device): type '\(entry.type)' is not gpu, cpu, accelerator or other")
            }
            if let gemm = entry.gemm, !gemm.isValid {
                throw RuntimeError.badSetting(setting, url.path, "entry \(entry.device): gemm \(gemm) breaks \(GEMMTiles.requirement)")
            }
            if let attention = entry.attention, !attention.isValid {
                throw RuntimeError.badSetting(setting, url.path, "entry \(entry.device): attention \(attention) needs block 1-1024 divisible by keyChunk, queries and keys 1-8")
            }
            if let layerNorm = entry.layerNorm, !layerNorm.isValid {
                throw RuntimeError.badSetting(setting, url.path, "entry \(entry.device): layerNorm groupSize \(layerNorm.groupSize) is not a power of two up to 1024")
            }
        }
        return table
    }

    /// Writes the table to `url` (atomically), creating its folder.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// `~/.config/u2ad/tuning.json`, read when `U2AD_TUNING` is not set.
    public static let defaultURL = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/u2ad/tuning.json")
}

/// Which parameters a device gets and where they come from, as `u2ad devices` prints it.
public struct DeviceTuning: Sendable {
    public var gemm: GEMMTiles
    public var attention: AttentionTiles
    public var layerNorm: LayerNormTiles
    /// `entry for <device> in <file>` or `<type> defaults`.
    public var source: String

    public init(device: OpenCLDevice, settings: RuntimeSettings) {
        let entry = settings.tuning.entry(for: device)
        let type = settings.tuneAs ?? device.type
        gemm = settings.gemmTiles ?? entry?.gemm ?? GEMM.defaults(for: type)
        attention = entry?.attention ?? Attention.defaults(for: type)
        layerNorm = entry?.layerNorm ?? LayerNorm.defaults(for: type)
        if entry != nil {
            source = "entry for \(device.name) in \(settings.tuningFile?.path ?? "the tuning table")"
        } else {
            source = "\(type.rawValue) defaults" + (settings.tuneAs != nil ? " (U2AD_TUNE_AS)" : "")
        }
        if settings.gemmTiles != nil { source += "; GEMM tiles from U2AD_GEMM_TILES" }
    }
}
