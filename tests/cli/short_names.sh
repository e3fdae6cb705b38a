# Short names (issue 14), sourced by tests/cli/test.sh: uses its
# oc/ok/bad/check helpers, $tmp, $PLAIN and the test data. Two search
# registries: the plain 2.8.2 one ($PLAIN) lacks the image, the harness's
# distribution v3.1.2 ($OCIREG_TEST_DIST3) has it. The rules are
# containers/image's shortnames.Resolve (podman); skopeo's docker:// does
# not resolve short names (it goes to docker.io), and neither does ours.

if [ -z "${OCIREG_TEST_DIST3:-}" ]; then
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - OCIREG_TEST_DIST3 is not set: run me through the harness"
else
    SECOND=$OCIREG_TEST_DIST3
    srepo=cli/shortname
    oc --insecure-registry "$SECOND" push-blob "$SECOND/$srepo" "$tmp/layer.bin"; ok "short: setup layer"
    oc --insecure-registry "$SECOND" push-blob "$SECOND/$srepo" "$tmp/config.json"; ok "short: setup config"
    oc --insecure-registry "$SECOND" put-manifest "$SECOND/$srepo:v1" "$tmp/manifest.json"
    ok "short: setup the second registry's tag"
    entries="[[registry]]
location = \"$PLAIN\"
insecure = true
[[registry]]
location = \"$SECOND\"
insecure = true"
    cat >"$tmp/short.conf" <<CONF
unqualified-search-registries = ["$PLAIN", "$SECOND"]
short-name-mode = "permissive"
$entries
[aliases]
"cli/aliased" = "$SECOND/$srepo"
CONF
    S=(--registries-conf "$tmp/short.conf")
    want=$(sha "$tmp/manifest.json")

    oc "${S[@]}" --verbose digest "$srepo:v1"
    ok "short: search order, the first registry lacks it, the second serves" "$want"
    check "short: ... --verbose names the candidate chosen" \
        grep -q "short name \"*$srepo:v1\"*: resolved to $SECOND/$srepo:v1 (search-registries in $tmp/short.conf)" "$err"
    oc "${S[@]}" --format json resolve "$srepo:v1"
    ok "short: resolve --format json"
    check "short: ... the reference" test "$(json_field reference <"$out")" = "$SECOND/$srepo:v1"
    check "short: ... the rationale" test "$(json_field rationale <"$out")" = "search-registries"
    check "short: ... the skipped first candidate" \
        test "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["skipped"][0]["reference"])' <"$out")" = "$PLAIN/$srepo:v1"
    oc "${S[@]}" resolve "$srepo:v1"; ok "short: resolve prints the reference" "$SECOND/$srepo:v1"
    oc "${S[@]}" pull "$srepo:v1" "$tmp/short-layout"; ok "short: pull NAME" "$want"
    oc "${S[@]}" copy "$srepo:v1" "oci:$tmp/short-copy:v1"; ok "short: copy NAME (no transport)" "$want"

    oc "${S[@]}" digest "cli/aliased:v1"; ok "short: an alias" "$want"
    oc "${S[@]}" --format json resolve "cli/aliased:v1"
    check "short: ... its rationale" test "$(json_field rationale <"$out")" = "alias"
    oc "${S[@]}" tags cli/aliased; ok "short: an alias serves a listing (one candidate)"
    check "short: ... the tag" grep -qx "v1" "$out"

    oc "${S[@]}" push-blob "$srepo" "$tmp/config.json"
    bad "short: a write with two candidates is refused, not guessed" INVALID_REFERENCE 4
    oc "${S[@]}" digest "cli/nowhere:v1"
    bad "short: no candidate has it" NOT_FOUND 6
    check "short: ... every candidate's failure is listed" \
        grep -q "\[$PLAIN/cli/nowhere:v1: .*$SECOND/cli/nowhere:v1" "$err"

    sed 's/"permissive"/"enforcing"/' "$tmp/short.conf" >"$tmp/enforcing.conf"
    oc --registries-conf "$tmp/enforcing.conf" digest "$srepo:v1"
    bad "short: enforcing mode, two candidates: ambiguous without a prompt" INVALID_REFERENCE 4
    check "short: ... naming the file" grep -q "ambiguous.*$tmp/enforcing.conf" "$err"
    oc --registries-conf "$tmp/enforcing.conf" digest "cli/aliased:v1"
    ok "short: enforcing mode still takes the alias" "$want"

    cat >"$tmp/blocked-first.conf" <<CONF
unqualified-search-registries = ["$PLAIN", "$SECOND"]
[[registry]]
location = "$PLAIN"
blocked = true
[[registry]]
location = "$SECOND"
insecure = true
CONF
    oc --registries-conf "$tmp/blocked-first.conf" --format json resolve "$srepo:v1"
    ok "short: a blocked candidate is skipped"
    check "short: ... for the next" test "$(json_field reference <"$out")" = "$SECOND/$srepo:v1"
    check "short: ... saying why" grep -q "blocked in $tmp/blocked-first.conf" "$out"
    { cat "$tmp/blocked-first.conf"; printf '[aliases]\n"cli/to-blocked" = "%s/%s"\n' "$PLAIN" "$srepo"; } \
        >"$tmp/alias-blocked.conf"
    oc --registries-conf "$tmp/alias-blocked.conf" digest "cli/to-blocked:v1"
    bad "short: an alias to a blocked registry: the file is refused" INVALID_ARGUMENT 3
    check "short: ... naming the file and the alias" \
        grep -q "$tmp/alias-blocked.conf.*cli/to-blocked.*blocked" "$err"

    oc --no-registries-conf resolve busybox
    ok "short: --no-registries-conf keeps docker's rule" "docker.io/library/busybox:latest"
    # docker:// is docker's in copy, as in skopeo: both go to docker.io
    # (here into a dead proxy, so nothing leaves the machine).
    HTTPS_PROXY=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 \
        oc "${S[@]}" copy "docker://$srepo:v1" "oci:$tmp/short-docker:v1"
    check "short: copy docker://NAME does not resolve (docker.io)" \
        sh -c "[ $rc -ne 0 ] && grep -q 'registry-1.docker.io\|docker.io' '$err'"
    if command -v skopeo >/dev/null; then
        HTTPS_PROXY=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 \
            skopeo --registries-conf "$tmp/short.conf" inspect "docker://$srepo:v1" >"$out" 2>"$err"
        check "short: ... nor does skopeo's" grep -q "registry-1.docker.io" "$err"
    fi
fi
