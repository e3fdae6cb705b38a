# The C boundary under load (issue 7): tests/c/load/load.c, 16 threads on
# one client, mixed operations, cancellation, per-thread last error.
#   make test-load   memcheck runs (plain; plain + token), LOAD_OPS per thread
#   make load-long   LOAD_LONG_OPS per thread natively and under memcheck,
#                    then helgrind (LOAD_HELGRIND_OPS) and the C side built
#                    with -fsanitize=thread (LOAD_TSAN_OPS)
# See tests/c/load/run.sh. Uses LIBDIR, the flags, HARNESS and the `lib` target.

LOAD_DIR      := build/tests/c/load
LOAD_SNAPSHOT := $(abspath $(LOAD_DIR)/lib)
LOAD_CFLAGS   := $(C99_FLAGS) -g -O1 -Iinclude
LOAD_SRCS     := tests/c/load/load.c tests/c/sha256.c
LOAD_OPS        ?= 200
LOAD_LONG_OPS   ?= 1000
LOAD_HELGRIND_OPS ?= 40
LOAD_TSAN_OPS   ?= 500
export LOAD_OPS LOAD_LONG_OPS LOAD_HELGRIND_OPS LOAD_TSAN_OPS

.PHONY: test-load load-long load-build

$(LOAD_DIR)/load: $(LOAD_SRCS) include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(LOAD_CFLAGS) $(LOAD_SRCS) -o $@ $(LIB_LINK)

# The C side instrumented by ThreadSanitizer; the library is not.
$(LOAD_DIR)/load-tsan: $(LOAD_SRCS) include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(LOAD_CFLAGS) -fsanitize=thread $(LOAD_SRCS) -o $@ $(LIB_LINK)

load-build: $(LOAD_DIR)/load $(LOAD_DIR)/load-tsan

test-load: lib
	@$(MAKE) --no-print-directory $(LOAD_DIR)/load
	tests/c/snapshot.sh $(LIBDIR) $(LOAD_SNAPSHOT)
	$(HARNESS) tests/c/load/run.sh short $(LOAD_DIR) $(LOAD_SNAPSHOT)

load-long: lib
	@$(MAKE) --no-print-directory load-build
	tests/c/snapshot.sh $(LIBDIR) $(LOAD_SNAPSHOT)
	$(HARNESS) tests/c/load/run.sh long $(LOAD_DIR) $(LOAD_SNAPSHOT)
