import XCTest
import U2ADRandom
@testable import U2ADModel
@testable import U2ADRuntime

final class TransformerBlockTests: XCTestCase {
    /// Runs the block forward and backward on `backend`; returns output, input gradient and parameter gradients.
    func runBlock(_ backend: Backend, dim: Int, heads: Int, batch: Int, tokens: Int, x: [Float], dy: [Float],
                  params: [String: [Float]], dropout: TransformerBlock.Dropout? = nil) throws -> (y: [Float], dx: [Float], grads: [String: [Float]]) {
        let block = TransformerBlock(prefix: "", dim: dim, heads: heads, layer: 0)
        let arena = try ParameterArena(backend: backend, tensors: block.parameterShapes)
        for (name, values) in params { try arena.set(name, values) }
        let activations = try TransformerBlock.Activations(backend: backend, block: block, batch: batch, tokens: tokens)
        let scratch = try TransformerBlock.Scratch(backend: backend, dim: dim, hiddenDim: 4 * dim, rows: batch * tokens)
        let input = try backend.makeBuffer(x), output = try backend.makeBuffer([x.count])
        try block.forward(input, into: output, batch: batch, tokens: tokens, parameters: arena, saving: activations, scratch: scratch, dropout: dropout)
        let gradient = try backend.makeBuffer(dy)
        let gradInput = try backend.makeBuffer([x.count])
        try block.backward(gradient, input: input, into: gradInput, batch: batch, tokens: tokens, parameters: arena, saved: activations, scratch: scratch, dropout: dropout)
        var grads: [String: [Float]] = [:]
        for (name, _) in block.parameterShapes { grads[name] = try arena.getGradient(name) }
        return (try backend.download(output), try backend.download(gradInput), grads)
    }

    func randomParameters(dim: Int, seed: UInt64) -> [String: [Float]] {
        var random = TestRandom(seed)
        var params: [String: [Float]] = [:]
        for (name, shape) in TransformerBlock(prefix: "", dim: dim, heads: 1, layer: 0).parameterShapes {
            let count = shape.reduce(1, *)
            if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") {
                params[name] = random.floats(count, scale: 0.1).map { 1 + $0 }
            } else {
                params[name] = random.floats(count, scale: name.hasSuffix("bias") ? 0.05 : 0.3)
            }
        }
        return params
    }

    /// The backward pass of the whole block (attention, MLP, both layernorms) against central
    /// finite differences of an independent float64 forward.
    func testBlockBackwardMatchesFiniteDifferences() throws {
        let (dim, heads, batch, tokens) = (8, 2, 2, 5)
        var random = TestRandom(50)
        let x = random.floats(batch * tokens * dim), dy = random.floats(batch * tokens * dim)
        let params = randomParameters(dim: dim, seed: 51)
        let reference = ReferenceBlock(dim: dim, heads: heads)
        let params64 = params.mapValues { $0.map(Double.init) }
        func loss(_ x: [Double], _ p: [String: [Double]]) -> Double {
            zip(reference.forward(x, batch: batch, tokens: tokens, p), dy.map(Double.init)).map(*).reduce(0, +)
        }
        let x64 = x.map(Double.init)
        let h = 1e-5
        let numericDX = (0..<x.count).map { i -> Double in
            var plus = x64, minus = x64
            plus[i] += h; minus[i] -= h
            return (loss(plus, params64) - loss(minus, params64)) / (2 * h)
        }
        var numericGrads: [String: [Double]] = [:]
        for (name, values) in params64 {
            numericGrads[name] = (0..<values.count).map { i in
                var plus = params64, minus = params64
                plus[name]![i] += h; minus[name]![i] -= h
                return (loss(x64, plus) - loss(x64, minus)) / (2 * h)
            }
        }
        for backend in try backendsUnderTest() {
            let result = try runBlock(backend, dim: dim, heads: heads, batch: batch, tokens: tokens, x: x, dy: dy, params: params)
            assertClose(result.y, reference.forward(x64, batch: batch, tokens: tokens, params64), 1e-5, "\(backend.kind) block forward")
            assertClose(result.dx, numericDX, 1e-4, "\(backend.kind) block dx")
            for (name, numeric) in numericGrads {
                assertClose(result.grads[name]!, numeric, 1e-4, "\(backend.kind) block d\(name)")
            }
        }
    }

    /// With dropout on, both backends draw the same masks, so forward and backward agree.
    func testBlockDropoutIsIdenticalAcrossBackends() throws {
        let backends = try backendsUnderTest()
        guard backends.count == 2 else { throw XCTSkip("needs an OpenCL device") }
        let (dim, heads, batch, tokens) = (16, 2, 3, 21)
        var random = TestRandom(60)
        let x = random.floats(batch * tokens * dim), dy = random.floats(batch * tokens * dim)
        let params = randomParameters(dim: dim, seed: 61)
        let dropout = TransformerBlock.Dropout(rate: 0.2, key: RandomKey(seed: 99), step: 4, firstPass: 7)
        let cpu = try runBlock(backends[0], dim: dim, heads: heads, batch: batch, tokens: tokens, x: x, dy: dy, params: params, dropout: dropout)
        let gpu = try runBlock(backends[1], dim: dim, heads: heads, batch: batch, tokens: tokens, x: x, dy: dy, params: params, dropout: dropout)
        let plain = try runBlock(backends[0], dim: dim, heads: heads, batch: batch, tokens: tokens, x: x, dy: dy, params: params)
        assertClose(gpu.y, cpu.y.map(Double.init), 1e-5, "dropout forward across backends")
        assertClose(gpu.dx, cpu.dx.map(Double.init), 1e-4, "dropout backward across backends")
        XCTAssertGreaterThan(relativeError(plain.y, cpu.y.map(Double.init)), 1e-3, "dropout had no effect")
    }
}
