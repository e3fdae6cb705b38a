# The quick starts of README.md and bindings/*/README.md, run as written
# (tests/quickstart/run.sh) against the harness's plain registry. Uses the
# `lib` and `cli` targets and HARNESS; the snippets themselves run `make
# install`, `make wheel` and `go build`.

QUICKSTART_DOCS := README.md bindings/go/README.md bindings/python/README.md

.PHONY: test-quickstart

test-quickstart: lib cli
	$(HARNESS) --only-plain tests/quickstart/run.sh $(QUICKSTART_DOCS)
