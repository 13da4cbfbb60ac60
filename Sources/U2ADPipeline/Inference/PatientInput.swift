import Foundation

/// The slices of one patient: a folder of its slices, or a single slice file.
public struct Patient: Sendable {
    public var name: String
    public var slices: [SliceSample]

    public init(name: String, slices: [SliceSample]) {
        self.name = name
        self.slices = slices
    }
}

/// Finds patients on disk.
public enum PatientInput {
    /// A `.npy` file is one patient. In a folder, each subfolder holding `.npy` slices is a patient, and each
    /// `.npy` file directly in the folder is a patient of its own; `singlePatient` makes the folder's direct
    /// slices one patient instead. Names sort in natural order.
    public static func load(_ url: URL, singlePatient: Bool = false, expectedSize: Int = 256) throws -> [Patient] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw PipelineError.badFile(url.path, "does not exist")
        }
        if !isFolder.boolValue {
            guard url.pathExtension.lowercased() == "npy" else { throw PipelineError.badFile(url.path, "is not a .npy slice") }
            let slice = try SliceSample.load(url, expectedSize: expectedSize)
            return [Patient(name: slice.name, slices: [slice])]
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: url.path) } catch {
            throw PipelineError.badFile(url.path, "cannot be listed")
        }
        let sorted = entries.filter { !$0.hasPrefix(".") }.sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        var patients: [Patient] = []
        var direct: [SliceSample] = []
        for entry in sorted {
            let child = url.appendingPathComponent(entry)
            var childIsFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child.path, isDirectory: &childIsFolder) else { continue }
            if childIsFolder.boolValue {
                let hasSlices = ((try? FileManager.default.contentsOfDirectory(atPath: child.path)) ?? []).contains { $0.hasSuffix(".npy") }
                if hasSlices { patients.append(Patient(name: entry, slices: try SliceSample.loadAll(child, expectedSize: expectedSize))) }
            } else if entry.hasSuffix(".npy") {
                direct.append(try SliceSample.load(child, expectedSize: expectedSize))
            }
        }
        if singlePatient, !direct.isEmpty {
            patients.insert(Patient(name: url.lastPathComponent, slices: direct), at: 0)
        } else {
            patients = direct.map { Patient(name: $0.name, slices: [$0]) } + patients
        }
        guard !patients.isEmpty else { throw PipelineError.badFile(url.path, "holds no .npy slices") }
        var seen: [String: Int] = [:]
        for i in patients.indices {
            let count = seen[patients[i].name, default: 0] + 1
            seen[patients[i].name] = count
            if count > 1 { patients[i].name += "-\(count)" }
        }
        return patients
    }
}
