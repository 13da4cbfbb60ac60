final class ActivationKernels: OpenCLKernelSet {
    let forward, backward: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        forward = try backend.compiler.kernel("activation_forward", file: Activation.kernelFile, defines: "")
        backward = try backend.compiler.kernel("activation_backward", file: Activation.kernelFile, defines: "")
    }
}

extension OpenCLBackend: ActivationOps {
    public func applyActivation(_ activation: Activation, _ x: Buffer, into y: Buffer, count: Int) throws {
        try kernels(ActivationKernels.self).forward.launch(global: [count], local: [Elementwise.groupSize],
                                                           [.buffer(x), .buffer(y), .int(count), .int(Int(activation.rawValue))],
                                                           bytes: 8 * Double(count))
    }

    public func activationBackward(_ activation: Activation, pre: Buffer, gradOutput: Buffer, into gradInput: Buffer, count: Int) throws {
        try kernels(ActivationKernels.self).backward.launch(global: [count], local: [Elementwise.groupSize],
                                                            [.buffer(pre), .buffer(gradOutput), .buffer(gradInput), .int(count),
                                                             .int(Int(activation.rawValue))], bytes: 12 * Double(count))
    }
}
