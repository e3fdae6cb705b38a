#!/usr/bin/env bash
# Installs the peer tools the tests and benchmarks run beside ocireg, built
# from the Go module proxy into $(go env GOPATH)/bin (or GOBIN) and rebuilt
# only when missing: crane, oras, regctl (interop tests and benchmarks),
# registry (distribution v3, a test registry), toxiproxy-server (the
# benchmarks' simulated WAN), cosign (tests/graph_copy.rs signs and verifies
# with it; by far the longest to build on a fresh machine). Debian's skopeo
# and umoci come from scripts/install-deps.sh.
# go-containerregistry's registry with referrers is built by the Rust test
# support itself (tests/support/ggcr_registry).
set -euo pipefail

bin="$(go env GOBIN)"
[ -n "$bin" ] || bin="$(go env GOPATH)/bin"
mkdir -p "$bin"

# name  package@version
peers=(
    "crane github.com/google/go-containerregistry/cmd/crane@v0.22.1"
    "oras oras.land/oras/cmd/oras@v1.3.6"
    "regctl github.com/regclient/regclient/cmd/regctl@v0.11.7"
    "registry github.com/distribution/distribution/v3/cmd/registry@v3.1.2"
    "toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0"
    "cosign github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5"
)

for entry in "${peers[@]}"; do
    name="${entry%% *}"
    package="${entry#* }"
    [ -x "$bin/$name" ] && continue
    echo "installing $name ($package)"
    # go install names the binary after the package's directory; build into
    # a scratch GOBIN and move it to the name the tests look for.
    scratch="$(mktemp -d)"
    GOBIN="$scratch" go install "$package"
    built="$(ls "$scratch")"
    mv -f "$scratch/$built" "$bin/$name"
    rmdir "$scratch"
done
