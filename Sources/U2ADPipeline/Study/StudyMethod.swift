/// A method the study compares on the same patients.
public enum StudyMethod: String, Codable, Sendable, CaseIterable {
    /// Pretraining with random ROI masking, then adaptation with epistemic (EU) and, from half-way, epistemic and
    /// aleatoric (EU+AU) guided masking: the method.
    case u2ad
    /// Adaptation with EU-guided masking only (an ablation step between `mae` and `u2ad`).
    case eu
    /// The same network and budget with plain random ROI masking throughout (the paper's baseline).
    case mae
    /// The robust z-score of intensity inside the cord region, no network (``IntensityBaseline``).
    case intensity

    public var usesNetwork: Bool { self != .intensity }

    public var summary: String {
        switch self {
        case .u2ad: return "pretrain (random masking), adapt with EU then EU+AU masking"
        case .eu: return "pretrain (random masking), adapt with EU masking"
        case .mae: return "pretrain and adapt with random ROI masking only"
        case .intensity: return "robust z-score of intensity inside the cord, no network"
        }
    }

    /// `u2ad,mae,intensity` to methods, in the order given.
    public static func parse(_ text: String) throws -> [StudyMethod] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !names.isEmpty else { throw PipelineError.badOption("--methods", "name at least one method") }
        var methods: [StudyMethod] = []
        for name in names {
            guard let method = StudyMethod(rawValue: name) else {
                throw PipelineError.badOption("--methods", "unknown method '\(name)'; use \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }
}
