// swift-tools-version:5.9
import PackageDescription

// The CPU backend's hot loops are written to auto-vectorise; on x86-64 let them use AVX2 and FMA
// (Haswell level: every x86 server and laptop CPU since about 2015). Other architectures use their baseline.
#if arch(x86_64)
let vectorFlags = ["-Ounchecked", "-target-cpu", "haswell"]
#else
let vectorFlags = ["-Ounchecked"]
#endif

let package = Package(
    name: "u2ad",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "u2ad", targets: ["u2ad"]),
        .library(name: "U2ADRuntime", targets: ["U2ADRuntime"]),
        .library(name: "U2ADModel", targets: ["U2ADModel"]),
        .library(name: "U2ADData", targets: ["U2ADData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // The one random-number vocabulary (Philox keys split by purpose), below every layer.
        .target(name: "U2ADRandom", path: "Sources/U2ADRandom"),
        // Layer 1: devices, buffers, programs, launches, and the op set on both backends (one folder per op).
        .target(name: "U2ADRuntime", dependencies: ["COpenCL", "CBLAS", "U2ADRandom"], path: "Sources/U2ADRuntime",
                swiftSettings: [.unsafeFlags(vectorFlags)], plugins: ["EmbedKernels"]),
        // Embeds the op folders' .cl files in the runtime at build time.
        .executableTarget(name: "embed-kernels", path: "tools/embed-kernels"),
        .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["embed-kernels"], path: "Plugins/EmbedKernels"),
        // Layer 2: the network, built only from runtime ops.
        .target(name: "U2ADModel", dependencies: ["U2ADRuntime", "U2ADData", "U2ADRandom"], path: "Sources/U2ADModel"),
        // Files and images: npy, safetensors, NIfTI, preprocessing, phantom. No runtime dependency.
        .target(name: "U2ADData", dependencies: ["CZlib", "U2ADRandom"], path: "Sources/U2ADData"),
        // Layer 3: training, MC inference, scoring.
        .target(name: "U2ADPipeline", dependencies: ["U2ADModel", "U2ADData", "U2ADRuntime", "U2ADRandom"], path: "Sources/U2ADPipeline"),
        // Command line.
        .executableTarget(name: "u2ad", dependencies: [
            "U2ADRuntime", "U2ADModel", "U2ADData", "U2ADPipeline", "U2ADRandom",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/u2ad"),
        .executableTarget(name: "u2ad-bench", dependencies: [
            "U2ADRuntime", "U2ADModel", "U2ADData", "U2ADRandom", "CBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "benchmarks/u2ad-bench"),

        // Helpers shared by the test targets: backends under test, seeded data, float64 comparisons, fixtures.
        .target(name: "U2ADTestSupport", dependencies: ["U2ADRuntime", "U2ADData", "U2ADRandom"], path: "Tests/Support"),
        .testTarget(name: "RuntimeTests", dependencies: ["U2ADRuntime", "U2ADRandom", "U2ADTestSupport"], path: "Tests/RuntimeTests"),
        .testTarget(name: "ModelTests", dependencies: ["U2ADModel", "U2ADRuntime", "U2ADData", "U2ADRandom", "U2ADTestSupport"], path: "Tests/ModelTests"),
        .testTarget(name: "DataTests", dependencies: ["U2ADData", "U2ADRandom", "U2ADTestSupport"], path: "Tests/DataTests"),
        // Runs the built executable; depending on it makes `swift build --build-tests` build it.
        .testTarget(name: "CommandLineTests", dependencies: ["u2ad", "U2ADTestSupport"], path: "Tests/CommandLineTests"),
        .testTarget(name: "TrainingTests", dependencies: ["U2ADPipeline", "U2ADModel", "U2ADRuntime", "U2ADData", "U2ADRandom", "U2ADTestSupport"], path: "Tests/TrainingTests"),
        .testTarget(name: "DiagnosisTests", dependencies: ["U2ADPipeline", "U2ADData", "U2ADRandom", "U2ADTestSupport"], path: "Tests/DiagnosisTests"),
        // Runs the built executable under mpirun (skipped without Open MPI): data-parallel training, sharded inference.
        .testTarget(name: "DistributedTests", dependencies: ["u2ad", "U2ADPipeline", "U2ADModel", "U2ADRuntime", "U2ADData", "U2ADRandom", "U2ADTestSupport"],
                    path: "Tests/DistributedTests"),
        .testTarget(name: "InferenceTests", dependencies: ["U2ADPipeline", "U2ADModel", "U2ADRuntime", "U2ADData", "U2ADRandom", "U2ADTestSupport"], path: "Tests/InferenceTests"),
    ]
)
