# The benchmark suite (issue 6): bench/run.py against skopeo, crane, curl
# and openssl on loopback registries from the harness; results in
# bench/results/latest.*.
#   make bench                          the full suite (default 3 runs)
#   make bench BENCH_ARGS="--runs 1"    any bench/run.py options (--help)
#   make bench-requests                 requests per operation against the
#                                       peers (bench/request_counts.py; also run by
#                                       `make bench`): bench/results/requests.*
#   make bench-wan WAN_ARGS="--runs 1"  the tools through Toxiproxy's latency
#                                       and bandwidth caps (bench/wan.py; also
#                                       run by `make bench`): results/wan.*
#   make bench COLD_ARGS="--runs 5"     bench/cold_start.py's options; `make
#                                       bench` ends with bench/assemble.py, which
#                                       puts every table into latest.md
# Not part of `make test`. Uses LIBDIR, the flags, HARNESS_BIN and the
# `lib`/`cli`/`harness` targets.

BENCH_BIN    := build/bench/bin
BENCH_CFLAGS ?= $(C99_FLAGS) -O2
BENCH_ARGS   ?=
WAN_ARGS     ?=
COLD_ARGS    ?=
RUSTC        ?= rustc

.PHONY: bench bench-progs bench-requests bench-wan

bench: lib cli bench-progs harness peers
	python3 bench/run.py --harness $(HARNESS_BIN) $(BENCH_ARGS)
	python3 bench/request_counts.py --harness $(HARNESS_BIN)
	python3 bench/wan.py --harness $(HARNESS_BIN) $(WAN_ARGS)
	$(HARNESS_BIN) python3 bench/cold_start.py --results bench/results $(COLD_ARGS)
	python3 bench/assemble.py

bench-requests: lib cli bench-progs harness peers
	python3 bench/request_counts.py --harness $(HARNESS_BIN)

bench-progs: $(BENCH_BIN)/heads $(BENCH_BIN)/blob_stream $(BENCH_BIN)/rusage $(BENCH_BIN)/bench_blob

$(BENCH_BIN)/%: bench/c/%.c build/include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Ibuild/include $< -o $@ $(LIB_LINK)

# The Rust-API baseline of case 6, linked with rustc against the rlib that
# `make build` made, with the release profile's optimisation and LTO. Not a
# cargo example: those build with the dev-dependencies, whose features
# (tokio "full"; digest, subtle, getrandom through p256 and bcrypt) differ
# from the library's, so cargo would build the library and half its
# dependencies a second time.
$(BENCH_BIN)/bench_blob: bench/rust/bench_blob.rs target/release/libocireg.rlib
	@mkdir -p $(@D)
	$(RUSTC) --edition 2024 -C opt-level=3 -C lto=thin -C codegen-units=4 $< \
	  --extern ocireg=target/release/libocireg.rlib -L dependency=target/release/deps -o $@

# Made by `build` (which `lib` runs first); this rule only covers its absence.
target/release/libocireg.rlib:
	$(CARGO) build --release

# The measuring wrapper (see bench/c/rusage.c); needs no library.
$(BENCH_BIN)/rusage: bench/c/rusage.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $< -o $@

bench-wan: lib cli bench-progs harness peers
	python3 bench/wan.py --harness $(HARNESS_BIN) $(WAN_ARGS)
