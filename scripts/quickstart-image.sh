#!/bin/sh
# quickstart-image.sh [REGISTRY]: pushes the image the quick starts of
# README.md use, REGISTRY/demo/hello:v1 (REGISTRY defaults to
# localhost:5000, reached over plain HTTP): a multi-platform index of a
# linux/amd64 and a linux/arm64 image, each one gzipped tar layer holding
# /hello.txt. Uses the command-line tool (`make cli`); prints the index's
# digest. Pushing again gives the same digests.
set -eu
registry=${1:-localhost:5000}
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${OCIREG:-$root/build/bin/ocireg}
[ -x "$cli" ] || { echo "quickstart-image: $cli is missing; run 'make cli' first" >&2; exit 1; }
repo=$registry/demo/hello
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocireg-quickstart.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ocireg() { "$cli" --insecure-registry "$registry" "$@"; }
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { wc -c <"$1" | tr -d ' '; }

# image ARCH: pushes the layer, config and manifest of linux/ARCH; prints
# the index entry of its manifest.
image() {
    mkdir -p "$tmp/$1/root"
    printf 'hello from linux/%s\n' "$1" >"$tmp/$1/root/hello.txt"
    # Reproducible: fixed owner, mode and time; gzip without a name or time.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 --mtime=@0 \
        -C "$tmp/$1/root" -cf "$tmp/$1/layer.tar" hello.txt
    gzip -n -c "$tmp/$1/layer.tar" >"$tmp/$1/layer.tar.gz"
    layer=$(ocireg push-blob "$repo" "$tmp/$1/layer.tar.gz")
    printf '{"architecture":"%s","os":"linux","config":{"Cmd":["cat","/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
        "$1" "$(sha "$tmp/$1/layer.tar")" >"$tmp/$1/config.json"
    config=$(ocireg push-blob "$repo" "$tmp/$1/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
        "$config" "$(size "$tmp/$1/config.json")" "$layer" "$(size "$tmp/$1/layer.tar.gz")" >"$tmp/$1/manifest.json"
    manifest=$(ocireg put-manifest "$repo@$(sha "$tmp/$1/manifest.json")" "$tmp/$1/manifest.json")
    printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"}}' \
        "$manifest" "$(size "$tmp/$1/manifest.json")" "$1"
}

amd64=$(image amd64)
arm64=$(image arm64)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
    "$amd64" "$arm64" >"$tmp/index.json"
ocireg put-manifest "$repo:v1" "$tmp/index.json" --media-type application/vnd.oci.image.index.v1+json
