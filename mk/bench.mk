# The benchmark suite (issue 6): bench/run.py against skopeo, crane, curl
# and openssl on loopback registries; results in bench/results/latest.*.
#   make bench                          the full suite (default 3 runs)
#   make bench BENCH_ARGS="--runs 1"    any bench/run.py options (--help)
# Not part of `make test`. Uses LIBDIR, CARGO and the `lib`/`cli` targets.

BENCH_BIN    := build/bench/bin
BENCH_CFLAGS ?= -std=c99 -Wall -Wextra -pedantic -Werror -O2
BENCH_ARGS   ?=
BENCH_LINK    = -L$(LIBDIR) -Wl,-rpath,$(abspath $(LIBDIR)) -locireg -lpthread

.PHONY: bench bench-progs bench-rust

bench: lib cli bench-progs
	python3 bench/run.py $(BENCH_ARGS)

bench-progs: $(BENCH_BIN)/heads $(BENCH_BIN)/blob_stream $(BENCH_BIN)/rusage bench-rust

$(BENCH_BIN)/%: bench/c/%.c build/include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Ibuild/include $< -o $@ $(BENCH_LINK)

# The Rust-API baseline of case 6 (target/release/examples/bench_blob).
bench-rust: build
	$(CARGO) build --release --example bench_blob

# The measuring wrapper (see bench/c/rusage.c); needs no library.
$(BENCH_BIN)/rusage: bench/c/rusage.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@
