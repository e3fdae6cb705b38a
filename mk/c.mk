# The C side: examples/c programs and the C test suite (tests/c).
#   make c-examples   builds examples/c/*.c into build/examples/
#   make test-c       header test, install test (a program outside the tree
#                     built through pkg-config against `make install`:
#                     dynamically, statically, with -flto), then
#                     tests/c/run.sh (the C tests under valgrind and the
#                     examples round trip) against the harness's registries
# Uses LIBDIR, VERSION, SOVERSION, the flags, HARNESS and the `lib` target.

C_FLAGS      := $(C99_FLAGS) -g -O1 -Iinclude
C_TESTS_DIR  := build/tests/c
# The tests run on a private copy of the library (see tests/c/snapshot.sh).
C_SNAPSHOT   := $(abspath $(C_TESTS_DIR)/lib)
C_EXAMPLES   := $(patsubst examples/c/%.c,build/examples/%,$(wildcard examples/c/*.c))
C_TEST_SRCS  := $(filter-out tests/c/header_test.c tests/c/install_prog.c,\
                  $(wildcard tests/c/*.c))

.PHONY: c-examples test-c c-tests-build

c-examples: lib
	@$(MAKE) --no-print-directory $(C_EXAMPLES)

build/examples/%: examples/c/%.c include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(C_FLAGS) $< -o $@ $(LIB_LINK)

$(C_TESTS_DIR)/ocireg_c_tests: $(C_TEST_SRCS) tests/c/check.h include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(C_FLAGS) $(C_TEST_SRCS) -o $@ $(LIB_LINK)

$(C_TESTS_DIR)/header_test_c: tests/c/header_test.c include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CC) $(C99_FLAGS) -Iinclude -DCARGO_VERSION='"$(VERSION)"' $< -o $@ $(LIB_LINK)

$(C_TESTS_DIR)/header_test_cpp: tests/c/header_test.c include/ocireg.h $(LIBDIR)/libocireg.so
	@mkdir -p $(@D)
	$(CXX) -x c++ -std=c++11 $(C_WARNINGS) -Iinclude -DCARGO_VERSION='"$(VERSION)"' $< -x none -o $@ $(LIB_LINK)

c-tests-build: $(C_TESTS_DIR)/ocireg_c_tests $(C_TESTS_DIR)/header_test_c $(C_TESTS_DIR)/header_test_cpp

test-c: lib c-examples
	@$(MAKE) --no-print-directory c-tests-build
	tests/c/snapshot.sh $(LIBDIR) $(C_SNAPSHOT)
	LD_LIBRARY_PATH=$(C_SNAPSHOT) $(C_TESTS_DIR)/header_test_c
	LD_LIBRARY_PATH=$(C_SNAPSHOT) $(C_TESTS_DIR)/header_test_cpp
	tests/c/install_test.sh $(VERSION) $(SOVERSION) "$(MAKE)" "$(CC)" "$(C99_FLAGS)"
	$(HARNESS) tests/c/run.sh build $(C_SNAPSHOT)
