import Foundation
import XCTest
import U2ADData
import U2ADModel
import U2ADRandom
import U2ADRuntime
@_exported import U2ADTestSupport
@testable import U2ADPipeline

/// A small network (16-pixel patches, narrow layers) that keeps debug-build inference fast.
let tinyConfiguration = UGMAEConfiguration(imageSize: 256, patchSize: 16, embedDim: 32, depth: 1, heads: 2,
                                           decoderEmbedDim: 16, decoderDepth: 1, decoderHeads: 2)

/// The reference geometry (8-pixel patches, 1024 patches) with narrow layers.
let narrowConfiguration = UGMAEConfiguration(imageSize: 256, patchSize: 8, embedDim: 32, depth: 1, heads: 2,
                                             decoderEmbedDim: 16, decoderDepth: 1, decoderHeads: 2)

func randomModel(_ configuration: UGMAEConfiguration = tinyConfiguration, backend: Backend = CPUBackend(), seed: UInt64 = 11) throws -> UGMAE {
    let model = try UGMAE(configuration: configuration, backend: backend)
    try model.initializeRandomly(key: RandomKey(seed: seed))
    return model
}

/// A synthetic sagittal slice from the phantom, with a lesion when asked.
func phantomSlice(seed: UInt64, name: String, lesion: Bool = false) -> SliceSample {
    var options = PhantomOptions()
    if lesion { options.lesions = [CordLesion(semiAxisAlong: 6, semiAxisAcross: 2, contrast: 1.6)] }
    let sample = Phantom.generate(key: RandomKey(seed: seed), options: options)
    return SliceSample(name: name, size: 256, image: sample.slice.image.pixels, roi: sample.slice.roi.pixels, labels: sample.slice.labels.pixels)
}
