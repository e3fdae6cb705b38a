# The Go binding (bindings/go) and its examples (examples/go): vet, then
# the tests with -race against the three test registries of the harness,
# then a program in a module outside the tree (tests/go/outside_module.sh:
# `go get`, pkg-config against `make install`, and -tags ocireg_static).
#
# The binding takes its cgo flags from pkg-config (bindings/go/link.go); in
# the tree that is build/lib/pkgconfig/ocireg.pc, which `make lib` writes.
# The tests run against a private copy of libocireg.so (through
# LD_LIBRARY_PATH, which wins over the .pc's rpath): `make lib` run by
# anyone else meanwhile rewrites build/lib/libocireg.so.* in place, which
# kills every process that has it mapped (SIGBUS/SIGSEGV).

GO ?= go
GO_PKG_CONFIG_PATH := $(abspath $(LIBDIR)/pkgconfig)

.PHONY: test-go vet-go

vet-go: lib
	cd bindings/go && PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) $(GO) vet ./...
	cd bindings/go && PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) $(GO) vet -tags ocireg_static ./...
	cd examples/go && PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) $(GO) vet ./...

test-go: lib vet-go
	@snap=$$(mktemp -d "$${TMPDIR:-/tmp}/ocireg-go-lib.XXXXXX") && \
	cp -P $(LIBDIR)/libocireg.so* "$$snap"/ && \
	LD_LIBRARY_PATH="$$snap$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" \
	$(HARNESS) sh -c \
	  'export PKG_CONFIG_PATH=$(GO_PKG_CONFIG_PATH) && cd bindings/go && $(GO) test -race -count=1 ./... && cd ../../examples/go && $(GO) test -race -count=1 ./...'; \
	rc=$$?; rm -rf "$$snap"; exit $$rc
	$(HARNESS) --only-plain tests/go/outside_module.sh $(VERSION) $(SOVERSION) "$(GO)" "$(MAKE)"
