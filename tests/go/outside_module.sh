#!/bin/sh
# outside_module.sh VERSION SOVERSION [GO [MAKE]]: the Go binding used the
# way a Go program outside this repository uses it. `make install
# PREFIX=tmp`, then a new module in a temporary directory gets the binding
# with `go get` (through a `replace` to this checkout, since the module is
# not published) and builds the program of bindings/go/README.md's quick
# start (extracted from the README, so the README stays true) two ways:
#   1. by default: cgo's flags from `pkg-config ocireg` (PKG_CONFIG_PATH at
#      the prefix, pkg-config's documented way); the program loads the
#      installed libocireg.so.SOVERSION;
#   2. with -tags ocireg_static: `pkg-config --static ocireg-static`, and
#      the program needs no libocireg at all at run time.
# Each runs against the harness's plain registry (OCIREG_TEST_PLAIN).
# Run from the repository root, through the harness (`make test-go`).
set -eu
version=$1
soversion=$2
go=${3:-go}
make=${4:-make}
root=$(pwd)
fail() { echo "go outside-module test: $*" >&2; exit 1; }
[ -n "${OCIREG_TEST_PLAIN:-}" ] || fail "OCIREG_TEST_PLAIN is unset: run it through the harness (make test-go)"
command -v pkg-config >/dev/null || fail "pkg-config is missing (apt-get install pkg-config)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocireg-go-outside.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# -o lib -o build: `make test-go` built the library already.
$make --no-print-directory -s -o lib -o build install PREFIX="$tmp/prefix" >/dev/null
# Only pkg-config leads to the library: no flags or paths from elsewhere,
# and nothing from the network (the module comes through the replace).
unset LD_LIBRARY_PATH CGO_CFLAGS CGO_LDFLAGS GOFLAGS
# A build cache of its own: Go's cache keeps the flags pkg-config gave an
# earlier build, which name another (temporary) prefix.
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" GOPROXY=off GOCACHE="$tmp/gocache"

mkdir "$tmp/hello"
sed -n "/^cat > main.go <<'GO'\$/,/^GO\$/{//!p}" bindings/go/README.md >"$tmp/hello/main.go"
grep -q '^func main()' "$tmp/hello/main.go" || fail "no quick-start program found in bindings/go/README.md"
cd "$tmp/hello"
$go mod init example.com/hello >/dev/null 2>&1
$go mod edit -replace github.com/ocireg/ocireg/bindings/go="$root/bindings/go"
$go get github.com/ocireg/ocireg/bindings/go@v0.0.0 2>&1 || fail "go get of the binding failed"

# check REPO COMMAND...: runs COMMAND REPO and checks that it prints what
# the quick start says it prints.
check() {
    repo=$1
    shift
    out=$("$@" "$repo") || fail "$* $repo failed: $out"
    printf '%s\n' "$out" | grep -qx 'tags: \[hello\]' || fail "$* printed no 'tags: [hello]': $out"
    printf '%s\n' "$out" | grep -qx 'manifest: application/vnd.oci.image.manifest.v1+json sha256:[0-9a-f]\{64\}' ||
        fail "$* printed no manifest line: $out"
    printf '%s\n' "$out" | grep -qx 'missing tag is ErrNotFound: true' || fail "$* printed no ErrNotFound line: $out"
}

$go build -o hello-dynamic . || fail "the default (pkg-config ocireg) build failed"
readelf -d hello-dynamic | grep -q "NEEDED.*\[libocireg.so.$soversion\]" ||
    fail "the default build does not need libocireg.so.$soversion"
LD_LIBRARY_PATH="$tmp/prefix/lib" ldd hello-dynamic | grep -q "libocireg.so.$soversion => $tmp/prefix/lib/" ||
    fail "the default build does not load the installed library"
check "$OCIREG_TEST_PLAIN/outside/dynamic" env LD_LIBRARY_PATH="$tmp/prefix/lib" ./hello-dynamic

$go build -tags ocireg_static -o hello-static . || fail "the ocireg_static (pkg-config --static ocireg-static) build failed"
if readelf -d hello-static | grep -q libocireg; then fail "the ocireg_static build needs a libocireg.so"; fi
check "$OCIREG_TEST_PLAIN/outside/static" ./hello-static
echo "go outside-module test: ok (go get + pkg-config ocireg, and -tags ocireg_static; libocireg $version)"
