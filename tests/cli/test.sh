#!/usr/bin/env bash
# Tests of the command-line tool (build/bin/ocireg) against the three test
# registries. Run it through the harness, which starts them:
#
#   cargo run --quiet --example test_registry -- tests/cli/test.sh [OCIREG]
#
# (`make test-cli` does that.) OCIREG defaults to build/bin/ocireg.
# OCIREG_CLI_VALGRIND=0 skips the runs under valgrind.
# Prints one `ok N - what` / `not ok N - what` line per check and ends
# with `N passed, M failed`; exits 0 only when nothing failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
OCIREG=${1:-$root/build/bin/ocireg}

for v in OCIREG_TEST_PLAIN OCIREG_TEST_TLS OCIREG_TEST_TOKEN OCIREG_TEST_CA \
         OCIREG_TEST_USER OCIREG_TEST_PASS OCIREG_TEST_STALL OCIREG_TEST_REFERRERS; do
    if [ -z "${!v:-}" ]; then
        echo "test.sh: $v is not set; run me through the harness (tests/harness/test_registry.rs)" >&2
        exit 2
    fi
done
PLAIN=$OCIREG_TEST_PLAIN TLS=$OCIREG_TEST_TLS TOKEN=$OCIREG_TEST_TOKEN
CA=$OCIREG_TEST_CA RUSER=$OCIREG_TEST_USER RPASS=$OCIREG_TEST_PASS
STALL=$OCIREG_TEST_STALL

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# No stray credentials from the machine: the default auth-file search
# (REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG,
# ~/.docker, ~/.dockercfg) finds nothing, and `login -u` stores into
# $XDG_RUNTIME_DIR/containers/auth.json here, not under /run.
export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
unset REGISTRY_AUTH_FILE DOCKER_CONFIG XDG_CONFIG_HOME XDG_CACHE_HOME
STORED=$XDG_RUNTIME_DIR/containers/auth.json

# Run a private copy of the binary and its library (same bin/ + lib/
# layout, so the $ORIGIN/../lib rpath finds it): `make lib` rewrites
# build/lib/libocireg.so.* in place, which would SIGBUS a running test.
if [ -d "$(dirname "$OCIREG")/../lib" ]; then
    mkdir -p "$tmp/build/bin" "$tmp/build/lib"
    cp "$OCIREG" "$tmp/build/bin/ocireg"
    cp -P "$(dirname "$OCIREG")"/../lib/libocireg.so* "$tmp/build/lib/"
    OCIREG=$tmp/build/bin/ocireg
fi

start=$(date +%s)
passed=0
failed=0
out=$tmp/stdout
err=$tmp/stderr

pass() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
fail() {
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - $1${2:+ ($2)}"
    echo "#   exit $rc; stdout: $(head -c 300 "$out" | tr '\n' '|')"
    sed 's/^/#   stderr: /' "$err" | head -5
}

# oc ARGS...: runs ocireg; stdout in $out, stderr in $err, status in $rc.
# With stdin redirected by the caller as needed.
oc() { "$OCIREG" "$@" >"$out" 2>"$err"; rc=$?; }

# ok NAME [EXPECTED_STDOUT]: the last oc succeeded (and printed that).
ok() {
    if [ "$rc" -ne 0 ]; then fail "$1" "exit $rc"; return; fi
    if [ $# -ge 2 ] && [ "$(cat "$out")" != "$2" ]; then
        fail "$1" "expected stdout: $(printf %s "$2" | tr '\n' '|')"; return
    fi
    pass "$1"
}

# bad NAME STATUS_NAME EXIT: the last oc failed with that status and code.
bad() {
    if [ "$rc" -ne "$3" ]; then fail "$1" "exit $rc, wanted $3"; return; fi
    if ! head -1 "$err" | grep -q "^ocireg: $2: "; then
        fail "$1" "stderr does not start with 'ocireg: $2: '"; return
    fi
    if [ -s "$out" ]; then fail "$1" "printed on stdout"; return; fi
    pass "$1"
}

# usage NAME: the last oc was refused as a usage error (exit 2).
usage() {
    if [ "$rc" -ne 2 ]; then fail "$1" "exit $rc, wanted 2"; return; fi
    if ! head -1 "$err" | grep -q "^ocireg: "; then fail "$1" "no ocireg: line"; return; fi
    pass "$1"
}

# check NAME COMMAND...: COMMAND succeeds.
check() {
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "check failed: $*"; fi
}

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { wc -c <"$1" | tr -d ' '; }

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar
OCI_EMPTY=application/vnd.oci.empty.v1+json

# manifest_json CONFIG_FILE LAYER_FILE: an OCI image manifest.
manifest_json() {
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[{"mediaType":"%s","digest":"%s","size":%s}]}' \
        "$OCI_MANIFEST" "$OCI_CONFIG" "$(sha "$1")" "$(size "$1")" \
        "$OCI_LAYER" "$(sha "$2")" "$(size "$2")"
}

# config_json ARCH LAYER_FILE: an image config.
config_json() {
    printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' \
        "$1" "$(sha "$2")"
}

# Test data: a layer of a few MiB, configs, manifests.
head -c $((3 * 1024 * 1024 + 12345)) /dev/urandom >"$tmp/layer.bin"
config_json amd64 "$tmp/layer.bin" >"$tmp/config.json"
manifest_json "$tmp/config.json" "$tmp/layer.bin" >"$tmp/manifest.json"
config_json arm64 "$tmp/layer.bin" >"$tmp/config-arm64.json"
manifest_json "$tmp/config-arm64.json" "$tmp/layer.bin" >"$tmp/manifest-arm64.json"
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}' \
    "$OCI_INDEX" \
    "$OCI_MANIFEST" "$(sha "$tmp/manifest.json")" "$(size "$tmp/manifest.json")" \
    "$OCI_MANIFEST" "$(sha "$tmp/manifest-arm64.json")" "$(size "$tmp/manifest-arm64.json")" \
    >"$tmp/index.json"
printf '{}' >"$tmp/empty.json"
SIG_TYPE=application/vnd.example.signature.v1
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s","config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":2}],"subject":{"mediaType":"%s","digest":"%s","size":%s}}' \
    "$OCI_MANIFEST" "$SIG_TYPE" "$OCI_EMPTY" "$(sha "$tmp/empty.json")" \
    "$OCI_EMPTY" "$(sha "$tmp/empty.json")" \
    "$OCI_MANIFEST" "$(sha "$tmp/manifest.json")" "$(size "$tmp/manifest.json")" \
    >"$tmp/artifact.json"
# More referrers of the same image (annotations make them differ), and a
# cosign-style signature manifest (no subject: found by its tag).
for n in 2 3; do
    printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"%s","config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":2}],"subject":{"mediaType":"%s","digest":"%s","size":%s},"annotations":{"n":"%s"}}' \
        "$OCI_MANIFEST" "$SIG_TYPE" "$OCI_EMPTY" "$(sha "$tmp/empty.json")" \
        "$OCI_EMPTY" "$(sha "$tmp/empty.json")" \
        "$OCI_MANIFEST" "$(sha "$tmp/manifest.json")" "$(size "$tmp/manifest.json")" "$n" \
        >"$tmp/artifact$n.json"
done
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":2}]}' \
    "$OCI_MANIFEST" "$OCI_EMPTY" "$(sha "$tmp/empty.json")" \
    "$OCI_EMPTY" "$(sha "$tmp/empty.json")" >"$tmp/cosign-sig.json"

# ---- no registry needed ------------------------------------------------

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
oc version; ok "version prints the crate version" "$version"
oc --help; ok "--help exits 0"; check "--help shows the usage" grep -q '^usage: ocireg' "$out"
check "--help shows the whole-image commands" grep -q '^  pull REF DIR\[:NAME\]' "$out"
oc -h; ok "-h exits 0"
oc; usage "no command is a usage error"
oc frobnicate; usage "unknown command is a usage error"
oc tags; usage "missing argument is a usage error"
oc tags a b; usage "extra argument is a usage error"
oc --bogus version; usage "unknown option is a usage error"
oc -j zero version; usage "-j wants a number"
oc -j 0 version; usage "-j 0 is refused"
oc -j 257 version; usage "-j 257 (above the library's 256) is refused"
oc --ca-file; usage "option without its value is a usage error"
oc -u someone tags x/y; usage "-u without a password is a usage error"
oc -p secret tags x/y; usage "-p without -u is a usage error"
oc blob "$PLAIN/cli/app"; usage "blob without @DIGEST is a usage error"
oc --artifact-type x tags "$PLAIN/cli/app"; usage "--artifact-type only with referrers"
oc -u a --password-stdin push-blob "$PLAIN/x" - </dev/null
usage "--password-stdin with FILE - is a usage error"
oc tags 'Not A Reference!'; bad "a malformed reference" INVALID_REFERENCE 4
oc -u a -p b tags 'Not A Reference!'
bad "a malformed reference with -u (its registry is the library's)" INVALID_REFERENCE 4

# ref-parse: the parts of a reference as JSON, no registry contacted.
oc --help; check "--help shows ref-parse" grep -q '^  ref-parse REF' "$out"
oc ref-parse ubuntu
ok "ref-parse: Docker Hub's normalization, fields in order" '{
  "registry": "docker.io",
  "api_host": "registry-1.docker.io",
  "repository": "library/ubuntu",
  "tag": "latest",
  "digest": null,
  "canonical": "docker.io/library/ubuntu:latest",
  "familiar": "ubuntu:latest"
}'
refd=sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa
oc ref-parse "index.docker.io/user/app@$refd"; ok "ref-parse: a digest reference"
check "ref-parse: ... is JSON with no tag and the digest" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"registry": "docker.io", "api_host": "registry-1.docker.io",
             "repository": "user/app", "tag": None, "digest": sys.argv[2],
             "canonical": "docker.io/user/app@" + sys.argv[2],
             "familiar": "user/app@" + sys.argv[2]}, d' "$out" "$refd"
oc ref-parse 'localhost:5000/a/b:v1'; ok "ref-parse: another registry"
check "ref-parse: ... keeps the registry in the familiar form" grep -q '"familiar": "localhost:5000/a/b:v1"' "$out"
oc ref-parse 'Not A Reference!'; bad "ref-parse: a malformed reference" INVALID_REFERENCE 4
check "ref-parse: ... says why" grep -q 'invalid reference "Not A Reference!"' "$err"

# request: raw requests with the tool's credentials; the body on stdout.
oc --help; check "--help shows request" grep -q '^  request METHOD HOST PATH' "$out"
oc --insecure-registry "$PLAIN" request GET "$PLAIN" /v2/; ok "request: GET /v2/ on the plain registry" '{}'
head -c 200000 /dev/urandom >"$tmp/raw.bin"
oc --insecure-registry "$PLAIN" request -i POST "$PLAIN" /v2/cli/raw/blobs/uploads/
ok "request: POST starts an upload (-i: the head on stderr)"
check "request: ... status 202" grep -q '^HTTP 202$' "$err"
rawloc=$(sed -n 's/^location: //p' "$err" | sed -e 's#^[a-z]*://[^/]*##')
oc --insecure-registry "$PLAIN" request PUT "$PLAIN" "$rawloc&digest=$(sha "$tmp/raw.bin")" \
    -H 'Content-Type: application/octet-stream' --data-file "$tmp/raw.bin"
ok "request: PUT with --data-file and -H completes it"
oc --insecure-registry "$PLAIN" request GET "$PLAIN" "/v2/cli/raw/blobs/$(sha "$tmp/raw.bin")"
ok "request: GET the blob"
check "request: ... the bytes on stdout" cmp -s "$out" "$tmp/raw.bin"
oc --insecure-registry "$PLAIN" request GET "$PLAIN" /v2/cli/raw/manifests/nope
if [ "$rc" -eq 1 ] && grep -q '^ocireg: request: HTTP 404$' "$err" && grep -q MANIFEST_UNKNOWN "$out"; then
    pass "request: a 404 prints the error body and exits 1"
else fail "request: a 404 prints the error body and exits 1"; fi
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" request GET "$TLS" /v2/_catalog
ok "request: basic auth over TLS with -u"
check "request: ... the catalog JSON" grep -q '"repositories"' "$out"
oc --ca-file "$CA" request GET "$TLS" /v2/_catalog
if [ "$rc" -eq 1 ] && grep -q 'HTTP 401' "$err"; then pass "request: no credential, a 401"
else fail "request: no credential, a 401"; fi
oc --ca-file "$CA" -u "$RUSER" --password-stdin request GET "$TOKEN" /v2/_catalog \
    --scope 'registry:catalog:*' <<<"$RPASS"
ok "request: token auth with --scope"
oc --insecure-registry "$PLAIN" request GET "$PLAIN" /v2/../x; bad "request: a path leaving /v2 by .." INVALID_ARGUMENT 3
oc --insecure-registry "$PLAIN" request GET "$PLAIN" //evil.test/; bad "request: a path naming a host" INVALID_ARGUMENT 3
oc --insecure-registry "$PLAIN" request GET "$PLAIN" /v2/ -H 'Authorization: Bearer x'
bad "request: Authorization is the library's" INVALID_ARGUMENT 3
oc --insecure-registry "$PLAIN" request TRACE "$PLAIN" /v2/; bad "request: TRACE is refused" INVALID_ARGUMENT 3
oc --insecure-registry "$PLAIN" request GET "$PLAIN" /v2/ -H novalue; usage "request: -H without a colon"
oc --insecure-registry "$PLAIN" tags "$PLAIN/cli/raw" -H 'X: y'; usage "-H goes with request only"
oc request GET "$PLAIN"; usage "request wants METHOD HOST PATH"
oc ref-parse "x@sha256:abc"; bad "ref-parse: a malformed digest" INVALID_DIGEST 5
oc ref-parse; usage "ref-parse without REF is a usage error"
oc --format json blob "$PLAIN/cli/app@sha256:$(printf %064d 0)"; usage "--format json does not go with blob"
oc --format yaml platforms "$PLAIN/cli/app"; usage "--format wants text or json"
oc platforms; usage "platforms without REF is a usage error"

# ---- the whole job against one registry --------------------------------

# suite LABEL REGISTRY REPO OPTIONS...: every command against REPO of
# REGISTRY (a fresh one per run), with OPTIONS (transport and credentials)
# before the command.
suite() {
    local label=$1 reg=$2 repo=$2/$3; shift 3
    local opts=("$@")
    local mdigest cdigest ldigest adigest idigest

    oc "${opts[@]}" ping "$reg"; ok "$label: ping" "OK"
    oc "${opts[@]}" login "$reg"; ok "$label: login" "Login Succeeded"

    oc "${opts[@]}" push-blob "$repo" "$tmp/layer.bin"
    ok "$label: push-blob FILE prints the digest" "$(sha "$tmp/layer.bin")"
    ldigest=$(sha "$tmp/layer.bin")
    oc "${opts[@]}" push-blob "$repo" - <"$tmp/config.json"
    ok "$label: push-blob - reads stdin" "$(sha "$tmp/config.json")"
    cdigest=$(sha "$tmp/config.json")
    oc "${opts[@]}" put-manifest "$repo:v1" "$tmp/manifest.json"
    ok "$label: put-manifest prints the digest" "$(sha "$tmp/manifest.json")"
    mdigest=$(sha "$tmp/manifest.json")

    oc "${opts[@]}" tags "$repo"; ok "$label: tags lists v1" "v1"
    oc "${opts[@]}" tag "$repo:v1" latest; ok "$label: tag prints the digest" "$mdigest"
    oc "${opts[@]}" tags "$repo"
    ok "$label: tags lists both, one per line" "$(printf 'latest\nv1')"
    oc "${opts[@]}" digest "$repo:latest"; ok "$label: digest of the new tag" "$mdigest"

    oc "${opts[@]}" manifest "$repo:latest"; ok "$label: manifest"
    check "$label: manifest bytes are exactly what was pushed" cmp -s "$out" "$tmp/manifest.json"
    check "$label: manifest bytes hash to the digest" [ "$(sha "$out")" = "$mdigest" ]
    oc "${opts[@]}" manifest "$repo@$mdigest"; ok "$label: manifest by digest"
    check "$label: manifest by digest bytes" cmp -s "$out" "$tmp/manifest.json"

    oc "${opts[@]}" config "$repo:v1"; ok "$label: config"
    check "$label: config bytes are the pushed config" cmp -s "$out" "$tmp/config.json"

    oc "${opts[@]}" blob "$repo@$ldigest"; ok "$label: blob"
    check "$label: blob bytes equal the pushed file" cmp -s "$out" "$tmp/layer.bin"
    oc "${opts[@]}" --progress blob "$repo@$cdigest"; ok "$label: blob --progress"
    check "$label: blob --progress keeps stdout exact" cmp -s "$out" "$tmp/config.json"
    check "$label: blob --progress reports 100% on stderr" grep -q '(100%)' "$err"

    oc "${opts[@]}" catalog "$reg"; ok "$label: catalog"
    check "$label: catalog lists the repository" grep -qx "${repo#"$reg"/}" "$out"

    oc "${opts[@]}" manifest "$repo:no-such-tag"; bad "$label: unknown tag" NOT_FOUND 6
    oc "${opts[@]}" blob "$repo@sha256:$(printf '%064d' 0)"; bad "$label: unknown blob" NOT_FOUND 6

    # Referrers: an artifact whose subject is the image.
    oc "${opts[@]}" push-blob "$repo" "$tmp/empty.json"; ok "$label: push the empty config"
    oc "${opts[@]}" put-manifest "$repo@$(sha "$tmp/artifact.json")" "$tmp/artifact.json"
    ok "$label: put-manifest by digest" "$(sha "$tmp/artifact.json")"
    adigest=$(sha "$tmp/artifact.json")
    oc "${opts[@]}" referrers "$repo:v1"
    ok "$label: referrers lists the artifact" "$adigest $SIG_TYPE $(size "$tmp/artifact.json") fallback"
    oc "${opts[@]}" referrers "$repo@$mdigest" --artifact-type "$SIG_TYPE"
    ok "$label: referrers --artifact-type (matching)" "$adigest $SIG_TYPE $(size "$tmp/artifact.json") fallback"
    oc "${opts[@]}" referrers "$repo:v1" --artifact-type application/other; ok "$label: referrers --artifact-type (other)" ""

    # An index with two platforms; config picks by --platform.
    oc "${opts[@]}" push-blob "$repo" "$tmp/config-arm64.json"; ok "$label: push the arm64 config"
    oc "${opts[@]}" put-manifest "$repo@$(sha "$tmp/manifest-arm64.json")" "$tmp/manifest-arm64.json"
    ok "$label: put the arm64 manifest" "$(sha "$tmp/manifest-arm64.json")"
    oc "${opts[@]}" put-manifest "$repo:multi" - --media-type "$OCI_INDEX" <"$tmp/index.json"
    ok "$label: put-manifest - --media-type index" "$(sha "$tmp/index.json")"
    idigest=$(sha "$tmp/index.json")
    oc "${opts[@]}" config "$repo:multi" --platform linux/arm64
    ok "$label: config --platform linux/arm64 (after the command)"
    check "$label: ... is the arm64 config" cmp -s "$out" "$tmp/config-arm64.json"
    oc "${opts[@]}" --platform linux/amd64 config "$repo:multi"
    ok "$label: --platform linux/amd64 config (before the command)"
    check "$label: ... is the amd64 config" cmp -s "$out" "$tmp/config.json"
    oc "${opts[@]}" --platform linux/s390x config "$repo:multi"
    bad "$label: config for a platform the index lacks" NOT_FOUND 6
    oc "${opts[@]}" --platform linux config "$repo:multi"
    bad "$label: a malformed --platform" INVALID_ARGUMENT 3
    oc "${opts[@]}" manifest "$repo:multi"; ok "$label: manifest of the index"
    check "$label: ... is the pushed index" cmp -s "$out" "$tmp/index.json"
    oc "${opts[@]}" digest "$repo:multi"; ok "$label: digest of the index" "$idigest"

    # Platforms as data: one line per platform, or JSON.
    oc "${opts[@]}" platforms "$repo:multi"
    ok "$label: platforms of the index" "linux/amd64 $mdigest $(size "$tmp/manifest.json") $OCI_MANIFEST
linux/arm64/v8 $(sha "$tmp/manifest-arm64.json") $(size "$tmp/manifest-arm64.json") $OCI_MANIFEST"
    oc "${opts[@]}" platforms "$repo@$idigest" --format json; ok "$label: platforms --format json"
    check "$label: ... is the index's entries as JSON" python3 -c '
import json, sys
got = json.load(open(sys.argv[1]))
want = [{"os": "linux", "architecture": "amd64", "variant": None, "os.version": None,
         "os.features": [], "features": [], "digest": sys.argv[2], "size": int(sys.argv[3]),
         "mediaType": sys.argv[6]},
        {"os": "linux", "architecture": "arm64", "variant": "v8", "os.version": None,
         "os.features": [], "features": [], "digest": sys.argv[4], "size": int(sys.argv[5]),
         "mediaType": sys.argv[6]}]
sys.exit(got != want)' "$out" "$mdigest" "$(size "$tmp/manifest.json")" \
        "$(sha "$tmp/manifest-arm64.json")" "$(size "$tmp/manifest-arm64.json")" "$OCI_MANIFEST"
    oc "${opts[@]}" platforms "$repo:v1"
    ok "$label: platforms of a single image (from its config)" \
        "linux/amd64 $mdigest $(size "$tmp/manifest.json") $OCI_MANIFEST"
    oc "${opts[@]}" platforms "$repo:no-such-tag"; bad "$label: platforms of an unknown tag" NOT_FOUND 6
    oc "${opts[@]}" manifest "$repo:multi" --platform linux/arm64/v8
    ok "$label: manifest --platform linux/arm64/v8"
    check "$label: ... is the arm64 manifest" cmp -s "$out" "$tmp/manifest-arm64.json"
    oc "${opts[@]}" --platform linux/amd64 manifest "$repo:multi"
    check "$label: --platform linux/amd64 manifest is the amd64 manifest" cmp -s "$out" "$tmp/manifest.json"
    oc "${opts[@]}" manifest "$repo:multi" --platform linux/s390x
    bad "$label: manifest for a platform the index lacks" NOT_FOUND 6

    # --verbose: one line per HTTP request on stderr, credentials never;
    # without it, nothing on stderr.
    oc "${opts[@]}" --verbose digest "$repo:multi"; ok "$label: --verbose digest" "$idigest"
    check "$label: --verbose logs the HEAD with its status" \
        grep -Eq "^ocireg: debug: HEAD https?://$reg/v2/${repo#"$reg"/}/manifests/multi -> 200 in [0-9]+ ms \(retry 0\)$" "$err"
    check "$label: --verbose never logs the password" sh -c '! grep -qF -- "$1" "$2"' _ "$RPASS" "$err"
    check "$label: --verbose never logs a header or token" sh -c '! grep -Eq "Basic|Bearer|eyJ|uthorization" "$1"' _ "$err"
    oc "${opts[@]}" digest "$repo:multi"; ok "$label: without --verbose" "$idigest"
    check "$label: ... nothing on stderr" [ ! -s "$err" ]

    oc "${opts[@]}" -j 4 tags "$repo"; ok "$label: -j 4 is accepted"
    check "$label: tags lists every tag" grep -qx multi "$out"

    oc "${opts[@]}" delete "$repo:v1"; ok "$label: delete" ""
    oc "${opts[@]}" digest "$repo:latest"; bad "$label: delete removed every tag of the manifest" NOT_FOUND 6
    oc "${opts[@]}" manifest "$repo@$mdigest"; bad "$label: the deleted manifest is gone" NOT_FOUND 6
    oc "${opts[@]}" delete "$repo@$idigest"; ok "$label: delete by digest" ""
}

# ---- plain HTTP --------------------------------------------------------

suite plain "$PLAIN" cli/plain --insecure-registry "$PLAIN"
oc --insecure-registry="$PLAIN" -j2 ping "$PLAIN"; ok "plain: --opt=VALUE and -jN forms" "OK"
oc ping "$PLAIN"
check "plain: without --insecure-registry HTTPS fails" [ "$rc" -ne 0 ]
check "plain: ... with an ocireg: error line" grep -q '^ocireg: [A-Z_]*: ' "$err"

# ---- the referrer graph: fallback (2.8.2) and referrers API (ggcr) -----

# graph LABEL REGISTRY KIND: referrers show their kind; delete of a
# referrer leaves only live ones listed, and later pushes work.
graph() {
    local label=$1 reg=$2 kind=$3 repo=$2/cli/graph a1 a2 a3 sig hex
    local opts=(--insecure-registry "$reg")
    refline() { echo "$(sha "$1") $SIG_TYPE $(size "$1") $kind"; }
    for f in layer.bin config.json empty.json; do oc "${opts[@]}" push-blob "$repo" "$tmp/$f"; done
    oc "${opts[@]}" put-manifest "$repo:v1" "$tmp/manifest.json"; ok "$label: push the subject"
    for f in artifact.json artifact2.json; do
        oc "${opts[@]}" put-manifest "$repo@$(sha "$tmp/$f")" "$tmp/$f"
        ok "$label: push referrer $f" "$(sha "$tmp/$f")"
    done
    a1=$(refline "$tmp/artifact.json") a2=$(refline "$tmp/artifact2.json") a3=$(refline "$tmp/artifact3.json")
    oc "${opts[@]}" referrers "$repo:v1"; ok "$label: referrers"
    check "$label: ... both, with their kind" [ "$(sort "$out")" = "$(printf '%s\n%s' "$a1" "$a2" | sort)" ]
    oc "${opts[@]}" delete "$repo@$(sha "$tmp/artifact.json")"; ok "$label: delete a referrer"
    oc "${opts[@]}" referrers "$repo:v1"; ok "$label: referrers lists only the live one" "$a2"
    oc "${opts[@]}" put-manifest "$repo@$(sha "$tmp/artifact3.json")" "$tmp/artifact3.json"
    ok "$label: a push after the delete works" "$(sha "$tmp/artifact3.json")"
    oc "${opts[@]}" referrers "$repo:v1"; ok "$label: referrers after the push"
    check "$label: ... the two live ones" [ "$(sort "$out")" = "$(printf '%s\n%s' "$a2" "$a3" | sort)" ]
    hex=$(sha "$tmp/manifest.json"); hex=${hex#sha256:}
    oc "${opts[@]}" put-manifest "$repo:sha256-$hex.sig" "$tmp/cosign-sig.json"; ok "$label: a cosign .sig tag"
    sig="$(sha "$tmp/cosign-sig.json") $OCI_EMPTY $(size "$tmp/cosign-sig.json") cosign-signature"
    oc "${opts[@]}" referrers "$repo:v1"; ok "$label: referrers with the cosign tag"
    check "$label: ... listed as cosign-signature" grep -qxF "$sig" "$out"
    check "$label: ... after the referrers" [ "$(wc -l <"$out")" -eq 3 ]
}
graph fallback "$PLAIN" fallback
graph referrers-api "$OCIREG_TEST_REFERRERS" referrers-api

# graph_copy LABEL SRC DST KIND: the graph `graph` left on SRC (two
# referrers and a cosign .sig tag) copied to DST with --referrers (KIND:
# how DST lists referrers), only the referrers of one type, none without
# the option, through an OCI layout (pull and push --referrers) and an
# oci-archive (copy --referrers both ways); a docker-archive refuses them.
graph_copy() {
    local label=$1 src=$2/cli/graph dst=$3/cli/graph-copy kind=$4 a2 a3 sig all
    local opts=(--insecure-registry "$2" --insecure-registry "$3")
    a2="$(sha "$tmp/artifact2.json") $SIG_TYPE $(size "$tmp/artifact2.json") $kind"
    a3="$(sha "$tmp/artifact3.json") $SIG_TYPE $(size "$tmp/artifact3.json") $kind"
    sig="$(sha "$tmp/cosign-sig.json") $OCI_EMPTY $(size "$tmp/cosign-sig.json") cosign-signature"
    all=$(printf '%s\n%s\n%s' "$a2" "$a3" "$sig" | sort)
    oc "${opts[@]}" copy "$src:v1" "$dst-all:v1" --referrers
    ok "$label: copy --referrers" "$(sha "$tmp/manifest.json")"
    oc "${opts[@]}" referrers "$dst-all:v1"; ok "$label: referrers of the copy"
    check "$label: ... both referrers and the cosign signature" [ "$(sort "$out")" = "$all" ]
    oc "${opts[@]}" copy "$src:v1" "$dst-typed:v1" --referrers-type "$SIG_TYPE"
    ok "$label: copy --referrers-type" "$(sha "$tmp/manifest.json")"
    oc "${opts[@]}" referrers "$dst-typed:v1"; ok "$label: referrers of the filtered copy"
    check "$label: ... only those of the type" [ "$(sort "$out")" = "$(printf '%s\n%s' "$a2" "$a3" | sort)" ]
    oc "${opts[@]}" copy "$src:v1" "$dst-none:v1"; ok "$label: copy without --referrers"
    oc "${opts[@]}" referrers "$dst-none:v1"; ok "$label: ... carries none" ""
    oc "${opts[@]}" pull "$src:v1" "$tmp/graph-$label:v1" --referrers; ok "$label: pull --referrers"
    check "$label: ... the layout names the cosign tag" \
        grep -q "\"sha256-$(sha "$tmp/manifest.json" | cut -d: -f2).sig\"" "$tmp/graph-$label/index.json"
    oc "${opts[@]}" push "$tmp/graph-$label:v1" "$dst-pushed:v1" --referrers; ok "$label: push --referrers"
    oc "${opts[@]}" referrers "$dst-pushed:v1"; ok "$label: referrers of the pushed image"
    check "$label: ... both referrers and the cosign signature" [ "$(sort "$out")" = "$all" ]
    oc "${opts[@]}" copy "$src:v1" "oci-archive:$tmp/graph-$label.tar:v1" --referrers
    ok "$label: copy --referrers into an oci-archive" "$(sha "$tmp/manifest.json")"
    oc "${opts[@]}" copy "oci-archive:$tmp/graph-$label.tar:v1" "$dst-archived:v1" --referrers
    ok "$label: copy --referrers out of the oci-archive" "$(sha "$tmp/manifest.json")"
    oc "${opts[@]}" referrers "$dst-archived:v1"; ok "$label: referrers after registry, oci-archive, registry"
    check "$label: ... both referrers and the cosign signature" [ "$(sort "$out")" = "$all" ]
    oc "${opts[@]}" copy "$src:v1" "docker-archive:$tmp/graph-$label-saved.tar" --referrers
    bad "$label: copy --referrers into a docker-archive" INVALID_ARGUMENT 3
    check "$label: ... nothing written" test ! -e "$tmp/graph-$label-saved.tar"
}
graph_copy to-referrers-api "$PLAIN" "$OCIREG_TEST_REFERRERS" referrers-api
graph_copy to-fallback "$OCIREG_TEST_REFERRERS" "$PLAIN" fallback
oc --referrers tags "$PLAIN/cli/graph"; usage "--referrers only with pull, push and copy"
oc --referrers-type x tags "$PLAIN/cli/graph"; usage "--referrers-type only with pull, push and copy"
oc copy "$PLAIN/cli/graph:v1" "$PLAIN/cli/x:v1" --referrers-type; usage "--referrers-type wants a value"

# ---- HTTPS with basic auth, and with token auth ------------------------

config_auth() {
    local auth
    auth=$(printf '%s:%s' "$RUSER" "$RPASS" | base64 | tr -d '\n')
    printf '{"auths":{"%s":{"auth":"%s"},"https://%s/":{"auth":"%s"}}}\n' \
        "$TLS" "$auth" "$TOKEN" "$auth"
}
mkdir -p "$tmp/docker"
config_auth >"$tmp/docker/config.json"

for kind in tls token; do
    if [ $kind = tls ]; then reg=$TLS; else reg=$TOKEN; fi
    repo=$reg/cli/app
    suite "$kind -u/-p" "$reg" cli/userpass --ca-file "$CA" -u "$RUSER" -p "$RPASS"

    oc --ca-file "$CA" -u "$RUSER" --password-stdin login "$reg" <<<"$RPASS"
    ok "$kind: login --password-stdin" "Login Succeeded"
    oc --ca-file "$CA" -u "$RUSER" --password-stdin push-blob "$repo" "$tmp/empty.json" <<<"$RPASS"
    ok "$kind: push-blob with --password-stdin" "$(sha "$tmp/empty.json")"
    oc --ca-file "$CA" --auth-file "$tmp/docker/config.json" login "$reg"
    ok "$kind: login with --auth-file" "Login Succeeded"
    suite "$kind --auth-file" "$reg" cli/authfile --ca-file "$CA" --auth-file "$tmp/docker/config.json"

    oc --ca-file "$CA" -u "$RUSER" -p wrong-password tags "$repo"
    bad "$kind: wrong password" UNAUTHORIZED 7
    oc --ca-file "$CA" -u "$RUSER" -p wrong-password login "$reg"
    bad "$kind: login with a wrong password" UNAUTHORIZED 7
    # login -u stored the credential (containers' auth.json); logout erases it.
    oc --ca-file "$CA" login "$reg"; ok "$kind: the stored login is used" "Login Succeeded"
    oc logout "$reg"; ok "$kind: logout" "Removed login credentials for $reg in $STORED"
    oc --ca-file "$CA" tags "$repo"
    bad "$kind: no credentials" UNAUTHORIZED 7
    oc -u "$RUSER" -p "$RPASS" tags "$repo"
    bad "$kind: without --ca-file the certificate is refused" TLS 15
    # The credentials belong to the command's registry only.
    oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" tags "$PLAIN/other/repo"
    check "$kind: -u/-p go to the command's registry" [ "$rc" -ne 0 ]
done

# Credential helpers that misbehave, in a C host (SIGPIPE kills it by default).
mkdir -p "$tmp/helpers"
cat >"$tmp/helpers/docker-credential-leaky" <<'HELPER'
#!/bin/sh
read -r url
echo '{"ServerURL":"x","Username":"u","Secret":"HELPER-SECRET-STDOUT"}'
echo 'HELPER-SECRET-STDERR' >&2
exit 1
HELPER
printf '#!/bin/sh\nexit 1\n' >"$tmp/helpers/docker-credential-deaf"
chmod +x "$tmp/helpers"/docker-credential-*
for helper in leaky deaf; do
    printf '{"credsStore":"%s"}\n' "$helper" >"$tmp/helper-$helper.json"
done
PATH=$tmp/helpers:$PATH oc --ca-file "$CA" --auth-file "$tmp/helper-leaky.json" tags "$TLS/cli/app"
bad "a failing credential helper is an IO error" IO 17
check "... naming the helper" grep -q "docker-credential-leaky" "$err"
check "... and never showing what it printed" sh -c "! grep -q HELPER-SECRET '$err'"
PATH=$tmp/helpers:$PATH oc --ca-file "$CA" --auth-file "$tmp/helper-deaf.json" tags "$TLS/cli/app"
bad "a credential helper that does not read stdin: IO, no SIGPIPE" IO 17

# -p: the password is wiped from the arguments, which other users can read.
secret_pass=Pa55-in-argv-$$
"$OCIREG" --insecure-registry "$STALL" -u someone -p "$secret_pass" ping "$STALL" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 1 1200); do
    [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.05
done
tr '\0' ' ' <"/proc/$pid/cmdline" >"$tmp/cmdline"
kill -INT "$pid"; wait "$pid"; rc=$?
check "-p: the running process's arguments are read" grep -q -- "-u someone" "$tmp/cmdline"
check "-p: the password is not in /proc/PID/cmdline" sh -c "! grep -q -- '$secret_pass' '$tmp/cmdline'"
check "-p: the stalled command still ran (and was cancelled)" [ "$rc" -eq 19 ]
oc --ca-file "$CA" -u "$RUSER" --password-stdin login "$TLS" < <(printf '%s\n' "$RPASS")
ok "--password-stdin: login, the trailing newline stripped" "Login Succeeded"
oc --ca-file "$CA" login "$TLS"; ok "... and stored: login without -u checks it" "Login Succeeded"

# ---- login and logout that persist, side by side with skopeo ----------

SKA=(skopeo login --tls-verify=false)
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" login --authfile "$tmp/login/auth.json" "$TLS"
ok "login --authfile: stored" "Login Succeeded"
check "... mode 0600 in a new 0700 directory" \
    test "$(stat -c %a "$tmp/login/auth.json") $(stat -c %a "$tmp/login")" = "600 700"
check "... skopeo sees ocireg's login" \
    test "$(skopeo login --get-login --authfile "$tmp/login/auth.json" "$TLS" 2>&1)" = "$RUSER"
oc logout --authfile "$tmp/login/auth.json" "$TLS"
ok "logout --authfile" "Removed login credentials for $TLS in $tmp/login/auth.json"
check "... skopeo sees the logout" \
    sh -c "! skopeo login --get-login --authfile '$tmp/login/auth.json' '$TLS' >/dev/null 2>&1"
"${SKA[@]}" --authfile "$tmp/login/auth.json" -u "$RUSER" -p "$RPASS" "$TLS" >/dev/null 2>&1
oc --ca-file "$CA" --auth-file "$tmp/login/auth.json" login "$TLS"
ok "skopeo's login is read by ocireg" "Login Succeeded"
oc logout --authfile "$tmp/login/auth.json" "$TLS"
ok "ocireg's logout erases skopeo's login" "Removed login credentials for $TLS in $tmp/login/auth.json"
oc logout --authfile "$tmp/login/auth.json" "$TLS"
bad "logout when not logged in" NOT_FOUND 6
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" login --docker "$TLS"
ok "login --docker" "Login Succeeded"
check "... in ~/.docker/config.json" \
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]' \
    "$HOME/.docker/config.json" "$TLS"
oc logout --docker --all; ok "logout --docker --all" "Removed login credentials in $HOME/.docker/config.json"
printf '{ "auths": SECRETVALUE' >"$tmp/broken-auth.json"
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" login --authfile "$tmp/broken-auth.json" "$TLS"
bad "login into an auth file that is not JSON" INVALID_ARGUMENT 3
check "... naming the file" grep -q "$tmp/broken-auth.json" "$err"
check "... without its contents or the password" \
    sh -c "! grep -q -e SECRETVALUE -e '$RPASS' '$err'"
check "... and leaving it unchanged" test "$(cat "$tmp/broken-auth.json")" = '{ "auths": SECRETVALUE'
oc logout --authfile "$tmp/x.json" --docker "$TLS"
usage "--authfile and --docker exclude each other"

# A credential helper of the test's own: store/get/erase/list over a file.
cat >"$tmp/helpers/docker-credential-filestore" <<'HELPER'
#!/usr/bin/python3
import json, os, sys
db_path = os.path.join(os.path.dirname(__file__), "filestore.json")
db = json.load(open(db_path)) if os.path.exists(db_path) else {}
action, data = sys.argv[1], sys.stdin.read()
if action == "store":
    e = json.loads(data); db[e["ServerURL"]] = {"Username": e["Username"], "Secret": e["Secret"]}
elif action == "get":
    if data.strip() not in db:
        print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps({"ServerURL": data.strip(), **db[data.strip()]}))
elif action == "erase":
    if data.strip() not in db:
        print("credentials not found in native keychain"); sys.exit(1)
    del db[data.strip()]
elif action == "list":
    print(json.dumps({u: e["Username"] for u, e in db.items()}))
json.dump(db, open(db_path, "w"))
HELPER
chmod +x "$tmp/helpers/docker-credential-filestore"
echo '{"credsStore":"filestore"}' >"$tmp/helper-store.json"
PATH=$tmp/helpers:$PATH oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" login --authfile "$tmp/helper-store.json" "$TLS"
ok "login through credsStore" "Login Succeeded"
check "... the helper holds it" \
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[sys.argv[2]]["Username"] == sys.argv[3]' \
    "$tmp/helpers/filestore.json" "$TLS" "$RUSER"
check "... not the file" test "$(cat "$tmp/helper-store.json")" = '{"credsStore":"filestore"}'
PATH=$tmp/helpers:$PATH oc --ca-file "$CA" --auth-file "$tmp/helper-store.json" login "$TLS"
ok "... and the helper's credential is used" "Login Succeeded"
PATH=$tmp/helpers:$PATH oc logout --authfile "$tmp/helper-store.json" "$TLS"
ok "logout through credsStore" "Removed login credentials for $TLS in docker-credential-filestore (configured in $tmp/helper-store.json)"
check "... the helper erased it" \
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == {}' "$tmp/helpers/filestore.json"

# ---- search and rate limits ---------------------------------------------

for r in cli/limits cli/search-extra; do
    oc --insecure-registry "$PLAIN" push-blob "$PLAIN/$r" "$tmp/layer.bin"
    oc --insecure-registry "$PLAIN" push-blob "$PLAIN/$r" "$tmp/config.json"
done
oc --insecure-registry "$PLAIN" put-manifest "$PLAIN/cli/limits:v1" "$tmp/manifest.json"
ok "a manifest for the rate-limit check" "$(sha "$tmp/manifest.json")"
oc --insecure-registry "$PLAIN" catalog "$PLAIN"
want=$(grep -F cli/ "$out" | head -2 | sed 's/$/\t\t0\t\t/')
check "search: the catalog has at least two cli/ repositories" test "$(grep -cF cli/ "$out")" -ge 3
oc --insecure-registry "$PLAIN" search "$PLAIN" cli/ --limit 2
ok "search: distribution has no v1 search, the catalog is filtered, the limit kept" "$want"
oc --insecure-registry "$PLAIN" search "$PLAIN" no-such-name; ok "search: nothing found" ""
oc --insecure-registry "$PLAIN" search "$PLAIN" x --limit 0
usage "search --limit 0 is a usage error"
oc --insecure-registry "$PLAIN" ratelimit "$PLAIN/cli/limits:v1"
ok "ratelimit: distribution reports none" "$(printf 'limit: unknown\nremaining: unknown\nsource: unknown')"

# A scripted registry: Docker Hub's v1 search and rate-limit headers.
cat >"$tmp/hub.py" <<'HUB'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def do_GET(self):
        if self.path == "/v2/": return self.reply(200, b"{}")
        if self.path.startswith("/v1/search?q=busy%20box&n=2"):
            results = [{"name": "library/busybox", "description": "Busybox base image.",
                        "star_count": 3000, "is_official": True, "is_automated": False,
                        "is_trusted": False},
                       {"name": "u/busy\tbox", "description": "two\nlines", "star_count": 7,
                        "is_official": False, "is_automated": True, "is_trusted": False},
                       {"name": "u/third", "description": "", "star_count": 0}]
            body = json.dumps({"num_pages": 1, "num_results": 3, "page_size": 25, "page": 1,
                               "query": "busy box", "results": results}).encode()
            return self.reply(200, body, [("Content-Type", "application/json")])
        self.reply(404)
    def do_HEAD(self):
        limits = [("ratelimit-limit", "100;w=21600"), ("docker-ratelimit-source", "192.0.2.7")]
        if self.path.endswith("/manifests/limited"):
            return self.reply(429, b"", limits + [("ratelimit-remaining", "0;w=21600"),
                                                  ("Retry-After", "3600")])
        self.reply(200, b"{}", limits + [("ratelimit-remaining", "76;w=21600"),
            ("Docker-Content-Digest", "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
            ("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
HUB
coproc HUB { exec python3 "$tmp/hub.py"; }
read -r hub_port <&"${HUB[0]}"
HUB_HOST=127.0.0.1:$hub_port
oc --insecure-registry "$HUB_HOST" search "$HUB_HOST" "busy box" --limit 2
ok "search: v1 results, the limit kept though the registry ignores it" \
    "$(printf 'library/busybox\tBusybox base image.\t3000\t[OK]\t\nu/busy box\ttwo lines\t7\t\t[OK]')"
oc --insecure-registry "$HUB_HOST" ratelimit "$HUB_HOST/library/app:latest"
ok "ratelimit: Docker Hub's headers" \
    "$(printf 'limit: 100 (window 21600 s)\nremaining: 76 (window 21600 s)\nsource: 192.0.2.7')"
oc --insecure-registry "$HUB_HOST" ratelimit "$HUB_HOST/library/app:limited"
bad "ratelimit: a 429 is TOO_MANY_REQUESTS" TOO_MANY_REQUESTS 9
oc --insecure-registry "$HUB_HOST" digest "$HUB_HOST/library/app:latest"
ok "digest: from a HEAD" "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
kill "$HUB_PID" 2>/dev/null; wait "$HUB_PID" 2>/dev/null

# ---- whole images: pull, push, copy, inspect, save ---------------------

P=(--insecure-registry "$PLAIN")
irepo=$PLAIN/cli/img
SK=(skopeo --insecure-policy)
# json_field FIELD: FIELD of the JSON document on stdin (fails if it is not JSON).
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
raw_sha() { echo "sha256:$(sha256sum | cut -d' ' -f1)"; }
# quiet COMMAND...: COMMAND with its output discarded (for check).
quiet() { "$@" >/dev/null 2>&1; }

# A small real image: a layer that is the tar of a directory with one file,
# a config whose diff_id is the layer's digest, a manifest; an arm64 twin
# and a two-platform index over both.
img=$tmp/img
mkdir -p "$img/rootfs/etc"
echo "hello from ocireg" >"$img/rootfs/etc/ocireg-hello"
tar -C "$img/rootfs" -cf "$img/layer.tar" .
# image_config ARCH [VARIANT]
image_config() {
    printf '{"created":"2024-05-06T07:08:09Z","architecture":"%s",%s"os":"linux","config":{"Env":["PATH=/usr/bin:/bin"],"Labels":{"org.example.cli":"yes"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
        "$1" "${2:+\"variant\":\"$2\",}" "$(sha "$img/layer.tar")"
}
image_config amd64 >"$img/config-amd64.json"
image_config arm64 v8 >"$img/config-arm64.json"
for arch in amd64 arm64; do
    manifest_json "$img/config-$arch.json" "$img/layer.tar" >"$img/manifest-$arch.json"
done
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}' \
    "$OCI_INDEX" \
    "$OCI_MANIFEST" "$(sha "$img/manifest-amd64.json")" "$(size "$img/manifest-amd64.json")" \
    "$OCI_MANIFEST" "$(sha "$img/manifest-arm64.json")" "$(size "$img/manifest-arm64.json")" \
    >"$img/index.json"
amd=$(sha "$img/manifest-amd64.json") arm=$(sha "$img/manifest-arm64.json") idx=$(sha "$img/index.json")
for f in layer.tar config-amd64.json config-arm64.json; do
    oc "${P[@]}" push-blob "$irepo" "$img/$f"; ok "image: push-blob $f" "$(sha "$img/$f")"
done
oc "${P[@]}" put-manifest "$irepo:v1" "$img/manifest-amd64.json"; ok "image: put the amd64 manifest as v1" "$amd"
oc "${P[@]}" put-manifest "$irepo@$arm" "$img/manifest-arm64.json"; ok "image: put the arm64 manifest" "$arm"
oc "${P[@]}" put-manifest "$irepo:multi" "$img/index.json" --media-type "$OCI_INDEX"
ok "image: put the index as multi" "$idx"

# pull
lay=$tmp/layout
oc "${P[@]}" pull "$irepo:v1" "$lay:one"; ok "pull REF DIR:NAME prints the digest" "$amd"
check "pull: the layout has oci-layout and index.json" test -f "$lay/oci-layout" -a -f "$lay/index.json"
oc "${P[@]}" digest "$irepo:v1"
check "pull: skopeo inspect oci:DIR:NAME reports ocireg digest's digest" \
    [ "$("${SK[@]}" inspect "oci:$lay:one" 2>/dev/null | json_field Digest)" = "$(cat "$out")" ]
rm -rf "$tmp/bundle"
check "pull: umoci unpack --rootless unpacks it" \
    quiet umoci unpack --rootless --image "$lay:one" "$tmp/bundle"
check "pull: ... and the file is there" \
    grep -qx "hello from ocireg" "$tmp/bundle/rootfs/etc/ocireg-hello"
oc "${P[@]}" pull "$irepo:v1" "$lay"; ok "pull REF DIR (named after the tag)" "$amd"
check "pull: ... skopeo finds it as oci:DIR:v1" quiet "${SK[@]}" inspect "oci:$lay:v1" -f '{{.Digest}}'
oc "${P[@]}" pull "$irepo:v1" "$lay:one"; ok "pull: again into the same layout" "$amd"
oc "${P[@]}" pull --all "$irepo:multi" "$lay:multi"; ok "pull --all keeps the index digest" "$idx"
check "pull --all: skopeo inspect --raw oci: hashes to it" \
    [ "$("${SK[@]}" inspect --raw "oci:$lay:multi" | raw_sha)" = "$idx" ]
check "pull --all: both platforms' configs are in the layout" \
    test -f "$lay/blobs/sha256/$(sha "$img/config-amd64.json" | cut -d: -f2)" \
    -a -f "$lay/blobs/sha256/$(sha "$img/config-arm64.json" | cut -d: -f2)"
oc "${P[@]}" --platform linux/arm64 pull "$irepo:multi" "$lay:arm"; ok "pull --platform linux/arm64" "$arm"
check "pull --platform: skopeo sees arm64" \
    [ "$("${SK[@]}" inspect "oci:$lay:arm" | json_field Architecture)" = arm64 ]
oc "${P[@]}" --platform linux/amd64 pull "$irepo:multi" "$lay:amd"; ok "pull --platform linux/amd64" "$amd"
oc "${P[@]}" --progress pull "$irepo:v1" "$tmp/layout-progress:v1"
ok "pull --progress: stdout has only the digest" "$amd"
check "pull --progress: progress on stderr" grep -q '(100%)' "$err"
oc "${P[@]}" -j 1 pull --all "$irepo:multi" "$tmp/layout-j1:multi"; ok "pull -j 1 --all" "$idx"
oc "${P[@]}" pull "$irepo:nope" "$tmp/layout-nope"; bad "pull of an unknown tag" NOT_FOUND 6
oc "${P[@]}" --platform linux/s390x pull "$irepo:multi" "$tmp/layout-nope"
bad "pull --platform the index lacks" NOT_FOUND 6
oc "${P[@]}" --platform linux pull "$irepo:multi" "$tmp/layout-nope"
bad "pull with a malformed --platform" INVALID_ARGUMENT 3
oc "${P[@]}" pull "$irepo:v1" ":name"; usage "pull into an empty DIR is a usage error"
oc "${P[@]}" pull "$irepo:v1" "$lay:"; usage "pull DIR: with an empty NAME is a usage error"
oc "${P[@]}" --all --platform linux/amd64 pull "$irepo:multi" "$lay"; usage "--all with --platform is a usage error"
oc "${P[@]}" --all tags "$irepo"; usage "--all only with pull, push, copy"
oc "${P[@]}" --tags pull "$irepo:v1" "$lay"; usage "--tags only with inspect"
oc "${P[@]}" --mount-from x/y pull "$irepo:v1" "$lay"; usage "--mount-from only with push"
oc "${P[@]}" pull "$irepo:v1"; usage "pull without DIR is a usage error"

# Platform subsets (issue 13).
. "$here/platform_subset.sh"

# push: layouts written by skopeo
sk=$tmp/skopeo-layout
"${SK[@]}" copy -q --src-tls-verify=false "docker://$irepo:v1" "oci:$sk:v1" >/dev/null 2>&1
"${SK[@]}" copy -q --all --src-tls-verify=false "docker://$irepo:multi" "oci:$sk:multi" >/dev/null 2>&1
check "push: skopeo wrote the layout" quiet "${SK[@]}" inspect "oci:$sk:v1" -f '{{.Digest}}'
sk_one=$("${SK[@]}" inspect --raw "oci:$sk:v1" | raw_sha)
sk_all=$("${SK[@]}" inspect --raw "oci:$sk:multi" | raw_sha)
oc "${P[@]}" push "$sk:v1" "$PLAIN/cli/pushed:v1"; ok "push DIR:NAME REF prints the digest" "$sk_one"
check "push: skopeo inspect --raw docker:// hashes to it" \
    [ "$("${SK[@]}" inspect --tls-verify=false --raw "docker://$PLAIN/cli/pushed:v1" | raw_sha)" = "$sk_one" ]
check "push: skopeo inspect docker:// works" \
    quiet "${SK[@]}" inspect --tls-verify=false "docker://$PLAIN/cli/pushed:v1" -f '{{.Digest}}'
oc "${P[@]}" push --all "$sk:multi" "$PLAIN/cli/pushed:multi"; ok "push --all keeps the index digest" "$sk_all"
check "push --all: the registry serves the same index bytes" \
    [ "$("${SK[@]}" inspect --tls-verify=false --raw "docker://$PLAIN/cli/pushed:multi" | raw_sha)" = "$sk_all" ]
oc "${P[@]}" --progress push "$sk:v1" "$PLAIN/cli/pushed:again"; ok "push --progress: stdout has only the digest" "$sk_one"
check "push --progress: progress on stderr" [ -s "$err" ]
oc "${P[@]}" push "$sk:v1" "$PLAIN/cli/mounted:v1" --mount-from cli/img --mount-from cli/pushed
ok "push --mount-from (twice)" "$sk_one"
oc "${P[@]}" push "$lay:one" "$PLAIN/cli/pushed:ours"; ok "push of a layout ocireg pulled" "$amd"
oc "${P[@]}" push "$sk" "$PLAIN/cli/pushed:x"; bad "push DIR with several images and no NAME" INVALID_ARGUMENT 3
oc "${P[@]}" push "$sk:nope" "$PLAIN/cli/pushed:x"; check "push of an unknown NAME fails" [ "$rc" -ne 0 ]
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" push "$sk:v1" "$TOKEN/cli/pushed:v1"
ok "push: -u/-p go to REF's registry (token auth)" "$sk_one"

# The token cache file: by default ~/.cache/ocireg/tokens.json, which the
# token-auth push above filled; a second run takes its token from there
# (--verbose logs every HTTP request, the token server's included).
tc=$HOME/.cache/ocireg/tokens.json
check "token cache: the default file is 0600" [ "$(stat -c %a "$tc")" = 600 ]
check "token cache: its directory is 0700" [ "$(stat -c %a "$(dirname "$tc")")" = 700 ]
check "token cache: no password in it" [ -z "$(grep -F -- "$RPASS" "$tc")" ]
check "token cache: the push's scope is in it" grep -q 'repository:cli/pushed:pull,push' "$tc"
own=$tmp/own-cache/tokens.json
oc --verbose --token-cache "$own" --ca-file "$CA" -u "$RUSER" -p "$RPASS" digest "$TOKEN/cli/pushed:v1"
ok "token cache: digest with an empty cache file" "$sk_one"
check "token cache: the first run asks the token server" grep -q '/token' "$err"
oc --verbose --token-cache "$own" --ca-file "$CA" -u "$RUSER" -p "$RPASS" digest "$TOKEN/cli/pushed:v1"
ok "token cache: digest again, in a new process" "$sk_one"
check "token cache: the second run does not ask the token server" [ -z "$(grep /token "$err")" ]
check "--token-cache PATH: the file is 0600" [ "$(stat -c %a "$own")" = 600 ]
oc --verbose --no-token-cache --ca-file "$CA" -u "$RUSER" -p "$RPASS" digest "$TOKEN/cli/pushed:v1"
ok "--no-token-cache: digest" "$sk_one"
check "--no-token-cache: the token server is asked" grep -q '/token' "$err"
XDG_CACHE_HOME=$tmp/xdg oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" digest "$TOKEN/cli/pushed:v1"
ok "token cache: digest with XDG_CACHE_HOME" "$sk_one"
check "token cache: \$XDG_CACHE_HOME/ocireg/tokens.json is used" [ -s "$tmp/xdg/ocireg/tokens.json" ]
oc --token-cache "$tmp/x.json" --no-token-cache digest "$TOKEN/cli/pushed:v1"
usage "--token-cache and --no-token-cache exclude each other"

# copy
oc "${P[@]}" copy --all "$irepo:multi" "$PLAIN/cli/copy:multi"; ok "copy --all keeps the index digest" "$idx"
oc "${P[@]}" digest "$PLAIN/cli/copy:multi"; ok "copy --all: digest of the copy" "$idx"
# Within one registry the blobs are mounted (counted by the Rust tests);
# here: a second copy to another repository gives the same, and skopeo reads it.
oc "${P[@]}" copy --all "$PLAIN/cli/copy:multi" "$PLAIN/cli/copy2:multi"
ok "copy --all to a second repository" "$idx"
check "copy: skopeo inspect --raw of the second copy is the index" \
    [ "$("${SK[@]}" inspect --tls-verify=false --raw "docker://$PLAIN/cli/copy2:multi" | raw_sha)" = "$idx" ]
check "copy: skopeo inspect of the second copy works" \
    quiet "${SK[@]}" inspect --tls-verify=false --override-arch arm64 "docker://$PLAIN/cli/copy2:multi" -f '{{.Digest}}'
oc "${P[@]}" copy "$irepo:multi" "$PLAIN/cli/copy:one"; ok "copy without --all: the host platform's image" "$amd"
oc "${P[@]}" --platform linux/arm64 copy "$irepo:multi" "$PLAIN/cli/copy:arm"; ok "copy --platform" "$arm"
oc "${P[@]}" --progress copy "$irepo:v1" "$PLAIN/cli/copy:progress"; ok "copy --progress: stdout has only the digest" "$amd"
check "copy --progress: progress on stderr" [ -s "$err" ]
oc "${P[@]}" --ca-file "$CA" -u "$RUSER" -p "$RPASS" copy --all "$irepo:multi" "$TLS/cli/copied:multi"
ok "copy --all between registries (-u/-p for DST)" "$idx"
oc --ca-file "$CA" -u "$RUSER" -p "$RPASS" digest "$TLS/cli/copied:multi"; ok "copy: the other registry has it" "$idx"
oc "${P[@]}" copy "$irepo:nope" "$PLAIN/cli/copy:nope"; bad "copy of an unknown tag" NOT_FOUND 6

# copy between transports, with skopeo's names
oc "${P[@]}" copy "docker://$irepo:v1" "oci-archive:$tmp/img-oa.tar:v1"; ok "copy to an oci-archive" "$amd"
check "copy: skopeo reads our oci-archive, same digest" \
    [ "$("${SK[@]}" inspect --raw "oci-archive:$tmp/img-oa.tar:v1" | raw_sha)" = "$amd" ]
"${SK[@]}" copy -q --src-tls-verify=false "docker://$irepo:v1" "oci-archive:$tmp/sk-oa.tar:v1" >/dev/null 2>&1
# (skopeo gzips the uncompressed layer on the way: its archive has its own digest)
sk_oa=$("${SK[@]}" inspect --raw "oci-archive:$tmp/sk-oa.tar:v1" | raw_sha)
oc "${P[@]}" copy "oci-archive:$tmp/sk-oa.tar:v1" "$PLAIN/cli/from-oa:v1"; ok "copy from skopeo's oci-archive keeps its digest" "$sk_oa"
"${SK[@]}" copy -q --src-tls-verify=false "docker://$irepo:v1" "docker-archive:$tmp/sk-da.tar:example.com/cli:v1" >/dev/null 2>&1
"${SK[@]}" copy -q "docker-archive:$tmp/sk-da.tar" "dir:$tmp/sk-da-dir" >/dev/null 2>&1
generated=$(raw_sha <"$tmp/sk-da-dir/manifest.json")
# Into a registry the layers are gzipped as skopeo gzips them (skopeo itself
# would mount the plain blobs its cache saw in $irepo; tests/transports.rs
# compares with skopeo where it compresses): a new digest, stable.
oc "${P[@]}" copy "docker-archive:$tmp/sk-da.tar:example.com/cli:v1" "$PLAIN/cli/from-da:v1"
ok "copy from skopeo's docker-archive to a registry"
from_da=$(cat "$out")
check "copy docker-archive to a registry: a digest" [ -n "$from_da" ]
check "copy docker-archive to a registry: layers gzipped, not the generated manifest" [ "$from_da" != "$generated" ]
oc "${P[@]}" copy "docker-archive:$tmp/sk-da.tar:example.com/cli:v1" "$PLAIN/cli/from-da-again:v1"
ok "copy docker-archive to a registry again: the same digest" "$from_da"
check "copy docker-archive to a registry: skopeo reads it, same digest" \
    [ "$("${SK[@]}" inspect --raw --tls-verify=false "docker://$PLAIN/cli/from-da:v1" | raw_sha)" = "$from_da" ]
oc "${P[@]}" copy "docker-archive:$tmp/sk-da.tar:@0" "dir:$tmp/our-da-dir"; ok "copy docker-archive:@0 to dir:" "$generated"
check "copy to dir: the same files as skopeo's" diff -r "$tmp/sk-da-dir" "$tmp/our-da-dir"
oc "${P[@]}" copy "$PLAIN/cli/from-da:v1" "docker-archive:$tmp/our-da.tar:example.com/again:v1"; ok "copy to a docker-archive" "$from_da"
check "copy: skopeo reads our docker-archive" \
    [ "$("${SK[@]}" inspect --raw --config "docker-archive:$tmp/our-da.tar" | raw_sha)" = "$(sha "$img/config-amd64.json")" ]
oc "${P[@]}" copy "docker-archive:$tmp/sk-da.tar:@1" "dir:$tmp/nothing"; bad "copy docker-archive:@N past the end" INVALID_ARGUMENT 3
check "copy: a failed copy creates nothing" [ ! -e "$tmp/nothing" ]
oc "${P[@]}" copy "oci-archive:$tmp/absent.tar" "dir:$tmp/nothing"; bad "copy from a missing archive" IO 17

# inspect
oc "${P[@]}" inspect "$irepo:v1"; ok "inspect"
check "inspect: the output is JSON with the digest" [ "$(json_field Digest <"$out")" = "$amd" ]
check "inspect: Architecture, Os, Layers" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["Architecture"] == "amd64" and d["Os"] == "linux", d
assert d["Layers"] == [sys.argv[2]], d["Layers"]
assert d["Labels"] == {"org.example.cli": "yes"}, d["Labels"]
assert "PATH=/usr/bin:/bin" in d["Env"], d["Env"]
' "$out" "$(sha "$img/layer.tar")"
oc "${P[@]}" inspect "$irepo:v1" --tags; ok "inspect --tags"
check "inspect --tags: RepoTags has v1 and multi" python3 -c '
import json, sys
tags = json.load(open(sys.argv[1]))["RepoTags"]
assert "v1" in tags and "multi" in tags, tags' "$out"
oc "${P[@]}" --platform linux/arm64 inspect "$irepo:multi"; ok "inspect --platform linux/arm64"
check "inspect --platform: Architecture arm64" [ "$(json_field Architecture <"$out")" = arm64 ]
oc "${P[@]}" inspect "$irepo:multi"; ok "inspect of an index"
cp "$out" "$tmp/inspect-index.json"
oc "${P[@]}" digest "$irepo:multi"
check "inspect of an index: Digest is ocireg digest's" \
    [ "$(json_field Digest <"$tmp/inspect-index.json")" = "$(cat "$out")" ]
oc "${P[@]}" inspect "$irepo:nope"; bad "inspect of an unknown tag" NOT_FOUND 6

# save
oc "${P[@]}" save "$irepo:v1" "$tmp/image.tar"; ok "save prints the digest" "$amd"
check "save: the tar has manifest.json" sh -c "tar -tf '$tmp/image.tar' | grep -qx manifest.json"
check "save: manifest.json lists the config and the layer; the tar has both, intact" python3 -c '
import json, subprocess, sys
tar = sys.argv[1]
names = subprocess.run(["tar", "-tf", tar], capture_output=True, text=True, check=True).stdout.split()
m = json.loads(subprocess.run(["tar", "-xOf", tar, "manifest.json"], capture_output=True, check=True).stdout)
assert len(m) == 1 and len(m[0]["Layers"]) == 1, m
for f in [m[0]["Config"]] + m[0]["Layers"]:
    assert f in names, (f, names)
def member(name):
    return subprocess.run(["tar", "-xOf", tar, name], capture_output=True, check=True).stdout
assert member(m[0]["Config"]) == open(sys.argv[2], "rb").read(), "config bytes"
assert member(m[0]["Layers"][0]) == open(sys.argv[3], "rb").read(), "layer bytes"
' "$tmp/image.tar" "$img/config-amd64.json" "$img/layer.tar"
check "save: skopeo inspect docker-archive: works" \
    quiet "${SK[@]}" inspect "docker-archive:$tmp/image.tar" -f '{{.Architecture}}'
oc "${P[@]}" --progress save "$irepo:multi" "$tmp/image-progress.tar"
ok "save --progress of an index (the host platform)" "$amd"
oc "${P[@]}" save "$irepo:nope" "$tmp/image-nope.tar"; bad "save of an unknown tag" NOT_FOUND 6
check "save: a failed save leaves no file" [ ! -e "$tmp/image-nope.tar" ]

# An interrupted pull: 8 layers of 2 MiB, served through a throttling
# forwarder (tests/cli/throttle.py) so that the pull takes seconds.
big=$tmp/big
mkdir -p "$big"
blayers="" bdiffs=""
for i in 1 2 3 4 5 6 7 8; do
    head -c $((2 * 1024 * 1024)) /dev/urandom >"$big/layer$i"
    "$OCIREG" "${P[@]}" push-blob "$PLAIN/cli/big" "$big/layer$i" >/dev/null
    blayers="$blayers${blayers:+,}{\"mediaType\":\"$OCI_LAYER\",\"digest\":\"$(sha "$big/layer$i")\",\"size\":$(size "$big/layer$i")}"
    bdiffs="$bdiffs${bdiffs:+,}\"$(sha "$big/layer$i")\""
done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$bdiffs" >"$big/config.json"
oc "${P[@]}" push-blob "$PLAIN/cli/big" "$big/config.json"; ok "big image: config" "$(sha "$big/config.json")"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
    "$OCI_MANIFEST" "$OCI_CONFIG" "$(sha "$big/config.json")" "$(size "$big/config.json")" "$blayers" \
    >"$big/manifest.json"
oc "${P[@]}" put-manifest "$PLAIN/cli/big:v1" "$big/manifest.json"; ok "big image: manifest" "$(sha "$big/manifest.json")"

python3 "$here/throttle.py" "$PLAIN" $((1024 * 1024)) >"$tmp/throttle.port" &
throttle=$!
for _ in $(seq 1 1200); do [ -s "$tmp/throttle.port" ] && break; sleep 0.05; done
SLOW=127.0.0.1:$(head -1 "$tmp/throttle.port")
: >"$out"; : >"$err"
"$OCIREG" --insecure-registry "$SLOW" -j 2 --progress pull "$SLOW/cli/big:v1" "$big/layout:big" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 1 1200); do grep -q '[0-9] [KM]iB / ' "$err" && break; sleep 0.05; done
check "interrupted pull: progress shows bytes before the interrupt" grep -q '[0-9] [KM]iB / ' "$err"
kill -INT "$pid"
for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
wait "$pid"; rc=$?
kill "$throttle" 2>/dev/null; wait "$throttle" 2>/dev/null
if [ "$rc" -eq 19 ] && grep -q '^ocireg: CANCELLED: ' "$err" && [ ! -s "$out" ]; then
    pass "interrupted pull: exit 19 and ocireg: CANCELLED:"
else
    fail "interrupted pull: exit 19 and ocireg: CANCELLED:" "exit $rc"
fi
check "interrupted pull: no .tmp-* files left in blobs/sha256" \
    [ -z "$(find "$big/layout/blobs/sha256" -name '.tmp-*' 2>/dev/null)" ]
check "interrupted pull: it stopped half-way (not every layer is there)" \
    [ "$(find "$big/layout/blobs/sha256" -type f | wc -l)" -lt 9 ]
oc "${P[@]}" pull "$PLAIN/cli/big:v1" "$big/layout:big"; ok "interrupted pull: pulling again succeeds" "$(sha "$big/manifest.json")"
check "interrupted pull: skopeo inspect oci: of the result" \
    [ "$("${SK[@]}" inspect "oci:$big/layout:big" | json_field Digest)" = "$(sha "$big/manifest.json")" ]
check "interrupted pull: every layer is there and intact" sh -c "
    for i in 1 2 3 4 5 6 7 8; do
        cmp -s '$big/layer'\$i '$big/layout/blobs/sha256/'\$(sha256sum '$big/layer'\$i | cut -d' ' -f1) || exit 1
    done"

# ---- SIGTERM and SIGKILL in the middle of pull, save and push -----------

# The same big image through a new throttling forwarder. SIGTERM cancels
# like Ctrl-C (temporaries removed); SIGKILL leaves temporaries that the
# next run removes while finishing the job.
python3 "$here/throttle.py" "$PLAIN" $((1024 * 1024)) >"$tmp/throttle2.port" &
throttle=$!
for _ in $(seq 1 1200); do [ -s "$tmp/throttle2.port" ] && break; sleep 0.05; done
SLOW=127.0.0.1:$(head -1 "$tmp/throttle2.port")
S=(--insecure-registry "$SLOW" -j 2 --progress)
# start_slow ARGS...: ocireg ARGS in the background ($pid), once its
# progress display shows bytes moving.
start_slow() {
    : >"$out"; : >"$err"
    "$OCIREG" "$@" >"$out" 2>"$err" &
    pid=$!
    for _ in $(seq 1 1200); do grep -q '[0-9] [KM]iB / ' "$err" && break; sleep 0.05; done
}
# stop_slow SIGNAL: sends SIGNAL to $pid, waits (60 s at most: a loaded
# machine is slow to wind down); $rc is its status.
stop_slow() {
    kill -"$1" "$pid"
    for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    wait "$pid" 2>/dev/null; rc=$?
}
temps() { find "$@" -name '.tmp-*' 2>/dev/null; }
# cancelled NAME: the stopped command exited 19 with ocireg: CANCELLED: (after
# its progress display) and printed nothing on stdout.
cancelled() {
    if [ "$rc" -eq 19 ] && grep -q '^ocireg: CANCELLED: ' "$err" && [ ! -s "$out" ]; then
        pass "$1"
    else
        fail "$1" "exit $rc"
    fi
}
layers_intact() {
    for i in 1 2 3 4 5 6 7 8; do
        cmp -s "$big/layer$i" "$1/blobs/sha256/$(sha256sum "$big/layer$i" | cut -d' ' -f1)" || return 1
    done
}

start_slow "${S[@]}" pull "$SLOW/cli/big:v1" "$big/term:big"
stop_slow TERM
cancelled "SIGTERM during a pull: exit 19 and ocireg: CANCELLED:"
check "SIGTERM during a pull: no .tmp-* file left" [ -z "$(temps "$big/term")" ]

start_slow "${S[@]}" pull "$SLOW/cli/big:v1" "$big/killed:big"
stop_slow KILL
check "SIGKILL during a pull: killed, temporaries left behind" \
    [ "$rc" -eq 137 -a -n "$(temps "$big/killed")" ]
oc "${P[@]}" pull "$PLAIN/cli/big:v1" "$big/killed:big"
ok "SIGKILL during a pull: pulling again succeeds" "$(sha "$big/manifest.json")"
check "SIGKILL during a pull: the next pull removed every temporary" [ -z "$(temps "$big/killed")" ]
check "SIGKILL during a pull: every layer intact" layers_intact "$big/killed"

# The same with --ranged always: each 2 MiB layer comes as two parallel
# ranges, kept in memory and written in order, so a SIGKILL leaves a plain
# prefix that the next pull continues; never a wrong byte.
start_slow "${S[@]}" --ranged always pull "$SLOW/cli/big:v1" "$big/ranged:big"
stop_slow KILL
check "SIGKILL during a ranged pull: killed" [ "$rc" -eq 137 ]
oc "${P[@]}" --ranged always pull "$PLAIN/cli/big:v1" "$big/ranged:big"
ok "SIGKILL during a ranged pull: pulling again succeeds" "$(sha "$big/manifest.json")"
ranged_done() { [ -z "$(temps "$big/ranged")" ] && layers_intact "$big/ranged"; }
check "SIGKILL during a ranged pull: no temporary, every layer intact" ranged_done
oc "${P[@]}" --ranged sometimes pull "$PLAIN/cli/big:v1" "$big/never"
bad "--ranged with an unknown mode" INVALID_ARGUMENT 3
check "--ranged with an unknown mode: no layout made" [ ! -e "$big/never" ]

# push --resume-dir: a push killed midway leaves its upload sessions
# recorded; the next push continues them and leaves no record.
start_slow "${S[@]}" push --resume-dir "$big/state" "$big/ranged:big" "$SLOW/cli/big-resumed:v1"
stop_slow KILL
check "SIGKILL during a push with --resume-dir: sessions recorded" \
    [ "$rc" -eq 137 -a -n "$(ls -A "$big/state" 2>/dev/null)" ]
# (Records are per registry: the rerun goes through the same forwarder.)
oc --insecure-registry "$SLOW" push --resume-dir "$big/state" "$big/ranged:big" "$SLOW/cli/big-resumed:v1"
ok "SIGKILL during a push with --resume-dir: pushing again succeeds" "$(sha "$big/manifest.json")"
check "push --resume-dir: no record left" [ -z "$(ls -A "$big/state")" ]
oc "${P[@]}" pull --resume-dir "$big/state" "$PLAIN/cli/big:v1" "$big/never"
usage "--resume-dir only goes with push and copy"

# copy --resume-dir: the same for a copy into a registry (the rerun reads
# the source again and sends the rest).
start_slow "${S[@]}" "${P[@]}" copy --resume-dir "$big/copy-state" "$PLAIN/cli/big:v1" \
    "$SLOW/cli/big-copied:v1"
stop_slow KILL
check "SIGKILL during a copy with --resume-dir: sessions recorded" \
    [ "$rc" -eq 137 -a -n "$(ls -A "$big/copy-state" 2>/dev/null)" ]
oc --insecure-registry "$SLOW" "${P[@]}" copy --resume-dir "$big/copy-state" \
    "$PLAIN/cli/big:v1" "$SLOW/cli/big-copied:v1"
ok "SIGKILL during a copy with --resume-dir: copying again succeeds" "$(sha "$big/manifest.json")"
check "copy --resume-dir: no record left" [ -z "$(ls -A "$big/copy-state")" ]

start_slow "${S[@]}" save "$SLOW/cli/big:v1" "$big/term.tar"
stop_slow TERM
cancelled "SIGTERM during a save: exit 19 and ocireg: CANCELLED:"
check "SIGTERM during a save: no archive, no temporary" \
    [ ! -e "$big/term.tar" -a -z "$(temps "$big" -maxdepth 1)" ]

start_slow "${S[@]}" save "$SLOW/cli/big:v1" "$big/killed.tar"
stop_slow KILL
check "SIGKILL during a save: no archive, a temporary left behind" \
    [ ! -e "$big/killed.tar" -a -n "$(temps "$big" -maxdepth 1)" ]
oc "${P[@]}" save "$PLAIN/cli/big:v1" "$big/killed.tar"
ok "SIGKILL during a save: saving again succeeds" "$(sha "$big/manifest.json")"
check "SIGKILL during a save: the next save removed the temporary" [ -z "$(temps "$big" -maxdepth 1)" ]

start_slow "${S[@]}" push "$big/killed:big" "$SLOW/cli/big-pushed:v1"
stop_slow KILL
check "SIGKILL during a push: killed" [ "$rc" -eq 137 ]
oc "${P[@]}" push "$big/killed:big" "$PLAIN/cli/big-pushed:v1"
ok "SIGKILL during a push: pushing again succeeds" "$(sha "$big/manifest.json")"
oc "${P[@]}" digest "$PLAIN/cli/big-pushed:v1"
ok "SIGKILL during a push: the registry has the image" "$(sha "$big/manifest.json")"
kill "$throttle" 2>/dev/null; wait "$throttle" 2>/dev/null

# ---- Ctrl-C ------------------------------------------------------------

# interrupt NAME COMMAND...: starts COMMAND (against the stalling server),
# sends SIGINT (or $SIGNAL) once it runs, and expects CANCELLED (within 60 s:
# a loaded machine is slow to wind down).
interrupt() {
    local name=$1 pid i; shift
    "$@" >"$out" 2>"$err" &
    pid=$!
    # SIGINT is blocked before any thread starts: wait for the threads.
    for i in $(seq 1 1200); do
        [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -ge 3 ] && break
        sleep 0.05
    done
    sleep 0.5
    kill -"${SIGNAL:-INT}" "$pid"
    for i in $(seq 1 1200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"; wait "$pid"; rc=$?
        fail "$name" "still running 60 s after SIG${SIGNAL:-INT}"
        return
    fi
    wait "$pid"; rc=$?
    bad "$name" CANCELLED 19
}
interrupt "Ctrl-C cancels a stalled ping" \
    "$OCIREG" --insecure-registry "$STALL" ping "$STALL"
interrupt "Ctrl-C cancels a stalled tags" \
    "$OCIREG" --insecure-registry "$STALL" tags "$STALL/cli/app"

interrupt "Ctrl-C cancels a stalled pull" \
    "$OCIREG" --insecure-registry "$STALL" pull "$STALL/cli/app:v1" "$tmp/layout-stalled"
interrupt "Ctrl-C cancels a stalled copy" \
    "$OCIREG" --insecure-registry "$STALL" copy "$STALL/cli/app:v1" "$STALL/cli/other:v1"
interrupt "Ctrl-C cancels a stalled inspect" \
    "$OCIREG" --insecure-registry "$STALL" inspect "$STALL/cli/app:v1"
interrupt "Ctrl-C cancels a stalled push" \
    "$OCIREG" --insecure-registry "$STALL" push "$tmp/layout:one" "$STALL/cli/app:v1"
interrupt "Ctrl-C cancels a stalled save" \
    "$OCIREG" --insecure-registry "$STALL" save "$STALL/cli/app:v1" "$tmp/stalled.tar"
SIGNAL=TERM interrupt "SIGTERM cancels a stalled pull" \
    "$OCIREG" --insecure-registry "$STALL" pull "$STALL/cli/app:v1" "$tmp/layout-stalled"
SIGNAL=TERM interrupt "SIGTERM cancels a stalled save" \
    "$OCIREG" --insecure-registry "$STALL" save "$STALL/cli/app:v1" "$tmp/stalled.tar"

# ---- valgrind ----------------------------------------------------------

if [ "${OCIREG_CLI_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
    vg=(valgrind -q --leak-check=full --error-exitcode=1 --suppressions="$here/valgrind.supp"
        --errors-for-leak-kinds=definite,indirect)
    repo=$PLAIN/cli/vg
    P=(--insecure-registry "$PLAIN")
    # vgok NAME ARGS...: ocireg ARGS under valgrind succeeds with no errors.
    vgrun() { "${vg[@]}" "$OCIREG" "$@" >"$out" 2>"$err"; rc=$?; }
    vgrun version; ok "valgrind: version" "$version"
    vgrun frobnicate; usage "valgrind: a usage error is clean"
    vgrun ref-parse "localhost:5000/a/b:v1@$refd"; ok "valgrind: ref-parse"
    vgrun ref-parse 'Not A Reference!'; bad "valgrind: ref-parse of a bad reference" INVALID_REFERENCE 4
    vgrun "${P[@]}" --progress push-blob "$repo" "$tmp/layer.bin"
    ok "valgrind: push-blob --progress" "$(sha "$tmp/layer.bin")"
    vgrun "${P[@]}" push-blob "$repo" - <"$tmp/config.json"; ok "valgrind: push-blob -" "$(sha "$tmp/config.json")"
    vgrun "${P[@]}" put-manifest "$repo:v1" "$tmp/manifest.json"
    ok "valgrind: put-manifest" "$(sha "$tmp/manifest.json")"
    vgrun "${P[@]}" tag "$repo:v1" latest; ok "valgrind: tag" "$(sha "$tmp/manifest.json")"
    vgrun "${P[@]}" tags "$repo"; ok "valgrind: tags" "$(printf 'latest\nv1')"
    vgrun "${P[@]}" --format json tags "$repo"; ok "valgrind: tags --format json"
    vgrun help pull; ok "valgrind: help pull"
    vgrun "${P[@]}" --format json --progress pull "$irepo:v1" "$tmp/layout-vg-json:v1"
    ok "valgrind: pull --format json --progress"
    vgrun "${P[@]}" catalog "$PLAIN"; ok "valgrind: catalog"
    vgrun "${P[@]}" digest "$repo:v1"; ok "valgrind: digest" "$(sha "$tmp/manifest.json")"
    vgrun "${P[@]}" manifest "$repo:v1"; ok "valgrind: manifest"
    vgrun "${P[@]}" config "$repo:v1"; ok "valgrind: config"
    vgrun "${P[@]}" --progress blob "$repo@$(sha "$tmp/layer.bin")"; ok "valgrind: blob --progress"
    check "valgrind: blob bytes" cmp -s "$out" "$tmp/layer.bin"
    vgrun "${P[@]}" referrers "$repo:v1"; ok "valgrind: referrers"
    vgrun "${P[@]}" manifest "$repo:nope"; bad "valgrind: a NOT_FOUND failure is clean" NOT_FOUND 6
    vgrun "${P[@]}" delete "$repo:v1"; ok "valgrind: delete"
    vgrun --ca-file "$CA" -u "$RUSER" --password-stdin push-blob "$TOKEN/cli/vg" "$tmp/config.json" <<<"$RPASS"
    ok "valgrind: token registry, push-blob with --password-stdin" "$(sha "$tmp/config.json")"
    vgrun --ca-file "$CA" --auth-file "$tmp/docker/config.json" blob "$TOKEN/cli/vg@$(sha "$tmp/config.json")"
    ok "valgrind: token registry, blob with --auth-file"
    check "valgrind: ... the blob bytes" cmp -s "$out" "$tmp/config.json"
    vgrun --ca-file "$CA" -u "$RUSER" -p wrong tags "$TLS/cli/app"
    bad "valgrind: an UNAUTHORIZED failure is clean" UNAUTHORIZED 7
    vgrun "${P[@]}" pull --all "$irepo:multi" "$tmp/layout-vg:multi"; ok "valgrind: pull --all" "$idx"
    vgrun "${P[@]}" --progress copy "$irepo:v1" "$PLAIN/cli/vg-copy:v1"; ok "valgrind: copy --progress" "$amd"
    interrupt "valgrind: Ctrl-C is clean" \
        "${vg[@]}" "$OCIREG" --insecure-registry "$STALL" ping "$STALL"
fi

# --format json everywhere, the client flags, a 429's rate limit (issue 15).
. "$here/json.sh"
# Manuals, and the progress display on a terminal (issue 15).
. "$here/help.sh"

# Untag and artifacts (issue 13).
. "$here/artifacts.sh"
# Indexes authored (issue 13).
. "$here/index.sh"

# registries.conf (issue 14).
. "$here/registries_conf.sh"
# certs.d and OAuth2 (issue 14).
. "$here/certs_oauth2.sh"
# Signatures (issue 12).
. "$here/signatures.sh"
# Short names and mutual TLS (issue 14).
. "$here/short_names.sh"
. "$here/mutual_tls.sh"
# inspect, manifest, tags on any transport, and layers (issue 13).
. "$here/image_source.sh"

echo "# $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
