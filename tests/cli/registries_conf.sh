# registries.conf (issue 14), sourced by tests/cli/test.sh: uses its
# oc/ok/bad/usage/check helpers, $tmp, $PLAIN and the test data. The
# harness's distribution v3.1.2 ($OCIREG_TEST_DIST3) is the mirror; the
# plain 2.8.2 registry is the primary, which lacks the mirrored tag.

if [ -z "${OCIREG_TEST_DIST3:-}" ]; then
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - OCIREG_TEST_DIST3 is not set: run me through the harness"
else
    MIRROR=$OCIREG_TEST_DIST3
    mrepo=$MIRROR/cli/regconf
    oc --insecure-registry "$MIRROR" push-blob "$mrepo" "$tmp/layer.bin"; ok "regconf: setup layer"
    oc --insecure-registry "$MIRROR" push-blob "$mrepo" "$tmp/config.json"; ok "regconf: setup config"
    oc --insecure-registry "$MIRROR" put-manifest "$mrepo:mirrored" "$tmp/manifest.json"
    ok "regconf: setup the mirror's tag"
    cat >"$tmp/registries.conf" <<CONF
[[registry]]
location = "$PLAIN"
insecure = true
[[registry.mirror]]
location = "$MIRROR"
insecure = true
CONF
    oc --registries-conf "$tmp/registries.conf" --verbose digest "$PLAIN/cli/regconf:mirrored"
    ok "regconf: --registries-conf: the mirror serves what the primary lacks" "$(sha "$tmp/manifest.json")"
    check "regconf: ... --verbose says which endpoint served" \
        grep -q "served by $mrepo:mirrored (mirror)" "$err"
    oc --registries-conf "$tmp/registries.conf" pull "$PLAIN/cli/regconf:mirrored" "$tmp/regconf-layout"
    ok "regconf: pull through the mirror" "$(sha "$tmp/manifest.json")"
    check "regconf: ... the layer came along" \
        test -f "$tmp/regconf-layout/blobs/sha256/$(sha "$tmp/layer.bin" | cut -d: -f2)"
    oc --insecure-registry "$PLAIN" --no-registries-conf digest "$PLAIN/cli/regconf:mirrored"
    bad "regconf: --no-registries-conf: the primary alone" NOT_FOUND 6
    CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf oc digest "$PLAIN/cli/regconf:mirrored"
    ok "regconf: the system configuration by default (\$CONTAINERS_REGISTRIES_CONF)" \
        "$(sha "$tmp/manifest.json")"
    CONTAINERS_REGISTRIES_CONF=$tmp/registries.conf oc --insecure-registry "$PLAIN" \
        --no-registries-conf digest "$PLAIN/cli/regconf:mirrored"
    bad "regconf: ... which --no-registries-conf ignores" NOT_FOUND 6
    oc --registries-conf "$tmp/registries.conf" --no-registries-conf digest "$PLAIN/cli/regconf:x"
    usage "regconf: --registries-conf and --no-registries-conf exclude each other"
fi

printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$PLAIN" >"$tmp/blocked.conf"
oc --registries-conf "$tmp/blocked.conf" --insecure-registry "$PLAIN" tags "$PLAIN/cli/app"
bad "regconf: a blocked registry is DENIED" DENIED 8
check "regconf: ... naming the file" grep -q "blocked in $tmp/blocked.conf" "$err"
printf '[[registry]\nlocation = "a.io"\n' >"$tmp/broken.conf"
oc --registries-conf "$tmp/broken.conf" tags "$PLAIN/cli/app"
bad "regconf: a malformed file is INVALID_ARGUMENT" INVALID_ARGUMENT 3
check "regconf: ... naming the file and the line" grep -q "$tmp/broken.conf: TOML error: line 1" "$err"
oc --registries-conf "$tmp/missing.conf" tags "$PLAIN/cli/app"
bad "regconf: a missing file is INVALID_ARGUMENT" INVALID_ARGUMENT 3
