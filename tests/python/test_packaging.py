"""The package as pip installs it: `make test-python` runs these tests in a
fresh virtual environment holding the wheel of `make wheel`, with no
PYTHONPATH, LD_LIBRARY_PATH or OCIREG_LIBRARY. No registry is needed."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ocireg
from conftest import ROOT

PACKAGE = Path(ocireg.__file__).resolve().parent
SOURCE = ROOT / "bindings" / "python"


def cargo_version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def test_the_installed_package_is_under_test():
    assert sys.prefix != sys.base_prefix, "the tests must run in a virtual environment (make test-python)"
    assert PACKAGE.is_relative_to(Path(sys.prefix).resolve()), f"{PACKAGE} is not inside the venv {sys.prefix}"
    assert not PACKAGE.is_relative_to(SOURCE), "the tests imported the source tree, not the installed package"
    for variable in ("PYTHONPATH", "LD_LIBRARY_PATH", "OCIREG_LIBRARY"):
        assert variable not in os.environ, f"{variable} is set: the installed package must need none"


def test_the_library_is_the_one_inside_the_package():
    soversion = ".".join(cargo_version().split(".")[:2])
    assert Path(ocireg.library_path) == PACKAGE / "_native" / f"libocireg.so.{soversion}"
    assert ocireg.version() == cargo_version()


def test_the_packaged_library_is_stripped():
    sections = subprocess.run(
        ["readelf", "-S", "-W", ocireg.library_path], capture_output=True, text=True, check=True
    ).stdout
    assert ".dynsym" in sections, "readelf listed no sections"
    assert ".debug_info" not in sections, "the packaged library carries debug info"


def test_metadata_version_typing_and_wheel_tag():
    assert importlib.metadata.version("ocireg") == ocireg.__version__ == cargo_version()
    assert (PACKAGE / "py.typed").is_file()
    wheel = importlib.metadata.distribution("ocireg").read_text("WHEEL") or ""
    assert "Root-Is-Purelib: false" in wheel
    tags = re.findall(r"^Tag: (\S+)$", wheel, re.M)
    assert tags and all(t.startswith("py3-none-linux_") for t in tags), tags
    assert "any" not in tags


def test_every_module_parses_as_python_3_9():
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    for module in modules:
        text = module.read_text()
        tree = ast.parse(text, filename=str(module), feature_version=(3, 9))
        # X | Y and builtin generics in annotations are 3.10/3.9 syntax at
        # run time; postponed evaluation makes them plain strings.
        has_annotations = any(
            isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None
            or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None
            for node in ast.walk(tree)
        )
        if has_annotations:
            assert "from __future__ import annotations" in text, f"{module.name} lacks postponed annotations"


def public_callables():
    """(name, function) for every public function, class and method of the
    package's public names."""
    for name in ocireg.__all__:
        obj = getattr(ocireg, name)
        if inspect.isclass(obj) and issubclass(obj, ocireg.OciregError) and obj is not ocireg.OciregError:
            continue  # one generated subclass per status, nothing of its own
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(member, property):
                    member = member.fget
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if inspect.isfunction(member):
                    yield f"{name}.{attr}", member


def test_every_public_function_has_type_hints_and_a_docstring():
    checked = 0
    for name, fn in public_callables():
        checked += 1
        signature = inspect.signature(fn)
        for parameter in signature.parameters.values():
            if parameter.name in ("self", "cls"):
                continue
            assert parameter.annotation is not inspect.Parameter.empty, f"{name}: {parameter.name} has no type hint"
        assert signature.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
        if not name.endswith("__init__"):
            assert inspect.getdoc(fn), f"{name} has no docstring"
    assert checked >= 50


def pip_install_source(source: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=600,
    )


def test_pip_install_of_the_source_directory_carries_the_library(tmp_path):
    r = pip_install_source(SOURCE, tmp_path / "site")
    for leftover in ("build", "ocireg.egg-info"):
        shutil.rmtree(SOURCE / leftover, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OCIREG_LIBRARY")}
    env["PYTHONPATH"] = str(tmp_path / "site")
    r = subprocess.run(
        [sys.executable, "-c", "import ocireg; print(ocireg.library_path); print(ocireg.__version__)"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    path, version = r.stdout.split()
    assert Path(path).parent == tmp_path / "site" / "ocireg" / "_native"
    assert version == cargo_version()


def test_pip_install_without_the_built_library_says_to_run_make_lib(tmp_path):
    # A copy of the package directory outside the source tree: no build/lib
    # above it, no library inside it.
    copy = tmp_path / "python"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "_native", "__pycache__"))
    r = pip_install_source(copy, tmp_path / "site")
    assert r.returncode != 0
    output = r.stdout + r.stderr
    assert "native library is missing" in output and "make lib" in output, output
    assert not (tmp_path / "site" / "ocireg").exists()
