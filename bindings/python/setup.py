"""Build hooks of the ocireg package (the metadata is in pyproject.toml).

The package carries the native library: ``build_py`` copies
``libocireg.so.SOVERSION`` into ``ocireg/_native/`` of the build, where
``ocireg._lib`` looks first. It takes the library from, in order:

1. ``ocireg/_native/`` of this directory (an unpacked sdist carries it
   there: ``sdist`` below puts it in);
2. ``build/lib/`` of the ocireg source tree this directory sits in, which
   ``make lib`` fills with the stripped release library.

Without either the build stops and says to run ``make lib``.

The wheel holds a native library but no Python extension, so it is tagged
``py3-none-PLATFORM`` (any Python 3, no ABI dependency, this platform), not
``any``.
"""

from __future__ import annotations

import re
import shutil
import sysconfig
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
NATIVE = Path("ocireg") / "_native"


def _version() -> str:
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("ocireg: no version in pyproject.toml")
    return match.group(1)


def _soversion(version: str) -> str:
    """The SONAME's version, as the Makefile computes it: 0.MINOR while the
    major version is 0, else the major version."""
    major, minor = version.split(".")[:2]
    return f"0.{minor}" if major == "0" else major


def _library_name() -> str:
    return f"libocireg.so.{_soversion(_version())}"


def _find_library() -> Path:
    packaged = HERE / NATIVE / _library_name()
    if packaged.is_file():
        return packaged
    built = HERE.parent.parent / "build" / "lib" / f"libocireg.so.{_version()}"
    if built.is_file():
        return built
    raise SystemExit(
        f"ocireg: the native library is missing: neither {packaged} nor {built} exists. "
        "Run `make lib` at the root of the ocireg source tree first, then build or install "
        "this package again (`make wheel` does both)."
    )


class BuildPyWithLibrary(build_py):
    """build_py that also puts libocireg.so.SOVERSION into ocireg/_native/."""

    def run(self) -> None:
        super().run()
        library = _find_library()
        target = Path(self.build_lib) / NATIVE
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target / _library_name())
        (target / _library_name()).chmod(0o755)


class SdistWithLibrary(sdist):
    """sdist that carries the library, so a wheel builds from it alone."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        target = Path(base_dir) / NATIVE
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_find_library(), target / _library_name())


class NativeDistribution(Distribution):
    """A distribution with native code: the wheel installs into platlib
    (Root-Is-Purelib: false), with every file at its root."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged py3-none-PLATFORM: a native library, loaded by ctypes."""

    def get_tag(self) -> tuple[str, str, str]:
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return "py3", "none", platform


setup(
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "sdist": SdistWithLibrary, "bdist_wheel": PlatformWheel},
)
