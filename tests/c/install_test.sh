#!/bin/sh
# install_test.sh VERSION SOVERSION [MAKE [CC [CFLAGS]]]: `make install
# PREFIX=tmp`, then builds tests/c/install_prog.c outside the tree against
# that prefix, through pkg-config only, three ways, runs each and checks it
# prints VERSION:
#   1. dynamically: `pkg-config --cflags --libs ocireg`; the program loads
#      the installed libocireg.so.SOVERSION, found by its SONAME;
#   2. statically: `pkg-config --static --cflags --libs ocireg-static`
#      (libocireg.a and what it needs); the program loads no libocireg;
#   3. statically with link-time optimisation (clang -flto, and gcc -flto):
#      the LTO plugins must not choke on the archive (no LLVM bitcode in it).
# Run from the repository root. (The compiler is an argument, not $CC in
# the environment: cargo would see CC change and rebuild ring.)
set -eu
version=$1
soversion=$2
make=${3:-make}
cc=${4:-cc}
cflags=${5:--std=c99 -Wall -Wextra -pedantic -Werror}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocireg-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install test: $*" >&2; exit 1; }

command -v pkg-config >/dev/null || fail "pkg-config is missing (apt-get install pkg-config)"
command -v clang >/dev/null || fail "clang is missing (apt-get install clang; make deps)"
# -o lib -o build: `make test-c` built the library already; rebuilding it
# here would race with other `make lib` runs in the same tree.
$make --no-print-directory -s -o lib -o build install PREFIX="$tmp" >/dev/null
for f in include/ocireg.h lib/libocireg.so "lib/libocireg.so.$soversion" "lib/libocireg.so.$version" \
         lib/libocireg.a lib/pkgconfig/ocireg.pc lib/pkgconfig/ocireg-static.pc; do
    [ -e "$tmp/$f" ] || fail "$f was not installed"
done
soname=$(readelf -d "$tmp/lib/libocireg.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libocireg.so.$soversion" ] || fail "SONAME is '$soname', expected libocireg.so.$soversion"
# Shipped stripped: no DWARF in either library.
if readelf -S "$tmp/lib/libocireg.so" | grep -q '\.debug_info'; then fail "libocireg.so carries debug info"; fi
if readelf -S "$tmp/lib/libocireg.a" | grep -qE '\.debug_info|\.llvmbc'; then
    fail "libocireg.a carries debug info or LLVM bitcode"
fi
pc() { PKG_CONFIG_PATH="$tmp/lib/pkgconfig" pkg-config "$@"; }
# run PROG: prints what it printed, failing unless that is VERSION.
run() {
    got=$(LD_LIBRARY_PATH="$tmp/lib" "$1")
    [ "$got" = "$version" ] || fail "$1 printed '$got', expected '$version'"
}

# shellcheck disable=SC2086 # word splitting of the flags is intended
$cc $cflags tests/c/install_prog.c $(pc --cflags --libs ocireg) -o "$tmp/dynamic"
run "$tmp/dynamic"
LD_LIBRARY_PATH="$tmp/lib" ldd "$tmp/dynamic" | grep -q "libocireg.so.$soversion => $tmp/lib/" ||
    fail "the dynamic program did not load $tmp/lib/libocireg.so.$soversion"

static_flags=$(pc --static --cflags --libs ocireg-static)
# shellcheck disable=SC2086
$cc $cflags tests/c/install_prog.c $static_flags -o "$tmp/static"
run "$tmp/static"
if ldd "$tmp/static" | grep -q libocireg; then fail "the static program loads a libocireg"; fi

for lto in "clang -flto" "gcc -flto"; do
    # shellcheck disable=SC2086
    $lto -O2 $cflags tests/c/install_prog.c $static_flags -o "$tmp/lto" ||
        fail "$lto could not link libocireg.a"
    run "$tmp/lto"
done
echo "install test: ok (SONAME $soname; dynamic, static and -flto builds through pkg-config print $version)"
