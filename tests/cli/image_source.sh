# inspect, manifest and tags with skopeo's transport names, and layers
# (issue 13), sourced by tests/cli/test.sh after the whole-image tests: uses
# its helpers, $tmp, $PLAIN, $irepo, $amd, $arm, $img, the archives
# $tmp/img-oa.tar (ours, oci-archive :v1) and $tmp/sk-da.tar (skopeo's
# docker-archive, example.com/cli:v1), SK and raw_sha.

oa="oci-archive:$tmp/img-oa.tar:v1"
da="docker-archive:$tmp/sk-da.tar:example.com/cli:v1"

# inspect on any transport, against skopeo inspect
same_as_skopeo() { # LABEL: our $out against skopeo inspect SRC...
    "${SK[@]}" inspect "$@" >"$tmp/sk-inspect.json" 2>/dev/null &&
        python3 -c '
import json, sys
ours, theirs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for f in ["Name", "Digest", "Created", "DockerVersion", "Labels", "Architecture", "Os", "Layers", "Env"]:
    assert ours.get(f) == theirs.get(f), (f, ours.get(f), theirs.get(f))
' "$out" "$tmp/sk-inspect.json"
}
oc "${P[@]}" inspect "$oa"; ok "inspect oci-archive:"
check "inspect oci-archive: the fields of skopeo inspect (no Name)" same_as_skopeo "$oa"
check "inspect oci-archive: Digest" [ "$(json_field Digest <"$out")" = "$amd" ]
oc "${P[@]}" inspect "$da"; ok "inspect docker-archive:FILE:TAG"
check "inspect docker-archive: the fields of skopeo inspect (Name example.com/cli)" same_as_skopeo "$da"
check "inspect docker-archive: Name" [ "$(json_field Name <"$out")" = example.com/cli ]
oc "${P[@]}" inspect "docker://$irepo:v1"; ok "inspect docker://"
check "inspect docker://: the fields of skopeo inspect" same_as_skopeo --tls-verify=false "docker://$irepo:v1"
oc -u nobody -p nothing inspect "$oa"; ok "inspect: -u has no registry to go to with a file"
oc "${P[@]}" inspect "oci-archive:$tmp/absent.tar"; bad "inspect of a missing archive" IO 17

# manifest: raw, as skopeo inspect --raw
oc "${P[@]}" manifest "$oa"; ok "manifest oci-archive:"
check "manifest oci-archive: skopeo's raw bytes" cmp -s "$out" <("${SK[@]}" inspect --raw "$oa")
check "manifest oci-archive: its digest" [ "$(raw_sha <"$out")" = "$amd" ]
oc "${P[@]}" manifest "$da"; ok "manifest docker-archive: (generated)"
check "manifest docker-archive: skopeo's generated manifest" cmp -s "$out" <("${SK[@]}" inspect --raw "$da")
oc "${P[@]}" --platform linux/arm64 manifest "docker://$irepo:multi"; ok "manifest --platform docker://"
check "manifest --platform: the arm64 instance" [ "$(raw_sha <"$out")" = "$arm" ]
oc "${P[@]}" manifest --format json "$oa"; ok "manifest --format json of a transport"
check "manifest --format json: the digest" [ "$(json_field digest <"$out")" = "$amd" ]

# tags: skopeo list-tags' transports
oc "${P[@]}" tags "docker-archive:$tmp/sk-da.tar"; ok "tags docker-archive:" "example.com/cli:v1"
oc "${P[@]}" tags --format json "docker-archive:$tmp/sk-da.tar"; ok "tags --format json docker-archive:"
check "tags --format json: {name, tags}" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"name": sys.argv[2], "tags": ["example.com/cli:v1"]}, d
' "$out" "docker-archive:$tmp/sk-da.tar"
oc "${P[@]}" tags "docker://$irepo"; ok "tags docker://"
check "tags docker://: v1 among them" grep -qx v1 "$out"
oc "${P[@]}" tags "$oa"; bad "tags oci-archive: (no tags there)" UNSUPPORTED 10

# layers IMAGE DIR
lay_out=$tmp/layers-cli
oc "${P[@]}" layers "$oa" "$lay_out"; ok "layers oci-archive: DIR"
check "layers: the config and the layer, named by hex, verified" sh -c "
    cmp -s '$lay_out/$(sha "$img/layer.tar" | cut -d: -f2)' '$img/layer.tar' &&
    cmp -s '$lay_out/$(sha "$img/config-amd64.json" | cut -d: -f2)' '$img/config-amd64.json'"
check "layers: the JSON list, config first" python3 -c '
import json, sys
files = json.load(open(sys.argv[1]))
assert [f["digest"] for f in files] == [sys.argv[2], sys.argv[3]], files
assert all(f["file"] == f["digest"].split(":")[1] for f in files), files
' "$out" "$(sha "$img/config-amd64.json")" "$(sha "$img/layer.tar")"
oc "${P[@]}" layers "docker://$irepo:v1" "$lay_out"; bad "layers: existing files refused" INVALID_ARGUMENT 3
oc "${P[@]}" layers "docker://$irepo:v1" "$lay_out" --overwrite; ok "layers --overwrite"
oc "${P[@]}" --overwrite inspect "$oa"; usage "--overwrite only with artifact pull and layers"
oc "${P[@]}" layers "$oa"; usage "layers wants IMAGE and DIR"
