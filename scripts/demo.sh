#!/usr/bin/env bash
# Walks through the main job with the command-line tool (build/bin/ocireg,
# from `make cli`) on a throwaway registry: push, read back, referrers,
# copy, pull into an OCI layout, inspect, save, delete. Run by `make demo`,
# which starts the registry with the project's one launcher and stops it
# afterwards:
#   cargo run --quiet --example test_registry -- --only-plain scripts/demo.sh
# Installs nothing (uses skopeo when it is there, to read the pulled
# layout); exits 0 only if every step worked.
set -Eeuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OCIREG=${OCIREG:-$root/build/bin/ocireg}
if [ ! -x "$OCIREG" ]; then
    echo "demo: $OCIREG is missing; run 'make lib cli' first" >&2
    exit 1
fi
if [ -z "${OCIREG_TEST_PLAIN:-}" ]; then
    echo "demo: no registry (OCIREG_TEST_PLAIN is unset); run 'make demo'" >&2
    exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
trap 'echo "demo: FAILED (line $LINENO)" >&2' ERR

reg=$OCIREG_TEST_PLAIN
repo=$reg/demo/app
echo "registry: $reg (throwaway, storage in $OCIREG_TEST_PLAIN_STORAGE)"

# ocireg ARGS...: prints the command (on fd 3, the demo's stdout, so that
# $(ocireg ...) captures only the output), then runs it against the plain
# HTTP registry.
exec 3>&1
ocireg() {
    echo "+ ocireg --insecure-registry $reg $*" >&3
    "$OCIREG" --insecure-registry "$reg" "$@"
}
# step TEXT: a heading.
step() { printf '\n== %s\n' "$1"; }
sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { wc -c <"$1" | tr -d ' '; }

step "The library and the registry"
echo "+ ocireg version" >&3
"$OCIREG" version
ocireg ping "$reg"

step "Push a 4 MiB layer and a config as blobs"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$dir/layer.bin"
layer=$(ocireg --progress push-blob "$repo" "$dir/layer.bin")
echo "$layer"
[ "$layer" = "$(sha "$dir/layer.bin")" ]
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$layer" >"$dir/config.json"
config=$(ocireg push-blob "$repo" - <"$dir/config.json")
echo "$config"

step "Push the image manifest as v1, tag it latest"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config" "$(size "$dir/config.json")" "$layer" "$(size "$dir/layer.bin")" >"$dir/manifest.json"
manifest=$(ocireg put-manifest "$repo:v1" "$dir/manifest.json")
echo "$manifest"
ocireg tag "$repo:v1" latest
ocireg tags "$repo"

step "Read it back"
digest=$(ocireg digest "$repo:latest")
echo "$digest"
[ "$digest" = "$manifest" ]
ocireg manifest "$repo:latest" >"$dir/manifest.out"
cat "$dir/manifest.out"; echo
[ "$(sha "$dir/manifest.out")" = "$digest" ]
echo "verified: the manifest bytes hash to $digest"
ocireg config "$repo:latest"; echo
ocireg --progress blob "$repo@$layer" >"$dir/layer.out"
cmp "$dir/layer.out" "$dir/layer.bin"
echo "verified: the streamed blob equals the pushed layer ($(size "$dir/layer.out") bytes)"

step "Attach an artifact to the image and list its referrers"
printf '{}' >"$dir/empty.json"
ocireg push-blob "$repo" "$dir/empty.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s}}' \
    "$(sha "$dir/empty.json")" "$(sha "$dir/empty.json")" "$manifest" "$(size "$dir/manifest.json")" \
    >"$dir/sbom.json"
ocireg put-manifest "$repo@$(sha "$dir/sbom.json")" "$dir/sbom.json"
ocireg referrers "$repo:v1" | tee "$dir/referrers.out"
grep -q "^$(sha "$dir/sbom.json") application/vnd.example.sbom.v1 " "$dir/referrers.out"

step "Copy the image to another repository (the registry mounts its blobs)"
copied=$(ocireg copy "$repo:v1" "$reg/demo/copy:v1")
echo "$copied"
[ "$copied" = "$manifest" ]
echo "verified: the copy has the same digest"

step "Pull it into an OCI image layout"
pulled=$(ocireg --progress pull "$reg/demo/copy:v1" "$dir/layout:v1")
echo "$pulled"
[ "$pulled" = "$manifest" ]
(cd "$dir/layout" && find . -type f | sort)
if command -v skopeo >/dev/null; then
    echo "+ skopeo inspect oci:$dir/layout:v1"
    seen=$(skopeo inspect --format '{{.Digest}}' "oci:$dir/layout:v1")
    echo "$seen"
    [ "$seen" = "$manifest" ]
    echo "verified: skopeo reads the layout and reports the same digest"
fi

step "Inspect it (skopeo inspect's fields)"
ocireg inspect --tags "$repo:v1" | tee "$dir/inspect.json"
[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])' <"$dir/inspect.json")" = "$manifest" ]

step "Save it as a docker-archive tarball"
saved=$(ocireg save "$repo:v1" "$dir/image.tar")
echo "$saved"
tar -tvf "$dir/image.tar"
tar -xOf "$dir/image.tar" manifest.json; echo

step "Delete the image"
ocireg delete "$repo:v1"
if ocireg digest "$repo:latest" 2>"$dir/gone.err"; then
    echo "demo: the image is still there after delete" >&2
    exit 1
fi
cat "$dir/gone.err"
echo "deleted: v1 and latest are gone"

echo
echo "demo OK (the registry stops now)"
