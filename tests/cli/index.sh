# Indexes authored (issue 13), sourced by tests/cli/test.sh after
# artifacts.sh: uses its oc/ok/bad/usage/check helpers, $tmp, $PLAIN, the
# test data and $ORAS (oras v1.3.6, the peer: the same index from the same
# images).

xrepo=$PLAIN/cli/index
X=(--insecure-registry "$PLAIN")
config_json s390x "$tmp/layer.bin" >"$tmp/config-s390x.json"
manifest_json "$tmp/config-s390x.json" "$tmp/layer.bin" >"$tmp/manifest-s390x.json"
for f in layer.bin config.json config-arm64.json config-s390x.json; do
    oc "${X[@]}" push-blob "$xrepo" "$tmp/$f"; ok "index: setup $f"
done
oc "${X[@]}" put-manifest "$xrepo:amd64" "$tmp/manifest.json"; ok "index: setup amd64"
oc "${X[@]}" put-manifest "$xrepo:arm64" "$tmp/manifest-arm64.json"; ok "index: setup arm64"
oc "${X[@]}" put-manifest "$xrepo:s390x" "$tmp/manifest-s390x.json"; ok "index: setup s390x"

# xentry MANIFEST ARCH: the index entry of an image manifest, as oras writes it.
xentry() {
    printf '{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"}}' \
        "$OCI_MANIFEST" "$(sha "$1")" "$(size "$1")" "$2"
}
# xindex ANNOTATIONS ENTRY...: the index bytes ("" for no annotations).
xindex() {
    local annotations=$1 sep="" e
    shift
    printf '{"schemaVersion":2,"mediaType":"%s","manifests":[' "$OCI_INDEX"
    for e in "$@"; do printf '%s%s' "$sep" "$e"; sep=,; done
    printf ']'
    [ -n "$annotations" ] && printf ',"annotations":%s' "$annotations"
    printf '}'
}
e_amd=$(xentry "$tmp/manifest.json" amd64)
e_arm=$(xentry "$tmp/manifest-arm64.json" arm64)
e_s390=$(xentry "$tmp/manifest-s390x.json" s390x)
# xis NAME ANNOTATIONS ENTRY...: the index at $xrepo:ours is exactly that.
xis() {
    local name=$1
    shift
    xindex "$@" >"$tmp/index-want.json"
    oc "${X[@]}" manifest "$xrepo:ours"; ok "$name: fetched"
    check "$name: the index is exactly as expected" cmp -s "$out" "$tmp/index-want.json"
}

oc "${X[@]}" index create "$xrepo:ours" "$xrepo:amd64" "$xrepo:arm64" --annotation k=v
ok "index create prints the digest"
xours=$(cat "$out")
xis "index create" '{"k":"v"}' "$e_amd" "$e_arm"
check "index create: ... its digest is the one printed" test "$(sha "$tmp/index-want.json")" = "$xours"
"$ORAS" manifest index create --plain-http --annotation k=v "$xrepo:theirs" amd64 arm64 >/dev/null 2>&1
check "index create: oras manifest index create ran" test $? -eq 0
oc "${X[@]}" digest "$xrepo:theirs"
ok "index create: oras makes the same index from the same images" "$xours"
"$ORAS" manifest fetch --plain-http "$xrepo:ours" >"$tmp/index-oras.json" 2>/dev/null
check "index create: oras fetches our index byte for byte" cmp -s "$tmp/index-oras.json" "$tmp/index-want.json"

oc "${X[@]}" index add "$xrepo:ours" "$xrepo@$(sha "$tmp/manifest-s390x.json")"; ok "index add"
xis "index add" '{"k":"v"}' "$e_amd" "$e_arm" "$e_s390"
oc "${X[@]}" index add "$xrepo:ours" "$xrepo:amd64"; ok "index add: a manifest already there"
xis "index add: ... is not added twice" '{"k":"v"}' "$e_amd" "$e_arm" "$e_s390"
oc "${X[@]}" index remove "$xrepo:ours" --platform linux/arm64; ok "index remove --platform"
xis "index remove --platform" '{"k":"v"}' "$e_amd" "$e_s390"
oc "${X[@]}" index remove "$xrepo:ours" "$(sha "$tmp/manifest.json")"; ok "index remove DIGEST"
xis "index remove DIGEST" '{"k":"v"}' "$e_s390"
oc "${X[@]}" --format json index annotate "$xrepo:ours" added=yes k-
ok "index annotate --format json"
cp "$out" "$tmp/annotate.json"
xis "index annotate" '{"added":"yes"}' "$e_s390"
check "index annotate: ... prints {\"digest\"}" python3 -c '
import json, sys
assert json.load(open(sys.argv[1])) == {"digest": sys.argv[2]}' "$tmp/annotate.json" "$(sha "$tmp/index-want.json")"
oc "${X[@]}" index create "$xrepo:typed" "$xrepo:amd64" --artifact-type application/x-cli-index
ok "index create --artifact-type"
oc "${X[@]}" manifest "$xrepo:typed"
check "index create --artifact-type: ... is in the index" \
    grep -q '"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"application/x-cli-index","manifests"' "$out"

# Bad input: a clear error and nothing pushed.
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:ours"; bad "index create: an index as source" INVALID_ARGUMENT 3
check "... says it is an index" grep -q "is an index" "$err"
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:missing"; bad "index create: a missing source" NOT_FOUND 6
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:amd64" "$xrepo@$(sha "$tmp/manifest.json")"
bad "index create: one manifest twice" INVALID_ARGUMENT 3
check "... says it is listed twice" grep -q "twice" "$err"
oc "${X[@]}" index create "$xrepo:bad" "$PLAIN/cli/other:amd64"
bad "index create: a source in another repository" INVALID_ARGUMENT 3
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:amd64" --annotation novalue
usage "index create: --annotation without ="
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:amd64" --annotation =v
usage "index create: --annotation with an empty key"
# shellcheck disable=SC2046
oc "${X[@]}" index create "$xrepo:bad" $(yes "$xrepo:amd64" | head -1001)
usage "index create: more than 1000 sources"
oc "${X[@]}" index create "$xrepo:bad" "$xrepo:amd64" --platform linux/amd64
usage "index create: --platform does not go with it"
oc "${X[@]}" index remove "$xrepo:ours"; usage "index remove: nothing to remove"
oc "${X[@]}" index remove "$xrepo:ours" --platform linux/arm64
bad "index remove: a platform in no entry" NOT_FOUND 6
oc "${X[@]}" index remove "$xrepo:ours" --platform linux
bad "index remove: a malformed platform" INVALID_ARGUMENT 3
oc "${X[@]}" index remove "$xrepo:ours" not-a-digest; bad "index remove: not a digest" INVALID_DIGEST 5
oc "${X[@]}" index annotate "$xrepo:ours" novalue; usage "index annotate: neither KEY=VALUE nor KEY-"
oc "${X[@]}" index add "$xrepo:amd64" "$xrepo:arm64"; bad "index add: TARGET is not an index" INVALID_ARGUMENT 3
oc "${X[@]}" index frob "$xrepo:ours"; usage "index: an unknown subcommand"
xis "index: after the refused changes, the index is as it was" '{"added":"yes"}' "$e_s390"
oc "${X[@]}" tags "$xrepo"
check "index: nothing was pushed as bad" sh -c "! grep -qx bad '$out'"
