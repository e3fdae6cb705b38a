# ocireg: `make demo` walks through the main job on a throwaway registry;
# `make test` installs what is missing, builds, lints and runs every test.

.DEFAULT_GOAL := all

CARGO   ?= cargo
PREFIX  ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
MINOR   := $(word 2,$(subst ., ,$(VERSION)))
# The SONAME's version (build.rs sets the SONAME): the major version, or
# 0.MINOR while the major is 0, since each 0.x release may break the ABI.
SOVERSION := $(if $(filter 0,$(MAJOR)),0.$(MINOR),$(MAJOR))
# What a program linking libocireg.a needs besides it (rustc's
# --print native-static-libs for this target): ocireg-static.pc's Libs and
# ocireg.pc's Libs.private.
NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
LIBDIR  := build/lib

# Every C program of the tree (tests, examples, CLI, bench programs) is C99
# and builds without a warning; programs in the tree link build/lib.
C_WARNINGS := -Wall -Wextra -pedantic -Werror
C99_FLAGS  := -std=c99 $(C_WARNINGS)
LIB_LINK    = -L$(LIBDIR) -Wl,-rpath,$(abspath $(LIBDIR)) -locireg -lpthread

# The registry launcher (tests/harness/test_registry.rs, over the Rust tests'
# tests/support/registry.rs): `$(HARNESS) COMMAND...` runs COMMAND with the
# test registries in OCIREG_TEST_*; HARNESS_BIN is the built program, for
# the benchmarks (`--serve`).
HARNESS     := $(CARGO) run --quiet --example test_registry --
HARNESS_BIN := target/debug/examples/test_registry

.PHONY: all build lib header deps peers lint test test-rust demo install clean fuzz harness

# The C tests, the CLI and the Python binding bring their own targets.
-include mk/*.mk

all: lib

deps:
	@scripts/install-deps.sh

# Peer tools from the Go module proxy (crane, oras, regctl,
# distribution v3, toxiproxy), built once into $(go env GOPATH)/bin.
peers:
	@scripts/install-peers.sh

build:
	$(CARGO) build --release

# pc-files PREFIX DIR [EXTRA]: ocireg.pc (the shared library) and
# ocireg-static.pc (libocireg.a) for PREFIX, written into DIR; EXTRA ends
# ocireg.pc's Libs (the build tree's rpath).
define pc-files
for pc in ocireg ocireg-static; do \
  sed -e 's|@PREFIX@|$(1)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' \
    -e 's|@EXTRA_LIBS@|$(3)|' $$pc.pc.in > $(2)/$$pc.pc || exit 1; \
done
endef
comma := ,

# libocireg.so (SONAME libocireg.so.SOVERSION, -z nodelete), libocireg.a,
# ocireg.pc and ocireg-static.pc under build/, from the release build. The
# artifacts are stripped: the shared library's debug info goes to
# libocireg.so.VERSION.debug beside it (found through its .gnu_debuglink;
# not installed), and the static library loses its debug info and the LLVM
# bitcode that rustc embeds for LTO (.llvmbc, .llvmcmd), which gold's and
# lld's LTO plugins try to read when a C program is built with -flto.
lib: build
	@mkdir -p $(LIBDIR)/pkgconfig
	# Write, then rename into place: programs running the old library keep
	# their copy, and two builds at once do not trip over each other.
	objcopy --only-keep-debug target/release/libocireg.so $(LIBDIR)/.dbg.$$$$ && mv -f $(LIBDIR)/.dbg.$$$$ $(LIBDIR)/libocireg.so.$(VERSION).debug
	objcopy --strip-debug --add-gnu-debuglink=$(LIBDIR)/libocireg.so.$(VERSION).debug \
	  target/release/libocireg.so $(LIBDIR)/.libocireg.so.$$$$ && mv -f $(LIBDIR)/.libocireg.so.$$$$ $(LIBDIR)/libocireg.so.$(VERSION)
	ln -sf libocireg.so.$(VERSION) $(LIBDIR)/libocireg.so.$(SOVERSION)
	ln -sf libocireg.so.$(SOVERSION) $(LIBDIR)/libocireg.so
	objcopy --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd \
	  target/release/libocireg.a $(LIBDIR)/.libocireg.a.$$$$ && mv -f $(LIBDIR)/.libocireg.a.$$$$ $(LIBDIR)/libocireg.a
	mkdir -p build/include && cp include/ocireg.h build/include/.ocireg.h.$$$$ && mv -f build/include/.ocireg.h.$$$$ build/include/ocireg.h
	@$(call pc-files,$(abspath build),$(LIBDIR)/pkgconfig, -Wl$(comma)-rpath$(comma)$${libdir})

# Regenerates include/ocireg.h from src/ffi (a unit test fails when stale).
header:
	$(CARGO) build
	cp "$$(ls -t target/debug/build/ocireg-*/out/ocireg.h | head -1)" include/ocireg.h

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 include/ocireg.h $(DESTDIR)$(PREFIX)/include/ocireg.h
	install -m 755 $(LIBDIR)/libocireg.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libocireg.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libocireg.so.$(SOVERSION)
	ln -sf libocireg.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libocireg.so
	install -m 644 $(LIBDIR)/libocireg.a $(DESTDIR)$(PREFIX)/lib/
	@$(call pc-files,$(PREFIX),$(DESTDIR)$(PREFIX)/lib/pkgconfig)

# Long fuzzing runs (cargo-fuzz on nightly); the corpus grows in fuzz/corpus.
# `make test` replays that corpus on stable (tests/fuzz_smoke.rs).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := reference challenge link manifest layout_index
fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t && \
	  $(CARGO) +nightly fuzz run $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 || exit 1; \
	done

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test

# Every suite; each starts the registries it needs.
test: deps peers lint test-rust test-c test-cli test-python test-go test-load test-quickstart

harness:
	$(CARGO) build --quiet --example test_registry

demo: deps cli
	@$(HARNESS) --only-plain scripts/demo.sh

clean:
	$(CARGO) clean
	rm -rf build
