/// One segment's score and decision on one slice.
public struct SegmentResult: Codable, Equatable, Sendable {
    public var name: String
    public var kind: SpinalSegment.Kind
    public var startRow: Int
    public var endRow: Int
    public var startMM: Double
    public var endMM: Double
    /// Largest smoothed aleatoric curve value over the segment's cord rows; nil without cord rows.
    public var score: Double?
    /// Largest smoothed epistemic curve value over the same rows.
    public var epistemicScore: Double?
    /// Row of the score.
    public var peakRow: Int?
    /// Ground-truth lesion pixels in the segment's rows.
    public var lesionPixels: Int
    /// `score > threshold`; nil without a threshold or a score.
    public var isPositive: Bool?
}

/// One slice's segments, score and decision.
public struct SliceResult: Codable, Equatable, Sendable {
    public var name: String
    public var source: String
    public var roiPatches: Int
    public var passes: Int
    public var hiddenPerPass: Int
    /// True when the slice had too few region patches for inference.
    public var skipped: Bool
    public var segments: [SegmentResult]
    /// Largest segment score.
    public var score: Double?
    public var lesionPixels: Int
    /// Positive when any segment is; nil without a threshold or a scored segment.
    public var isPositive: Bool?
}

/// A patient's segment, over all of the patient's slices.
public struct PatientSegmentResult: Codable, Equatable, Sendable {
    public var name: String
    /// Largest score of the segment over the slices.
    public var score: Double?
    public var lesionPixels: Int
    public var isPositive: Bool?
}

/// A patient (a volume, or a folder of its slices): positive when any segment of any slice is.
public struct PatientResult: Codable, Equatable, Sendable {
    public var name: String
    public var slices: [SliceResult]
    /// Segments by name in cranio-caudal order of first appearance.
    public var segments: [PatientSegmentResult]
    public var score: Double?
    public var lesionPixels: Int
    public var isPositive: Bool?

    /// Gathers `slices` (decisions are taken by ``applying(threshold:)``).
    public init(name: String, slices: [SliceResult]) {
        self.name = name
        self.slices = slices
        var order: [String] = []
        var bySegment: [String: PatientSegmentResult] = [:]
        for segment in slices.flatMap(\.segments) {
            if var entry = bySegment[segment.name] {
                entry.score = maxOptional(entry.score, segment.score)
                entry.lesionPixels += segment.lesionPixels
                bySegment[segment.name] = entry
            } else {
                order.append(segment.name)
                bySegment[segment.name] = PatientSegmentResult(name: segment.name, score: segment.score, lesionPixels: segment.lesionPixels, isPositive: nil)
            }
        }
        segments = order.compactMap { bySegment[$0] }
        score = slices.reduce(nil) { maxOptional($0, $1.score) }
        lesionPixels = slices.reduce(0) { $0 + $1.lesionPixels }
        isPositive = nil
    }

    /// The same scores with every decision taken at `threshold` (nil clears them).
    public func applying(threshold: Double?) -> PatientResult {
        var out = self
        func decide(_ score: Double?) -> Bool? {
            guard let threshold, let score else { return nil }
            return score > threshold
        }
        for s in out.slices.indices {
            for g in out.slices[s].segments.indices { out.slices[s].segments[g].isPositive = decide(out.slices[s].segments[g].score) }
            out.slices[s].isPositive = decide(out.slices[s].score)
        }
        for g in out.segments.indices { out.segments[g].isPositive = decide(out.segments[g].score) }
        out.isPositive = decide(out.score)
        return out
    }
}

func maxOptional(_ a: Double?, _ b: Double?) -> Double? {
    switch (a, b) {
    case let (x?, y?): return max(x, y)
    case let (x?, nil): return x
    case let (nil, y?): return y
    default: return nil
    }
}
