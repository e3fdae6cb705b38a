# Sourced by test.sh after the image tests: copy with a platform subset
# (`--platform A,B`) of a three-platform index (issue 13), registry to
# registry, registry to oci:, oci: to oci-archive:; an unknown platform
# fails before anything is written. Uses test.sh's helpers, $img, $irepo,
# $amd, $arm, P and SK.

image_config s390x >"$img/config-s390x.json"
manifest_json "$img/config-s390x.json" "$img/layer.tar" >"$img/manifest-s390x.json"
s390=$(sha "$img/manifest-s390x.json")
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"s390x","os":"linux"}}]}' \
    "$OCI_INDEX" \
    "$OCI_MANIFEST" "$amd" "$(size "$img/manifest-amd64.json")" \
    "$OCI_MANIFEST" "$arm" "$(size "$img/manifest-arm64.json")" \
    "$OCI_MANIFEST" "$s390" "$(size "$img/manifest-s390x.json")" \
    >"$img/index3.json"
idx3=$(sha "$img/index3.json")
oc "${P[@]}" push-blob "$irepo" "$img/config-s390x.json"; ok "subset: push the s390x config"
oc "${P[@]}" put-manifest "$irepo@$s390" "$img/manifest-s390x.json"; ok "subset: put the s390x manifest" "$s390"
oc "${P[@]}" put-manifest "$irepo:tri" "$img/index3.json" --media-type "$OCI_INDEX"
ok "subset: put the three-platform index as tri" "$idx3"

# archs FILE: the architectures an index names, space-separated.
archs() {
    python3 -c 'import json,sys; print(" ".join(m["platform"]["architecture"] for m in json.load(open(sys.argv[1]))["manifests"]))' "$1"
}

oc "${P[@]}" --platform linux/s390x,linux/amd64 copy "$irepo:tri" "$PLAIN/cli/subset:v1"
ok "subset: copy --platform A,B registry to registry"
sub=$(cat "$out")
check "subset: a new index, not the source's" [ -n "$sub" -a "$sub" != "$idx3" ]
check "subset: the note on stderr says so" grep -q 'index of these platforms alone' "$err"
"${SK[@]}" inspect --raw --tls-verify=false "docker://$PLAIN/cli/subset:v1" >"$tmp/subset-raw.json" 2>/dev/null
check "subset: skopeo reads the index, whose digest was printed" [ "$(sha "$tmp/subset-raw.json")" = "$sub" ]
check "subset: it names amd64 and s390x, in the source's order" [ "$(archs "$tmp/subset-raw.json")" = "amd64 s390x" ]
check "subset: skopeo reads the s390x image through it" \
    [ "$("${SK[@]}" --override-arch s390x inspect --tls-verify=false "docker://$PLAIN/cli/subset:v1" 2>/dev/null | json_field Architecture)" = s390x ]
oc "${P[@]}" --platform linux/s390x,linux/amd64 copy "$irepo:tri" "oci:$tmp/subset-layout:two"
ok "subset: registry to oci: gives the same index" "$sub"
oc "${P[@]}" pull --all "$irepo:tri" "$tmp/tri-layout:tri"; ok "subset: pull --all the source" "$idx3"
oc "${P[@]}" --platform linux/amd64,linux/s390x copy "oci:$tmp/tri-layout:tri" "oci-archive:$tmp/subset.tar:two"
ok "subset: oci: to oci-archive: gives the same index" "$sub"
check "subset: skopeo reads the oci-archive" \
    [ "$("${SK[@]}" inspect --raw "oci-archive:$tmp/subset.tar:two" 2>/dev/null | raw_sha)" = "$sub" ]
oc "${P[@]}" --platform linux/arm64,linux/s390x,linux/amd64 copy "$irepo:tri" "oci:$tmp/subset-layout:all"
ok "subset: every platform keeps the index unchanged" "$idx3"
oc "${P[@]}" --platform linux/amd64,linux/riscv64 copy "$irepo:tri" "oci-archive:$tmp/subset-none.tar"
bad "subset: a platform the index lacks" NOT_FOUND 6
check "subset: ... names it" grep -q 'linux/riscv64' "$err"
check "subset: ... and wrote nothing" [ ! -e "$tmp/subset-none.tar" ]
oc "${P[@]}" --platform linux/amd64,linux/amd64 copy "$irepo:tri" "oci:$tmp/subset-none"
bad "subset: a platform listed twice" INVALID_ARGUMENT 3
oc "${P[@]}" --platform linux/amd64, copy "$irepo:tri" "oci:$tmp/subset-none"
bad "subset: an empty list item" INVALID_ARGUMENT 3
check "subset: ... nothing written" [ ! -e "$tmp/subset-none" ]
