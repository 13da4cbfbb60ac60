import Foundation

/// The patient-level segment decisions of a `u2ad detect` report (`report.json`), which is all a diagnosis needs of it.
public struct DetectionFindings: Decodable, Sendable {
    public struct Segment: Decodable, Sendable {
        public var name: String
        public var score: Double?
        public var isPositive: Bool?

        public init(name: String, score: Double?, isPositive: Bool?) {
            self.name = name
            self.score = score
            self.isPositive = isPositive
        }
    }

    public struct Patient: Decodable, Sendable {
        public var name: String
        public var segments: [Segment]

        public init(name: String, segments: [Segment]) {
            self.name = name
            self.segments = segments
        }

        public func segment(_ name: String) -> Segment? { segments.first { $0.name == name } }
    }

    public var patients: [Patient]

    /// Reads `report.json`; a file that is not one is an error naming it.
    public static func load(_ url: URL) throws -> DetectionFindings {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PipelineError.badFile(url.path, "cannot be read") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(DetectionFindings.self, from: data) } catch {
            throw PipelineError.badFile(url.lastPathComponent, "is not a u2ad detection report (expected patients with segments)")
        }
    }

    public func patient(named name: String) -> Patient? { patients.first { $0.name == name } }
}
