#!/bin/sh
# install_test.sh VERSION [MAKE [CC [CFLAGS]]]: `make install PREFIX=tmp`, then build
# tests/c/install_prog.c with `pkg-config --cflags --libs ocireg` against
# that prefix, run it, and check it prints VERSION from the installed
# library. Run from the repository root. (The compiler is an argument, not
# $CC in the environment: cargo would see CC change and rebuild ring.)
set -eu
version=$1
make=${2:-make}
cc=${3:-cc}
cflags=${4:--std=c99 -Wall -Wextra -pedantic -Werror}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocireg-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

command -v pkg-config >/dev/null || { echo "install test: pkg-config is missing (apt-get install pkg-config)" >&2; exit 1; }
# -o lib -o build: `make test-c` built the library already; rebuilding it
# here would race with other `make lib` runs in the same tree.
$make --no-print-directory -s -o lib -o build install PREFIX="$tmp" >/dev/null
for f in include/ocireg.h lib/libocireg.so lib/libocireg.so.0 lib/libocireg.a lib/pkgconfig/ocireg.pc; do
    [ -e "$tmp/$f" ] || { echo "install test: $f was not installed" >&2; exit 1; }
done
flags=$(PKG_CONFIG_PATH="$tmp/lib/pkgconfig" pkg-config --cflags --libs ocireg)
# shellcheck disable=SC2086 # word splitting of the flags is intended
$cc $cflags tests/c/install_prog.c $flags -o "$tmp/prog"
got=$(LD_LIBRARY_PATH="$tmp/lib" "$tmp/prog")
[ "$got" = "$version" ] || { echo "install test: printed '$got', expected '$version'" >&2; exit 1; }
# The program really used the installed copy, found by its SONAME.
LD_LIBRARY_PATH="$tmp/lib" ldd "$tmp/prog" | grep -q "libocireg.so.0 => $tmp/lib/" ||
    { echo "install test: the program did not load $tmp/lib/libocireg.so.0" >&2; exit 1; }
echo "install test: ok (pkg-config: $flags; prints $got)"
