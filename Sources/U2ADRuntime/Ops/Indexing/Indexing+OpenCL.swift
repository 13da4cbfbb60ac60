final class IndexingKernels: OpenCLKernelSet {
    let gather, scatterAdd, addBroadcastRows: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        let compiler = backend.compiler, file = Indexing.kernelFile
        gather = try compiler.kernel("gather", file: file, defines: "")
        scatterAdd = try compiler.kernel("scatter_add", file: file, defines: "")
        addBroadcastRows = try compiler.kernel("add_broadcast_rows", file: file, defines: "")
    }
}

extension OpenCLBackend: IndexingOps {
    public func gather(_ source: Buffer, index: Buffer, into out: Buffer, count: Int, fill: Buffer?, fillPeriod: Int) throws {
        try kernels(IndexingKernels.self).gather.launch(global: [count], local: [Elementwise.groupSize],
                                                        [.buffer(source), .buffer(index), .buffer(out), .int(count), .buffer(fill ?? source),
                                                         .int(fill == nil ? 0 : 1), .int(max(fillPeriod, 1))], bytes: 12 * Double(count))
    }

    public func scatterAdd(_ source: Buffer, index: Buffer, into out: Buffer, count: Int) throws {
        try kernels(IndexingKernels.self).scatterAdd.launch(global: [count], local: [Elementwise.groupSize],
                                                            [.buffer(source), .buffer(index), .buffer(out), .int(count)], bytes: 16 * Double(count))
    }

    public func addBroadcastRows(_ x: Buffer, table: Buffer, into out: Buffer, rows: Int, cols: Int, period: Int) throws {
        try kernels(IndexingKernels.self).addBroadcastRows.launch(global: [cols, rows],
                                                                  [.buffer(x), .buffer(table), .buffer(out), .int(rows), .int(cols), .int(period)],
                                                                  bytes: 12 * Double(rows * cols))
    }
}
