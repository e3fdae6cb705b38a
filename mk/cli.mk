# The command-line tool (cli/*.c -> build/bin/ocireg) and its tests.
# Included by the Makefile; uses its `lib` target and LIBDIR.

CLI_BIN    := build/bin/ocireg
CLI_SRCS   := $(wildcard cli/*.c)
CLI_CFLAGS ?= $(C99_FLAGS) -O2 -g
# The binary finds build/lib/libocireg.so.$(SOVERSION) from build/bin, wherever the tree is.
CLI_LDFLAGS = -L$(LIBDIR) -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: cli test-cli

cli: lib
	@mkdir -p $(dir $(CLI_BIN))
	$(CC) $(CLI_CFLAGS) -Iinclude -o $(CLI_BIN) $(CLI_SRCS) $(CLI_LDFLAGS) -locireg -lpthread

# Runs tests/cli/test.sh with the three test registries of the harness;
# OCIREG_CLI_VALGRIND=0 skips the valgrind runs.
test-cli: cli
	$(HARNESS) tests/cli/test.sh $(abspath $(CLI_BIN))
