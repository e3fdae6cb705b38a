# The Python binding (bindings/python, ctypes over libocireg.so) as a
# package, and its tests. Included by the Makefile; uses its `lib` target
# and HARNESS.
#
#   make wheel                            # build/python/dist/ocireg-VERSION-py3-none-PLATFORM.whl
#   make test-python                      # all of tests/python, against that wheel
#   make test-python PYTEST_ARGS='-k upload -x'
#
# Building the package takes setuptools from PyPI (pip's build isolation),
# and the test environment takes pytest from PyPI.

PYTHON      ?= python3
PYTEST_ARGS ?=
PY_BUILD    := build/python
WHEEL_DIR   := $(PY_BUILD)/dist
PY_VENV     := $(PY_BUILD)/venv
# What setuptools leaves in the source directory; removed before and after
# a build so that no stale module slips into the next wheel.
PY_LEFTOVERS := bindings/python/build bindings/python/ocireg.egg-info

.PHONY: wheel test-python

# The wheel carries build/lib's stripped libocireg.so.VERSION as
# ocireg/_native/libocireg.so.SOVERSION (bindings/python/setup.py).
wheel: lib
	rm -rf $(WHEEL_DIR) $(PY_LEFTOVERS)
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir $(WHEEL_DIR) ./bindings/python
	rm -rf $(PY_LEFTOVERS)

# Runs tests/python against the three test registries of the harness, with
# the wheel installed in a fresh virtual environment and no PYTHONPATH,
# LD_LIBRARY_PATH (which `cargo run` sets for the harness) or
# OCIREG_LIBRARY: the tests import the installed package and the library
# inside it (a copy, so `make lib` rewriting build/lib in place cannot crash
# a running test either).
test-python: wheel
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(WHEEL_DIR)/ocireg-*.whl pytest
	$(HARNESS) env -u PYTHONPATH -u LD_LIBRARY_PATH -u OCIREG_LIBRARY \
	  $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider tests/python $(PYTEST_ARGS)
