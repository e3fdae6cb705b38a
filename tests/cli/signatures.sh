# Signatures (issue 12), sourced by tests/cli/test.sh: uses its
# oc/ok/bad/usage/check helpers, $tmp, $PLAIN and the test data. A
# registries.d puts simple-signing signatures in a file:// lookaside and
# sigstore ones in the image's .sig attachment on distribution 2.8.2.

srepo=$PLAIN/cli/sigs
sd=$tmp/registries.d
mkdir -p "$sd"
printf 'default-docker:\n  lookaside: file://%s/sigstaging\n  use-sigstore-attachments: true\n' \
    "$tmp" >"$sd/test.yaml"
oc --insecure-registry "$PLAIN" push-blob "$srepo" "$tmp/layer.bin"; ok "signatures: setup layer"
oc --insecure-registry "$PLAIN" push-blob "$srepo" "$tmp/config.json"; ok "signatures: setup config"
oc --insecure-registry "$PLAIN" put-manifest "$srepo:v1" "$tmp/manifest.json"; ok "signatures: setup manifest"

oc --insecure-registry "$PLAIN" signatures "$srepo:v1" --registries.d "$sd"
ok "signatures: none yet" ""
# A simple-signing blob (OpenPGP compressed data) and a sigstore one in
# containers/image's blob format (as skopeo stores it in dir:).
printf '\243\001hello' >"$tmp/sig-simple"
printf '\000sigstore-json\n{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"e30=","annotations":{"dev.cosignproject.cosign/signature":"MEUC"}}' \
    >"$tmp/sig-sigstore"
oc --insecure-registry "$PLAIN" signatures put "$srepo:v1" "$tmp/sig-simple" "$tmp/sig-sigstore" \
    --registries.d "$sd"
ok "signatures put: both are new" "2"
oc --insecure-registry "$PLAIN" --registries.d "$sd" signatures put "$srepo:v1" "$tmp/sig-simple"
ok "signatures put: the same again adds nothing" "0"
check "signatures put: the lookaside file is where containers/image looks" \
    cmp -s "$tmp/sig-simple" \
    "$tmp/sigstaging/cli/sigs@sha256=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1)/signature-1"
oc --insecure-registry "$PLAIN" signatures "$srepo:v1" --registries.d "$sd"
ok "signatures: both listed" \
    "$(printf '1 simple-signing 7\n2 sigstore 2 application/vnd.dev.cosign.simplesigning.v1+json')"
oc --insecure-registry "$PLAIN" signatures "$srepo@$(sha "$tmp/manifest.json")" --registries.d "$sd" \
    --format json
ok "signatures --format json"
check "signatures --format json: both, as the registries.d put them" python3 -c '
import json, sys
sigs = json.load(open(sys.argv[1]))["signatures"]
assert [s["kind"] for s in sigs] == ["simple-signing", "sigstore"], sigs
assert sigs[0]["data"] == "owFoZWxsbw==" and sigs[0]["size"] == 7 and sigs[0]["mime_type"] is None, sigs[0]
assert sigs[1]["data"] == "e30=" and sigs[1]["size"] == 2, sigs[1]
assert sigs[1]["mime_type"] == "application/vnd.dev.cosign.simplesigning.v1+json", sigs[1]
assert sigs[1]["annotations"] == {"dev.cosignproject.cosign/signature": "MEUC"}, sigs[1]
' "$out"
oc --insecure-registry "$PLAIN" signatures put "$srepo:v1" "$tmp/sig-simple" --registries.d "$sd" \
    --format json
ok "signatures put --format json"
check "signatures put --format json: nothing new" python3 -c '
import json, sys
assert json.load(open(sys.argv[1])) == {"added": 0}
' "$out"

printf '<html>nope</html>' >"$tmp/sig-html"
oc --insecure-registry "$PLAIN" signatures put "$srepo:v1" "$tmp/sig-html" --registries.d "$sd"
bad "signatures put: a blob in no signature format" PROTOCOL 13
printf 'default-docker:\n  lookaside: ftp://example.com/sigs\n' >"$tmp/registries-ftp.yaml"
mkdir -p "$tmp/registries-ftp.d" && mv "$tmp/registries-ftp.yaml" "$tmp/registries-ftp.d/f.yaml"
oc --insecure-registry "$PLAIN" signatures "$srepo:v1" --registries.d "$tmp/registries-ftp.d"
bad "signatures: an ftp:// lookaside" UNSUPPORTED 10
mkdir -p "$tmp/registries-bad.d"
printf 'docker:\n  x:\n    lookaside: [oops\n' >"$tmp/registries-bad.d/broken.yaml"
oc --insecure-registry "$PLAIN" signatures "$srepo:v1" --registries.d "$tmp/registries-bad.d"
bad "signatures: malformed registries.d" INVALID_ARGUMENT 3
check "signatures: ... the error names the file and line" grep -q 'broken.yaml.*line 3' "$err"
oc --insecure-registry "$PLAIN" signatures put "$srepo:v1"; usage "signatures put without files"
oc --registries.d "$sd" tags "$srepo"; usage "--registries.d only with signatures"

# copy --signatures carries them to another repository (the one
# registries.d: the copy's lookaside signature and .sig layer arrive).
oc --insecure-registry "$PLAIN" copy "$srepo:v1" "$PLAIN/cli/sigs-copy:v1" --signatures \
    --registries.d "$sd"
ok "copy --signatures"
oc --insecure-registry "$PLAIN" signatures "$PLAIN/cli/sigs-copy:v1" --registries.d "$sd"
cp "$out" "$tmp/sigs-copied"
oc --insecure-registry "$PLAIN" signatures "$srepo:v1" --registries.d "$sd"
check "copy --signatures: the copy has the source's signatures" cmp -s "$out" "$tmp/sigs-copied"
check "copy --signatures: ... the lookaside file is byte-equal" cmp -s \
    "$tmp/sigstaging/cli/sigs@$(sha "$tmp/manifest.json" | tr : =)/signature-1" \
    "$tmp/sigstaging/cli/sigs-copy@$(sha "$tmp/manifest.json" | tr : =)/signature-1"
oc --insecure-registry "$PLAIN" copy "$srepo:v1" "oci:$tmp/sigs-layout" --signatures \
    --registries.d "$sd"
bad "copy --signatures into a layout" INVALID_ARGUMENT 3
check "copy --signatures into a layout: nothing written" test ! -e "$tmp/sigs-layout"
oc --insecure-registry "$PLAIN" pull "$srepo:v1" "$tmp/sigs-layout" --signatures
usage "--signatures only with copy"
oc --insecure-registry "$PLAIN" copy "$srepo:v1" "$PLAIN/cli/sigs-copy:v2" --registries.d "$sd"
usage "copy --registries.d without --signatures"
