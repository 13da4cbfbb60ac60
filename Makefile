# The README's two commands: `make demo` (install, build, run the main job) and `make test`.
SWIFT ?= swift

.PHONY: deps build demo test bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product u2ad

demo: build
	.build/release/u2ad demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

bench: deps
	$(SWIFT) build -c release --product u2ad-bench
	.build/release/u2ad-bench all

clean:
	rm -rf .build
