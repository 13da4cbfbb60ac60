# The README's two commands: `make demo` (install, build, run the main job) and `make test`.
SWIFT ?= swift

.PHONY: deps build demo test bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product u2ad

demo: build
	.build/release/u2ad demo

# The second pass is the GPU-shaped check: the op suites and the backend parity on the OpenCL device (PoCL in CI) with
# a GPU's default kernel parameters (work-group sizes, 8x8 GEMM blocks, attention tiles).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing
	U2AD_TUNE_AS=gpu $(SWIFT) test --skip-build --disable-swift-testing --filter 'RuntimeTests|BackendParityTests'

bench: deps
	$(SWIFT) build -c release --product u2ad-bench
	.build/release/u2ad-bench all

clean:
	rm -rf .build
