final class IndexingKernels: OpenCLKernelSet {
    let gather, scatterAdd, addBroadcastRows, gatherRows, buildMaskRows, patchify: OpenCLKernel

    init(_ backend: OpenCLBackend) throws {
        let compiler = backend.compiler, file = Indexing.kernelFile
        gather = try compiler.kernel("gather", file: file, defines: "")
        scatterAdd = try compiler.kernel("scatter_add", file: file, defines: "")
        addBroadcastRows = try compiler.kernel("add_broadcast_rows", file: file, defines: "")
        gatherRows = try compiler.kernel("gather_rows", file: file, defines: "")
        buildMaskRows = try compiler.kernel("build_mask_rows", file: file, defines: "")
        patchify = try compiler.kernel("patchify", file: file, defines: "")
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

    public func gatherRows(_ source: Buffer, rows: Buffer, into out: Buffer, count: Int, width: Int, fill: Buffer?, table: Buffer?, period: Int) throws {
        guard count > 0 else { return }
        try kernels(IndexingKernels.self).gatherRows.launch(
            global: [width, count], local: [min(width, Elementwise.groupSize), 1],
            [.buffer(source), .buffer(rows), .buffer(out), .int(count), .int(width), .buffer(fill ?? source), .int(fill == nil ? 0 : 1),
             .buffer(table ?? source), .int(table == nil ? 0 : 1), .int(max(period, 1))],
            bytes: Double(count * width * (table == nil ? 8 : 12)))
    }

    public func buildMaskRows(order: Buffer, batch: Int, patches: Int, visible: Int, into rows: MaskRows) throws {
        guard batch > 0, patches > 0 else { return }
        let placeholder = rows.encoder
        try kernels(IndexingKernels.self).buildMaskRows.launch(
            global: [patches, batch], local: [min(patches, Elementwise.groupSize), 1],
            [.buffer(order), .int(patches), .int(visible), .buffer(rows.encoder), .buffer(rows.decoder), .int(rows.hasBackward ? 1 : 0),
             .buffer(rows.patchTokens ?? placeholder), .buffer(rows.cls ?? placeholder), .buffer(rows.embedded ?? placeholder),
             .buffer(rows.maskTokens ?? placeholder)])
    }

    public func patchify(_ images: Buffer, slots: Buffer, into patches: Buffer, batch: Int, size: Int, patch: Int) throws {
        guard batch > 0 else { return }
        try kernels(IndexingKernels.self).patchify.launch(
            global: [size * size, batch], local: [Elementwise.groupSize, 1],
            [.buffer(images), .buffer(slots), .buffer(patches), .int(size), .int(patch)], bytes: 8 * Double(batch * size * size))
    }
}
