# ocireg: `make demo` walks through the main job on a throwaway registry;
# `make test` installs what is missing, builds, lints and runs every test.

CARGO ?= cargo

.PHONY: all build deps lint test demo clean

all: build

deps:
	@scripts/install-deps.sh

build:
	$(CARGO) build --release

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: deps lint
	$(CARGO) test

demo: deps
	@scripts/demo.sh

clean:
	$(CARGO) clean
	rm -rf build
