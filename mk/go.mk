# The Go binding (bindings/go) and its examples (examples/go): vet, then
# the tests with -race against the three test registries of the harness.
#
# The tests run against a private copy of libocireg.so (through
# LD_LIBRARY_PATH, which wins over the binding's RUNPATH): `make lib` run
# by anyone else meanwhile rewrites build/lib/libocireg.so.* in place,
# which kills every process that has it mapped (SIGBUS/SIGSEGV).

GO ?= go

.PHONY: test-go vet-go

vet-go: lib
	cd bindings/go && $(GO) vet ./...
	cd examples/go && $(GO) vet ./...

test-go: lib vet-go
	@snap=$$(mktemp -d "$${TMPDIR:-/tmp}/ocireg-go-lib.XXXXXX") && \
	cp -P $(LIBDIR)/libocireg.so* "$$snap"/ && \
	LD_LIBRARY_PATH="$$snap$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	$(HARNESS) sh -c \
	  'cd bindings/go && $(GO) test -race -count=1 ./... && cd ../../examples/go && $(GO) test -race -count=1 ./...'; \
	rc=$$?; rm -rf "$$snap"; exit $$rc
