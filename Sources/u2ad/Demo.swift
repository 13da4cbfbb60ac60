import ArgumentParser
import Foundation
import U2ADData
import U2ADPipeline
import U2ADRandom

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole method on a synthetic phantom cohort: pretrain, adapt, calibrate, detect and evaluate.",
        discussion: """
        Generates healthy phantoms (pretraining), held-out healthy phantoms (threshold calibration) and a
        clinical cohort with and without cord lesions (adaptation and evaluation), then runs the same code
        paths as `u2ad pretrain`, `adapt`, `detect` and `evaluate` with a small model, so that it finishes in
        a few minutes on a laptop CPU. Everything lands under --out.
        """)

    @Option(help: "Output folder.")
    var out = "demo-out"
    @Option(help: "Seed of the cohort, the model and every mask.")
    var seed: UInt64 = 1
    @Flag(help: "A much smaller setting (a few slices, two epochs) that only checks the plumbing; used by the tests.")
    var quick = false
    @OptionGroup var backendOptions: BackendOptions

    struct Setting {
        var healthy, normals, lesioned, clinicalHealthy, pretrainEpochs, adaptEpochs, regenerateEvery, batch, k: Int
    }

    func run() throws {
        do { try World.requireSingleProcess("u2ad demo") } catch { failAndExit(error) }
        let setting = quick
            ? Setting(healthy: 4, normals: 2, lesioned: 2, clinicalHealthy: 1, pretrainEpochs: 2, adaptEpochs: 2, regenerateEvery: 1, batch: 2, k: 2)
            : Setting(healthy: 16, normals: 8, lesioned: 6, clinicalHealthy: 6, pretrainEpochs: 120, adaptEpochs: 20, regenerateEvery: 10, batch: 4, k: 4)
        let started = Date()
        let root = URL(fileURLWithPath: out)
        let data = root.appendingPathComponent("data")
        let cohortKey = RandomKey(seed: seed).split(.phantomCohort)
        do {
            step("1/5 generating the phantom cohort in \(data.path)")
            try writeCohort(Phantom.cohort(healthy: setting.healthy, lesioned: 0, key: cohortKey.fold(in: 0)), to: data.appendingPathComponent("healthy"))
            try writeCohort(Phantom.cohort(healthy: setting.normals, lesioned: 0, key: cohortKey.fold(in: 1)), to: data.appendingPathComponent("normal"))
            // Lesions larger and brighter than the generator's defaults, so that a model trained for minutes finds them.
            var lesions = CordLesionRanges()
            lesions.count = 1...2
            lesions.area = 40...120
            lesions.contrast = 1.6...2.0
            lesions.borderFraction = 0
            try writeCohort(Phantom.cohort(healthy: setting.clinicalHealthy, lesioned: setting.lesioned, key: cohortKey.fold(in: 2), lesionRanges: lesions),
                            to: data.appendingPathComponent("clinical"))

            let backend = backendOptions.backend.map { ["--backend", $0] } ?? []
            // A small model with 16-pixel patches (257 tokens) trains about ten times faster than the reference's.
            let model = ["--depth", "2", "--decoder-depth", "1", "--patch-size", "16", "--batch", "\(setting.batch)", "--seed", "\(seed)", "--snapshot-every", "0"]
            let pretrained = root.appendingPathComponent("pretrain"), adapted = root.appendingPathComponent("adapt")
            try? FileManager.default.removeItem(at: pretrained)
            try? FileManager.default.removeItem(at: adapted)
            step("2/5 pretraining on \(setting.healthy) healthy slices for \(setting.pretrainEpochs) epochs")
            let pretrain = try Pretrain.parse(["--data", data.appendingPathComponent("healthy").path, "--out", pretrained.path,
                                               "--epochs", "\(setting.pretrainEpochs)"] + model + backend)
            pretrain.run()

            step("3/5 adapting on the clinical cohort with uncertainty-guided masking")
            let half = max(1, setting.adaptEpochs / 2)
            let adapt = try Adapt.parse(["--data", data.appendingPathComponent("clinical").path, "--out", adapted.path,
                                         "--init", pretrained.appendingPathComponent("weights.safetensors").path,
                                         "--epochs", "\(setting.adaptEpochs)", "--regenerate-every", "\(setting.regenerateEvery)",
                                         "--au-from", "\(half)", "--k", "\(setting.k)"] + model + backend)
            adapt.run()

            let weights = adapted.appendingPathComponent("weights.safetensors").path
            let inference = ["--weights", weights, "--k", "\(setting.k)", "--seed", "\(seed)"] + backend
            step("4/5 calibrating the threshold on \(setting.normals) held-out healthy slices (at most 5% of healthy patients flagged)")
            let calibrate = try Detect.parse(["--input", data.appendingPathComponent("normal").path,
                                              "--out", root.appendingPathComponent("calibration").path, "--calibrate"] + inference)
            try calibrate.run()

            step("5/5 detecting and evaluating on the clinical cohort")
            let detect = try Detect.parse(["--input", data.appendingPathComponent("clinical").path,
                                           "--out", root.appendingPathComponent("detection").path] + inference)
            try detect.run()
            let evaluate = try Evaluate.parse(["--data", data.appendingPathComponent("clinical").path,
                                               "--out", root.appendingPathComponent("evaluation").path] + inference)
            try evaluate.run()

            let seconds = Date().timeIntervalSince(started)
            print("""

            demo finished in \(String(format: "%.0f", seconds)) s
              weights        \(weights) (+ .thresholds.json)
              training logs  \(pretrained.path)/metrics.jsonl, \(adapted.path)/metrics.jsonl
              report         \(root.path)/detection/report.json (per-segment and per-patient decisions)
              pictures       \(root.path)/detection/<patient>/ (panels .png, anomaly curves .svg, maps .npy)
              metrics        \(root.path)/evaluation/metrics.json
            """)
        } catch { failAndExit(error) }
    }

    private func step(_ text: String) {
        FileHandle.standardError.write("\n== demo \(text)\n".data(using: .utf8)!)
    }

    private func writeCohort(_ samples: [PhantomSample], to folder: URL) throws {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (index, sample) in samples.enumerated() {
            let name = String(format: "%@%03d.npy", sample.isLesioned ? "lesion" : "healthy", index)
            let slice = sample.slice
            try NPY.write(slice.channels, shape: [3, slice.rows, slice.cols], to: folder.appendingPathComponent(name))
        }
    }
}
