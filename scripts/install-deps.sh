#!/usr/bin/env bash
# Installs what the build and the tests need and this machine lacks.
# Debian packages: docker-registry (distribution 2.8.2, the test registry),
# openssl (test certificates), curl, skopeo and umoci (the image peers), gnupg (a throwaway key for
# skopeo's simple signing in tests/signatures.rs), valgrind (the C tests), pkg-config and
# a C/C++ compiler, and clang (the install test links the static library
# with clang -flto too). Rust components: clippy, rustfmt.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v objcopy >/dev/null 2>&1 || missing+=(binutils)

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for component in clippy rustfmt; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
        rustup component add "$component"
    fi
done
