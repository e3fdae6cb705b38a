# Mutual TLS (issue 14), sourced by tests/cli/test.sh: uses its oc/ok/bad/
# check helpers, $tmp, $HOME (a scratch directory) and $CA. The harness's
# mutual-TLS registry ($OCIREG_TEST_MTLS) wants a client certificate signed
# by the test CA; the pair is given only in certs.d directories.

if [ -z "${OCIREG_TEST_MTLS:-}" ]; then
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - OCIREG_TEST_MTLS is not set: run me through the harness"
else
    MTLS=$OCIREG_TEST_MTLS
    pairdir=$tmp/mtls-pair
    caonly=$tmp/mtls-ca-only
    mkdir -p "$pairdir" "$caonly"
    cp "$CA" "$pairdir/ca.crt"
    cp "$CA" "$caonly/ca.crt"
    cp "$OCIREG_TEST_CLIENT_CERT" "$pairdir/client.cert"
    cp "$OCIREG_TEST_CLIENT_KEY" "$pairdir/client.key"

    oc --cert-dir "$pairdir" push-blob "$MTLS/cli/mtls" "$tmp/layer.bin"; ok "mtls: --cert-dir with the pair: push-blob"
    oc --cert-dir "$pairdir" push-blob "$MTLS/cli/mtls" "$tmp/config.json"; ok "mtls: ... push-blob config"
    oc --cert-dir "$pairdir" put-manifest "$MTLS/cli/mtls:v1" "$tmp/manifest.json"
    ok "mtls: ... put-manifest" "$(sha "$tmp/manifest.json")"
    oc --cert-dir "$pairdir" pull "$MTLS/cli/mtls:v1" "$tmp/mtls-layout"
    ok "mtls: ... pull" "$(sha "$tmp/manifest.json")"
    oc --cert-dir "$caonly" digest "$MTLS/cli/mtls:v1"
    check "mtls: the CA alone: the registry refuses, a TLS or network error" \
        sh -c "[ $rc -eq 15 ] || [ $rc -eq 14 ]"
    check "mtls: ... saying so on stderr" grep -q "^ocireg: \(TLS\|NETWORK\): " "$err"
    # The system search, per host: ~/.config/containers/certs.d/HOST:PORT.
    mkdir -p "$HOME/.config/containers/certs.d/$MTLS"
    cp "$pairdir"/* "$HOME/.config/containers/certs.d/$MTLS/"
    oc digest "$MTLS/cli/mtls:v1"; ok "mtls: the pair in ~/.config/containers/certs.d/HOST:PORT" "$(sha "$tmp/manifest.json")"
    rm -rf "$HOME/.config/containers/certs.d"
fi
