final class ElementwiseKernels: OpenCLKernelSet {
    let fill, copy, add, scale: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        let compiler = backend.compiler, file = Elementwise.kernelFile
        fill = try compiler.kernel("fill", file: file, defines: "")
        copy = try compiler.kernel("copy", file: file, defines: "")
        add = try compiler.kernel("add", file: file, defines: "")
        scale = try compiler.kernel("scale", file: file, defines: "")
    }
}

extension OpenCLBackend: ElementwiseOps {
    public func fill(_ x: Buffer, with value: Float, count: Int) throws {
        try kernels(ElementwiseKernels.self).fill.launch(global: [count], local: [Elementwise.groupSize],
                                                         [.buffer(x), .float(value), .int(count)], bytes: 4 * Double(count))
    }

    public func copy(_ source: Buffer, into destination: Buffer, count: Int) throws {
        try kernels(ElementwiseKernels.self).copy.launch(global: [count], local: [Elementwise.groupSize],
                                                         [.buffer(source), .buffer(destination), .int(count)], bytes: 8 * Double(count))
    }

    public func add(_ a: Buffer, _ b: Buffer, into out: Buffer, count: Int) throws {
        try kernels(ElementwiseKernels.self).add.launch(global: [count], local: [Elementwise.groupSize],
                                                        [.buffer(a), .buffer(b), .buffer(out), .int(count)], bytes: 12 * Double(count))
    }

    public func scale(_ x: Buffer, by alpha: Float, count: Int) throws {
        try kernels(ElementwiseKernels.self).scale.launch(global: [count], local: [Elementwise.groupSize],
                                                          [.buffer(x), .float(alpha), .int(count)], bytes: 8 * Double(count))
    }
}
