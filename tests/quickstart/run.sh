#!/usr/bin/env bash
# run.sh FILE.md...: runs the quick starts of each markdown FILE as a reader
# would, so that they keep running as written. Run from the repository
# root through the harness (`make test-quickstart`), after `make lib cli`.
#
# A quick start is a ```sh block right after a line `<!-- quickstart: run -->`.
# The blocks of one file run in order in one bash (what one block exports
# or activates, the next one sees), with -e and pipefail, in the
# repository root, with HOME a fresh temporary directory (so `make install
# PREFIX=$HOME/.local` and `~/.venvs` land there) and `localhost:5000`
# replaced by the harness's plain registry, which first gets the quick
# starts' image (scripts/quickstart-image.sh). A file with no quick start
# fails: a marker lost in an edit must not make the test pass.
set -euo pipefail
fail() { echo "quickstart test: $*" >&2; exit 1; }
[ $# -gt 0 ] || fail "usage: run.sh FILE.md..."
[ -n "${OCIREG_TEST_PLAIN:-}" ] || fail "OCIREG_TEST_PLAIN is unset: run it through the harness (make test-quickstart)"
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocireg-quickstart.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

scripts/quickstart-image.sh "$OCIREG_TEST_PLAIN" >/dev/null || fail "scripts/quickstart-image.sh failed"

# A reader's shell: none of what `cargo run` (the harness) sets for its
# program.
for var in $(env | sed -n 's/^\(CARGO_[A-Za-z0-9_]*\)=.*/\1/p'); do
    [ "$var" = CARGO_HOME ] || unset "$var"
done
unset CARGO RUSTC RUSTDOC LD_LIBRARY_PATH MAKEFLAGS MAKELEVEL
# HOME changes below: the toolchains and caches stay where they are, and Go
# downloads nothing (the binding comes through a `replace`).
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv} XDG_CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
# A build cache of its own: Go's cache keeps the flags pkg-config gave an
# earlier build, which name another (temporary) prefix.
GOPATH=$(go env GOPATH) GOMODCACHE=$(go env GOMODCACHE)
export GOPATH GOMODCACHE GOCACHE=$tmp/gocache GOPROXY=off
unset PYTHONPATH OCIREG_LIBRARY PKG_CONFIG_PATH VIRTUAL_ENV

n=0
for md in "$@"; do
    n=$((n + 1))
    script=$tmp/quickstart-$n.sh
    awk '
        /^<!-- quickstart: run -->$/ { marked = 1; next }
        marked && /^```sh$/ { inside = 1; marked = 0; blocks++; next }
        inside && /^```$/ { inside = 0; next }
        inside { print }
        { marked = 0 }
        END { if (blocks == 0) exit 1 }
    ' "$md" >"$script" || fail "$md has no quick start marked <!-- quickstart: run -->"
    # The library, the CLI and the harness are built (`make test-quickstart`
    # depends on them): the snippets' `make install` and `make wheel` take
    # the library as it is (-o lib -o build, as tests/c/install_test.sh
    # does), and the harness runs as the built program, since a cargo run
    # from here would rebuild the dependencies whose build scripts watch
    # the environment (ring's), on a machine other builds share.
    sed -i -e "s/localhost:5000/$OCIREG_TEST_PLAIN/g" \
        -e 's/^make \(install\|wheel\)\b/make -o lib -o build \1/' \
        -e "s|cargo run --quiet --example test_registry --|$root/target/debug/examples/test_registry|" "$script"
    mkdir "$tmp/home-$n"
    echo "quickstart test: $md"
    (cd "$root" && HOME=$tmp/home-$n bash -e -o pipefail "$script") || fail "a quick start of $md failed (script: $(cat "$script"))"
done
echo "quickstart test: ok ($*)"
