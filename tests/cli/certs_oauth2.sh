# certs.d and the OAuth2 options (issue 14), sourced by tests/cli/test.sh:
# uses its oc/ok/bad/check helpers, $tmp, $HOME (a scratch directory, so
# the system certs.d search starts at $HOME/.config/containers/certs.d),
# $TLS and $TOKEN (HTTPS with the test CA $CA) and $RUSER/$RPASS.

certs_home=$HOME/.config/containers/certs.d
certdir=$tmp/certdir
mkdir -p "$certdir"
cp "$CA" "$certdir/ca.crt"

oc -u "$RUSER" --password-stdin tags "$TLS/cli/app" <<<"$RPASS"
bad "certs.d: without the CA, TLS fails" TLS 15
oc --cert-dir "$certdir" -u "$RUSER" --password-stdin ping "$TLS" <<<"$RPASS"
ok "certs.d: --cert-dir DIR holding the CA as ca.crt"

# The system search by default: ~/.config/containers/certs.d/HOST:PORT.
mkdir -p "$certs_home/$TLS"
cp "$CA" "$certs_home/$TLS/ca.crt"
oc -u "$RUSER" --password-stdin ping "$TLS" <<<"$RPASS"
ok "certs.d: the system directories per host, by default"
# --cert-dir replaces the search.
mkdir -p "$tmp/empty-certdir"
oc --cert-dir "$tmp/empty-certdir" -u "$RUSER" --password-stdin ping "$TLS" <<<"$RPASS"
bad "certs.d: --cert-dir replaces the system search" TLS 15

# A client certificate without its key: an error naming the file.
touch "$certs_home/$TLS/client.cert"
oc -u "$RUSER" --password-stdin ping "$TLS" <<<"$RPASS"
bad "certs.d: a .cert without its .key" TLS 15
check "certs.d: ... the message names the file" grep -q "client.cert" "$err"
rm -rf "$certs_home"
oc --cert-dir "$tmp/no-such-dir" ping "$TLS"
bad "certs.d: a missing --cert-dir" INVALID_ARGUMENT 3

# OAuth2: the password grant against the token registry, a client id.
oc --ca-file "$CA" --oauth2 --oauth2-client-id ocireg-cli-test -u "$RUSER" --password-stdin \
    push-blob "$TOKEN/cli/oauth2" "$tmp/config.json" <<<"$RPASS"
ok "oauth2: --oauth2 push-blob on the token registry" "$(sha "$tmp/config.json")"
oc --ca-file "$CA" --oauth2 --offline-token -u "$RUSER" --password-stdin \
    blob "$TOKEN/cli/oauth2@$(sha "$tmp/config.json")" <<<"$RPASS"
ok "oauth2: --offline-token blob"
check "oauth2: ... the blob bytes" cmp -s "$out" "$tmp/config.json"
oc --ca-file "$CA" --oauth2 -u "$RUSER" -p wrong tags "$TOKEN/cli/oauth2"
bad "oauth2: a wrong password is UNAUTHORIZED" UNAUTHORIZED 7
check "oauth2: ... and not shown" sh -c "! grep -q wrong '$err'"
oc --oauth2-client-id "" ping "$TLS"
bad "oauth2: an empty client id" INVALID_ARGUMENT 3
