/// `pixel_moments.cl`, in float64 where the device has it.
final class PixelMomentsKernels: OpenCLKernelSet {
    let accumulate, finish: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        let compiler = backend.compiler, file = PixelMoments.kernelFile
        let defines = "-DMOMENTS_FLOAT64=\(backend.device.hasFloat64 ? 1 : 0)"
        accumulate = try compiler.kernel("accumulate_pixel_moments", file: file, defines: defines)
        finish = try compiler.kernel("finish_pixel_moments", file: file, defines: defines)
    }
}

extension OpenCLBackend: PixelMomentsOps {
    public func accumulatePixelMoments(_ reconstructions: Buffer, table: Buffer, runs: Int, into moments: Buffer, shape: PixelMomentsShape) throws {
        guard runs > 0 else { return }
        try kernels(PixelMomentsKernels.self).accumulate.launch(
            global: [shape.pixels, runs], local: [Elementwise.groupSize, 1],
            [.buffer(reconstructions), .buffer(table), .int(runs), .buffer(moments), .int(shape.size), .int(shape.patch), .int(shape.slotWords)],
            bytes: Double(runs * shape.pixels * 40))
    }

    public func finishPixelMoments(_ moments: Buffer, slot: Int, images: Buffer, regions: Buffer, into maps: Buffer, shape: PixelMomentsShape) throws {
        try kernels(PixelMomentsKernels.self).finish.launch(
            global: [shape.pixels], local: [Elementwise.groupSize],
            [.buffer(moments), .int(slot), .buffer(images), .buffer(regions), .buffer(maps), .int(shape.pixels), .int(shape.slotWords)],
            bytes: Double(shape.pixels * 36))
    }
}
