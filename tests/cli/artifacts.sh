# Untag and artifacts (issue 13), sourced by tests/cli/test.sh: uses its
# oc/ok/bad/usage/check helpers, $tmp, $PLAIN and the test data. oras
# v1.3.6 (`make peers`) is the peer for artifacts; distribution 2.8.2
# ($PLAIN) refuses DELETE by tag.

# test.sh points HOME at a scratch directory; `go env GOPATH` defaults to
# the real home's go/.
ORAS=$(HOME=$(getent passwd "$(id -u)" | cut -d: -f6) go env GOPATH 2>/dev/null)/bin/oras
if [ ! -x "$ORAS" ]; then
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - oras is missing at $ORAS: run make peers"
fi

# ---- untag on distribution v3.1.2, which deletes tags ----
if [ -z "${OCIREG_TEST_DIST3:-}" ]; then
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - OCIREG_TEST_DIST3 is not set: run me through the harness"
else
    vrepo=$OCIREG_TEST_DIST3/cli/untag
    oc --insecure-registry "$OCIREG_TEST_DIST3" push-blob "$vrepo" "$tmp/layer.bin"; ok "untag v3: setup layer"
    oc --insecure-registry "$OCIREG_TEST_DIST3" push-blob "$vrepo" "$tmp/config.json"; ok "untag v3: setup config"
    oc --insecure-registry "$OCIREG_TEST_DIST3" put-manifest "$vrepo:a" "$tmp/manifest.json"; ok "untag v3: setup a"
    oc --insecure-registry "$OCIREG_TEST_DIST3" tag "$vrepo:a" b; ok "untag v3: setup b"
    oc --insecure-registry "$OCIREG_TEST_DIST3" untag "$vrepo:a"; ok "untag on distribution v3" ""
    check "untag v3: ... without the throwaway manifest" test ! -s "$err"
    oc --insecure-registry "$OCIREG_TEST_DIST3" tags "$vrepo"; ok "untag v3: ... only that tag went" "b"
    oc --insecure-registry "$OCIREG_TEST_DIST3" digest "$vrepo@$(sha "$tmp/manifest.json")"
    ok "untag v3: ... the manifest stays" "$(sha "$tmp/manifest.json")"
    oc --insecure-registry "$OCIREG_TEST_DIST3" untag "$vrepo:a"; bad "untag v3: an unknown tag" NOT_FOUND 6
fi

# ---- untag on distribution 2.8.2 ----
urepo=$PLAIN/cli/untag
oc --insecure-registry "$PLAIN" push-blob "$urepo" "$tmp/layer.bin"; ok "untag: setup layer"
oc --insecure-registry "$PLAIN" push-blob "$urepo" "$tmp/config.json"; ok "untag: setup config"
oc --insecure-registry "$PLAIN" put-manifest "$urepo:a" "$tmp/manifest.json"; ok "untag: setup a"
oc --insecure-registry "$PLAIN" tag "$urepo:a" b; ok "untag: setup b"
oc --insecure-registry "$PLAIN" untag "$urepo:a"
bad "untag: distribution 2.8.2 refuses DELETE by tag: UNSUPPORTED" UNSUPPORTED 10
check "untag: ... and says the registry does not delete tags" grep -q "does not delete tags" "$err"
oc --insecure-registry "$PLAIN" tags "$urepo"; ok "untag: ... listing the tags"
check "untag: ... and both tags stay" test "$(sort "$out" | tr '\n' ' ')" = "a b "
oc --insecure-registry "$PLAIN" untag --via-throwaway-manifest "$urepo:a"
ok "untag --via-throwaway-manifest on distribution 2.8.2" ""
check "untag: ... says it used the throwaway manifest" grep -q "throwaway manifest" "$err"
oc --insecure-registry "$PLAIN" tags "$urepo"; ok "untag: ... only that tag went" "b"
oc --insecure-registry "$PLAIN" digest "$urepo@$(sha "$tmp/manifest.json")"
ok "untag: ... the manifest stays" "$(sha "$tmp/manifest.json")"
oc --insecure-registry "$PLAIN" untag --via-throwaway-manifest "$urepo:a"
bad "untag: an unknown tag is NOT_FOUND" NOT_FOUND 6
oc --insecure-registry "$PLAIN" untag "$urepo@$(sha "$tmp/manifest.json")"
bad "untag: a digest is refused" INVALID_ARGUMENT 3
oc --overwrite untag "$urepo:b"; usage "untag: --overwrite does not go with untag"
oc --via-throwaway-manifest delete "$urepo:b"; usage "delete: --via-throwaway-manifest does not go with delete"
oc --help
check "help: delete says it removes every tag of the manifest" grep -q "every tag of" "$out"
check "help: untag is listed" grep -q "untag REF:TAG" "$out"

# ---- artifacts with oras ----
arepo=$PLAIN/cli/artifact
mkdir -p "$tmp/art-src" "$tmp/art-oras"
printf 'hello, artifact\n' >"$tmp/art-src/hello.txt"
cp "$tmp/layer.bin" "$tmp/art-src/layer.bin"
oc --insecure-registry "$PLAIN" artifact push "$arepo:ours" "$tmp/art-src/hello.txt" \
    "$tmp/art-src/layer.bin" --artifact-type application/x-cli-test --annotation k=v \
    --annotation org.opencontainers.image.created=2024-01-02T03:04:05Z
ok "artifact push prints the digest"
adigest=$(cat "$out")
(cd "$tmp/art-oras" && "$ORAS" pull --plain-http -o . "$arepo:ours" >/dev/null 2>&1)
check "artifact push: oras pulls hello.txt" cmp -s "$tmp/art-oras/hello.txt" "$tmp/art-src/hello.txt"
check "artifact push: oras pulls layer.bin" cmp -s "$tmp/art-oras/layer.bin" "$tmp/art-src/layer.bin"
(cd "$tmp/art-src" && "$ORAS" push --plain-http --artifact-type application/x-cli-test \
    --annotation k=v --annotation org.opencontainers.image.created=2024-01-02T03:04:05Z \
    "$arepo:theirs" hello.txt layer.bin >/dev/null 2>&1)
oc --insecure-registry "$PLAIN" digest "$arepo:theirs"
ok "artifact push: oras makes the same digest from the same files" "$adigest"
oc --insecure-registry "$PLAIN" artifact pull "$arepo:theirs" "$tmp/art-out"
ok "artifact pull of what oras pushed prints the names" "$(printf 'hello.txt\nlayer.bin')"
check "artifact pull: hello.txt" cmp -s "$tmp/art-out/hello.txt" "$tmp/art-src/hello.txt"
check "artifact pull: layer.bin" cmp -s "$tmp/art-out/layer.bin" "$tmp/art-src/layer.bin"
printf 'mine' >"$tmp/art-out/hello.txt"
oc --insecure-registry "$PLAIN" artifact pull "$arepo:theirs" "$tmp/art-out"
bad "artifact pull refuses to overwrite" INVALID_ARGUMENT 3
check "artifact pull: ... and the file is untouched" grep -qx mine "$tmp/art-out/hello.txt"
oc --insecure-registry "$PLAIN" artifact pull --overwrite "$arepo:theirs" "$tmp/art-out"
ok "artifact pull --overwrite" "$(printf 'hello.txt\nlayer.bin')"
check "artifact pull --overwrite: replaced" cmp -s "$tmp/art-out/hello.txt" "$tmp/art-src/hello.txt"
oc --insecure-registry "$PLAIN" artifact push "$arepo:sig" "$tmp/art-src/hello.txt" \
    --subject "$arepo:ours" --artifact-type application/x-cli-sig
ok "artifact push --subject"
sdigest=$(cat "$out")
oc --insecure-registry "$PLAIN" referrers "$arepo:ours"
check "artifact push --subject: a referrer of the subject" grep -q "^$sdigest application/x-cli-sig " "$out"

# A hostile title: refused, nothing written anywhere.
oc --insecure-registry "$PLAIN" push-blob "$arepo" "$tmp/empty.json"; ok "artifact: setup empty config"
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/x-evil","config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.title":"../escaped.txt"}}]}' \
    "$OCI_MANIFEST" "$OCI_EMPTY" "$(sha "$tmp/empty.json")" "$OCI_LAYER" \
    "$(sha "$tmp/art-src/hello.txt")" "$(size "$tmp/art-src/hello.txt")" >"$tmp/evil.json"
oc --insecure-registry "$PLAIN" put-manifest "$arepo:evil" "$tmp/evil.json"; ok "artifact: setup evil"
mkdir -p "$tmp/evil/out"
oc --insecure-registry "$PLAIN" artifact pull "$arepo:evil" "$tmp/evil/out"
bad "artifact pull refuses the title ../escaped.txt" INVALID_ARGUMENT 3
check "artifact pull: ... nothing written beside the directory" test "$(ls -A "$tmp/evil")" = out
check "artifact pull: ... nothing in the directory" test -z "$(ls -A "$tmp/evil/out")"

oc --insecure-registry "$PLAIN" artifact push "$arepo:none"; usage "artifact push needs a FILE"
oc --insecure-registry "$PLAIN" artifact fly "$arepo:x"; usage "artifact fly is not a command"
oc --insecure-registry "$PLAIN" artifact pull "$arepo:x" "$tmp/x" extra; usage "artifact pull takes REF DIR"
oc --annotation k=v tags "$arepo"; usage "--annotation goes with artifact push only"
oc --insecure-registry "$PLAIN" artifact push "$arepo:bad" "$tmp/art-src/hello.txt" --annotation novalue
usage "--annotation wants K=V"
