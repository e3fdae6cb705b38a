# The Python binding (bindings/python, ctypes over libocireg.so) and its
# tests. Included by the Makefile; uses its `lib` target, LIBDIR, VERSION
# and HARNESS.
#
#   make test-python                      # all of tests/python
#   make test-python PYTEST_ARGS='-k upload -x'

PYTHON      ?= python3
PYTEST_ARGS ?=

.PHONY: test-python python-deps

# pytest, installed only when missing.
python-deps:
	@$(PYTHON) -m pytest --version >/dev/null 2>&1 || \
	  $(PYTHON) -m pip install --quiet pytest || \
	  $(PYTHON) -m pip install --quiet --user pytest || \
	  { echo "test-python: pytest is missing and pip could not install it" >&2; exit 1; }

# Runs tests/python against the three test registries of the harness, on
# the library `lib` just built. The tests
# load a private copy of it: `make lib` rewrites build/lib/libocireg.so.*
# in place, which would crash a test run that has it mapped.
test-python: lib python-deps
	@tmp=$$(mktemp -d) && cp $(LIBDIR)/libocireg.so.$(VERSION) $$tmp/libocireg.so && \
	  echo "PYTHONPATH=bindings/python $(HARNESS) $(PYTHON) -m pytest -q tests/python $(PYTEST_ARGS)" && \
	  PYTHONPATH=$(abspath bindings/python) OCIREG_LIBRARY=$$tmp/libocireg.so \
	    $(HARNESS) $(PYTHON) -m pytest -q -p no:cacheprovider tests/python $(PYTEST_ARGS); \
	  rc=$$?; rm -rf $$tmp; exit $$rc
