# --format json on every command that prints data, the client flags
# (--timeout, --retries, --max-list, ...) and the rate-limit line of a 429
# (issue 15). Sourced by tests/cli/test.sh after its whole-image tests:
# uses its oc/ok/bad/usage/check helpers, $tmp, $PLAIN, $STALL, $irepo
# (tags v1 and multi), $amd, $idx and the test data in $tmp.

P=(--insecure-registry "$PLAIN")
J=(--insecure-registry "$PLAIN" --format json)

# js NAME PYTHON ARGS...: the last oc succeeded, and its stdout is one JSON
# document for which PYTHON (with `d` the document, `a` sys.argv[1:])
# holds; the registry's truth comes in as ARGS.
js() {
    local name=$1 code=$2
    shift 2
    if [ "$rc" -ne 0 ]; then fail "$name" "exit $rc"; return; fi
    if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = sys.argv[3:]
lines = sys.argv[2].strip().split("\n")
exec("\n".join(lines[:-1]))
ok = eval(lines[-1])
if not ok:
    print("#   got: " + json.dumps(d)[:400])
sys.exit(0 if ok else 1)' "$out" "$code" "$@"; then
        pass "$name"
    else
        fail "$name" "the JSON does not hold: $code"
    fi
}
# api PATH: the registry's own answer (plain HTTP), for the truth.
api() { curl -sf "http://$PLAIN$1"; }
api_digest() {
    curl -sfI -H "Accept: $OCI_MANIFEST, $OCI_INDEX" "http://$PLAIN$1" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
jrepo=cli/img

text_version=$("$OCIREG" version)
oc "${J[@]}" version; js "json: version" 'd == {"version": a[0]} and a[0].count(".") == 2' "$text_version"
oc "${J[@]}" ping "$PLAIN"; js "json: ping" 'd == {"registry": a[0], "ok": True}' "$PLAIN"

api "/v2/$jrepo/tags/list" >"$tmp/tags.truth"
oc "${J[@]}" tags "$irepo"
js "json: tags are the registry's, in its shape" \
    'd["name"] == a[0] and sorted(d["tags"]) == sorted(json.load(open(a[1]))["tags"]) and len(d["tags"]) >= 2' \
    "$irepo" "$tmp/tags.truth"
api "/v2/_catalog?n=1000" >"$tmp/catalog.truth"
oc "${J[@]}" catalog "$PLAIN"
js "json: catalog is the registry's" \
    'sorted(d["repositories"]) == sorted(json.load(open(a[0]))["repositories"]) and list(d) == ["repositories"]' \
    "$tmp/catalog.truth"
oc "${J[@]}" digest "$irepo:multi"
js "json: digest is the registry's Docker-Content-Digest" 'd == {"digest": a[0]}' "$(api_digest "/v2/$jrepo/manifests/multi")"
curl -sf -H "Accept: $OCI_MANIFEST" "http://$PLAIN/v2/$jrepo/manifests/v1" >"$tmp/manifest.truth"
oc "${J[@]}" manifest "$irepo:v1"
js "json: manifest: digest, media type, size, and the bytes exactly" '
import hashlib
c = d["content"].encode()
c == open(a[0], "rb").read() and d["size"] == len(c) and d["digest"] == a[1] == "sha256:" + hashlib.sha256(c).hexdigest() and d["media_type"] == a[2]' \
    "$tmp/manifest.truth" "$amd" "$OCI_MANIFEST"
oc "${J[@]}" config "$irepo:v1"
js "json: config: the config blob named by the manifest" '
m = json.load(open(a[0]))["config"]
d["digest"] == m["digest"] and d["size"] == m["size"] and json.loads(d["content"])["architecture"] == "amd64"' \
    "$tmp/manifest.truth"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$tmp/manifest.truth")
lsize=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["size"])' "$tmp/manifest.truth")
oc "${J[@]}" blob-stat "$irepo@$layer"; js "json: blob-stat" 'd == {"digest": a[0], "size": int(a[1])}' "$layer" "$lsize"
oc "${P[@]}" blob-stat "$irepo@$layer"; ok "blob-stat: DIGEST SIZE" "$layer $lsize"
oc "${P[@]}" blob-stat "$irepo@sha256:$(printf %064d 0)"; bad "blob-stat of a missing blob" NOT_FOUND 6
oc "${P[@]}" blob-stat "$irepo"; usage "blob-stat wants REPO@DIGEST"
oc "${J[@]}" blob "$irepo@$layer"; usage "blob refuses --format json (it writes the bytes)"
oc "${J[@]}" push-blob "$PLAIN/cli/json" "$tmp/layer.bin"; js "json: push-blob" 'd == {"digest": a[0]}' "$(sha "$tmp/layer.bin")"
oc "${J[@]}" push-blob "$PLAIN/cli/json" "$tmp/config.json"; js "json: push-blob (config)" 'd == {"digest": a[0]}' "$(sha "$tmp/config.json")"
oc "${J[@]}" put-manifest "$PLAIN/cli/json:v1" "$tmp/manifest.json"
js "json: put-manifest" 'd == {"digest": a[0]}' "$(sha "$tmp/manifest.json")"
oc "${J[@]}" tag "$PLAIN/cli/json:v1" second; js "json: tag" 'd == {"digest": a[0]}' "$(sha "$tmp/manifest.json")"
oc "${J[@]}" platforms "$PLAIN/cli/json:v1"
js "json: platforms (an array, the image spec's names)" \
    'len(d) == 1 and d[0]["os"] == "linux" and d[0]["digest"] == a[0] and d[0]["mediaType"] == a[1]' \
    "$(sha "$tmp/manifest.json")" "$OCI_MANIFEST"
oc "${J[@]}" referrers "$PLAIN/cli/json:v1"; js "json: referrers of an image with none" 'd == {"referrers": []}'
oc "${J[@]}" artifact push "$PLAIN/cli/json:sig" "$tmp/config.json" --subject "$PLAIN/cli/json:v1" \
    --artifact-type application/vnd.test.sig --annotation org.example.k=v
sig=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$out" 2>/dev/null)
js "json: artifact push" 'd["digest"].startswith("sha256:") and list(d) == ["digest"]'
oc "${J[@]}" referrers "$PLAIN/cli/json:v1"
js "json: referrers: the artifact, with its type, kind and annotations" '
r = d["referrers"]
len(r) == 1 and r[0]["digest"] == a[0] and r[0]["artifact_type"] == "application/vnd.test.sig" and r[0]["kind"] == "fallback" and r[0]["annotations"]["org.example.k"] == "v" and r[0]["media_type"] == a[1] and r[0]["size"] > 0' \
    "$sig" "$OCI_MANIFEST"
oc "${J[@]}" artifact pull "$PLAIN/cli/json:sig" "$tmp/json-artifact"
js "json: artifact pull" 'd == {"files": ["config.json"]}'
oc "${J[@]}" search "$PLAIN" cli/json
js "json: search (the filtered catalog)" \
    'd["results"][0]["name"] == "cli/json" and d["results"][0]["star_count"] == 0 and d["results"][0]["is_official"] is False'
oc "${J[@]}" ratelimit "$PLAIN/cli/json:v1"
js "json: ratelimit of a registry that reports none: nulls" \
    'd == {"limit": None, "limit_window_s": None, "remaining": None, "remaining_window_s": None, "source": None}'
oc "${J[@]}" request GET "$PLAIN" "/v2/$jrepo/tags/list"
js "json: request: status, headers and the body" '
h = {x["name"]: x["value"] for x in d["headers"]}
d["status"] == 200 and h["content-type"].startswith("application/json") and sorted(json.loads(d["body"])["tags"]) == sorted(json.load(open(a[0]))["tags"])' \
    "$tmp/tags.truth"
oc "${J[@]}" request GET "$PLAIN" /v2/cli/none/manifests/x
if [ "$rc" -eq 1 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["status"] == 404 and json.loads(d["body"])["errors"][0]["code"] else 1)' "$out"; then
    pass "json: request: a 404 is still one document, and exits 1"
else
    fail "json: request: a 404 is still one document, and exits 1"
fi
oc "${J[@]}" pull "$irepo:v1" "$tmp/json-layout:v1"
js "json: pull into a fresh layout: every blob sent" \
    'd["digest"] == a[0] and d["blobs"] >= 2 and d["blobs_sent"] == d["blobs"] and d["blobs_skipped"] == 0 and d["bytes"] > 0' "$amd"
oc "${J[@]}" pull "$irepo:v1" "$tmp/json-layout:v1"
js "json: the same pull again: every blob skipped" 'd["blobs_skipped"] == d["blobs"] and d["blobs_sent"] == 0'
oc "${J[@]}" push "$tmp/json-layout:v1" "$PLAIN/cli/json-pushed:v1"
js "json: push to a new repository: every blob sent" 'd["digest"] == a[0] and d["blobs_sent"] == d["blobs"]' "$amd"
oc "${J[@]}" push "$tmp/json-layout:v1" "$PLAIN/cli/json-pushed:again"
js "json: push again: every blob skipped" 'd["blobs_skipped"] == d["blobs"] and d["blobs_sent"] == 0'
oc "${J[@]}" copy "$irepo:v1" "$PLAIN/cli/json-copied:v1"
js "json: copy within the registry: every blob mounted" \
    'd["digest"] == a[0] and d["blobs_mounted"] == d["blobs"] and d["blobs_sent"] == 0 and d["blobs_skipped"] == 0' "$amd"
oc "${J[@]}" save "$irepo:v1" "$tmp/json-saved.tar"
js "json: save: every blob written" 'd["digest"] == a[0] and d["blobs_sent"] == d["blobs"]' "$amd"
oc "${J[@]}" inspect "$irepo:v1"; js "json: inspect (its JSON as ever)" 'd["Digest"] == a[0]' "$amd"
oc "${J[@]}" untag "$PLAIN/cli/json:second" --via-throwaway-manifest
js "json: untag" 'd == {"untagged": a[0], "via_throwaway_manifest": True}' "$PLAIN/cli/json:second"
oc "${J[@]}" delete "$PLAIN/cli/json@$sig"; js "json: delete" 'd == {"deleted": a[0]}' "$PLAIN/cli/json@$sig"
oc --format json ref-parse ubuntu; js "json: ref-parse" 'd["familiar"] == "ubuntu:latest"'
oc "${J[@]}" manifest "$irepo:nope"; bad "json: a failure prints no document" NOT_FOUND 6
auth=$tmp/json-auth.json
oc --ca-file "$CA" --format json -u "$RUSER" -p "$RPASS" login "$TLS" --authfile "$auth"
js "json: login" 'd == {"registry": a[0], "logged_in": True, "stored": True}' "$TLS"
oc --ca-file "$CA" --format json --auth-file "$auth" login "$TLS"
js "json: login without -u checks" 'd == {"registry": a[0], "logged_in": True, "stored": False}' "$TLS"
oc --format json logout "$TLS" --authfile "$auth"
js "json: logout" 'd == {"registry": a[0], "all": False, "removed_from": a[1]}' "$TLS" "$auth"

# ---- client flags --------------------------------------------------------

oc --timeout abc version; usage "--timeout: not a number"
oc --timeout -1 version; usage "--timeout: negative"
oc --timeout 2592001 version; usage "--timeout: over 30 days"
oc --timeout 99999999999999999999999 version; usage "--timeout: past 64 bits"
oc --connect-timeout 1.5 version; usage "--connect-timeout: not whole"
oc --read-timeout '' version; usage "--read-timeout: empty"
oc --retries 101 version; usage "--retries: over 100"
oc --max-list 0 version; usage "--max-list: 0"
oc --page-size 1000001 version; usage "--page-size: over 1000000"
oc version --timeout; usage "--timeout without a value"
oc --timeout=0 --connect-timeout 30 --read-timeout=30 --retries 0 --max-list 100 --page-size=2 \
    "${P[@]}" tags "$irepo"; ok "every client flag at once (= or a separate value)"
oc "${P[@]}" --max-list 1 tags "$irepo"; bad "--max-list 1 of a repository with more tags" SIZE_EXCEEDED 12
check "... names the bound" grep -q max_list_entries "$err"
t0=$(date +%s)
oc --insecure-registry "$STALL" --timeout 1 --retries 0 ping "$STALL"
bad "--timeout 1 against a server that never answers" TIMEOUT 16
check "... gives up in seconds" [ $(($(date +%s) - t0)) -lt 10 ]
t0=$(date +%s)
oc --insecure-registry "$STALL" --read-timeout 1 --retries 0 tags "$STALL/cli/app"
bad "--read-timeout 1 against a server that never answers" TIMEOUT 16
check "... gives up in seconds" [ $(($(date +%s) - t0)) -lt 10 ]

# ---- a 429 prints what the registry said about its rate limit -----------

cat >"$tmp/limited.py" <<'PY'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, headers=()):
        body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"pull limit"}]}' if status == 429 else b"{}"
        self.send_response(status)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    def do_GET(self):
        if self.path == "/v2/": return self.reply(200)
        if self.path == "/v2/odd":
            body = b'tab\there "q" \\ \xff\xfe end \xe2\x82\xac \x01'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        self.do_HEAD()
    def do_HEAD(self):
        self.reply(429, [("ratelimit-limit", "100;w=21600"), ("ratelimit-remaining", "0;w=21600"),
                         ("docker-ratelimit-source", "192.0.2.7"), ("Retry-After", "30")])
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
coproc LIMITED { exec python3 "$tmp/limited.py"; }
read -r limited_port <&"${LIMITED[0]}"
LIM=127.0.0.1:$limited_port
oc --insecure-registry "$LIM" --retries 0 manifest "$LIM/library/app:v1"
bad "429: TOO_MANY_REQUESTS" TOO_MANY_REQUESTS 9
check "429: the rate limit on its own line" grep -qx \
    'ocireg: rate limited: 0 of 100 left in 21600 s window, retry after 30 s (source 192.0.2.7)' "$err"
oc --insecure-registry "$LIM" --retries 0 --format json digest "$LIM/library/app:v1"
bad "429 with --format json: no document, the same message" TOO_MANY_REQUESTS 9
check "... and the rate-limit line" grep -q '^ocireg: rate limited: 0 of 100 left' "$err"
oc --insecure-registry "$LIM" --retries 0 ping "$LIM"; ok "the ping is not limited" "OK"
# Strings are escaped, and bytes that are not UTF-8 cannot break the document.
oc --insecure-registry "$LIM" --format json request GET "$LIM" /v2/odd
js "json: odd bytes: escaped, invalid UTF-8 as U+FFFD, valid UTF-8 kept" \
    'd["body"] == "tab\there \"q\" \\ \ufffd\ufffd end \u20ac \x01"'
check "... control characters escaped" grep -qF '\u0001' "$out"
oc --insecure-registry "$PLAIN" manifest "$irepo:nope"; bad "a NOT_FOUND has no rate-limit line" NOT_FOUND 6
check "... indeed" [ "$(grep -c 'rate limited' "$err")" -eq 0 ]
kill "$LIMITED_PID" 2>/dev/null; wait "$LIMITED_PID" 2>/dev/null
