import XCTest
import U2ADData
import U2ADModel
import U2ADRuntime
@testable import U2ADPipeline

final class BackendParityTests: XCTestCase {
    /// The same seed gives the same masks and dropout draws on both backends, so the maps agree to float tolerance.
    func testSameSeedSameMapsOnCPUAndOpenCL() throws {
        let openCL = try openCLBackend()
        let slices = [phantomSlice(seed: 4, name: "a", lesion: true)]
        var options = UncertaintyOptions.inference
        options.samplesPerPatch = 2
        options.mcDropout = 0.1
        options.seed = 77
        let cpuMaps = try UncertaintyMaps.compute(model: try randomModel(backend: CPUBackend()), slices: slices, options: options)[0]
        let gpuMaps = try UncertaintyMaps.compute(model: try randomModel(backend: openCL), slices: slices, options: options)[0]
        XCTAssertEqual(cpuMaps.passes, gpuMaps.passes)
        XCTAssertLessThan(maxAbsoluteDifference(cpuMaps.reconstruction, gpuMaps.reconstruction), 1e-4)
        XCTAssertLessThan(maxAbsoluteDifference(cpuMaps.aleatoric, gpuMaps.aleatoric), 1e-4)
        let scale = max(cpuMaps.epistemic.max()!, 1e-12)
        XCTAssertLessThan(maxAbsoluteDifference(cpuMaps.epistemic, gpuMaps.epistemic) / scale, 1e-2)
        XCTAssertGreaterThan(scale, 1e-8)
    }
}
