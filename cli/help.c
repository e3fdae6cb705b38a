/*
 * --help: `ocireg --help` (or `ocireg help`) lists the commands, one line
 * each, and the options; `ocireg CMD --help` and `ocireg help CMD` print
 * CMD's manual: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS,
 * EXAMPLES and EXIT STATUS. The SYNOPSIS is main.c's dispatch table's;
 * everything else is the table below, one entry per command (each string
 * under 4095 bytes: C99's promise for a literal). `ocireg help --check`
 * checks that the dispatch table and this table name the same commands
 * (tests/cli/test.sh runs it); `ocireg help --list` prints the names.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct help {
    const char *name;
    const char *summary;     /* one line, for the listing and NAME */
    const char *description; /* paragraphs, indented by four spaces */
    const char *options;     /* the command's own options, or NULL */
    const char *examples;
};

static const struct help helps[] = {
    {"version", "print the library version",
     "    Prints the version of libocireg the tool runs on. No registry is\n"
     "    contacted. JSON: {\"version\": \"0.1.0\"}.\n",
     NULL, "    ocireg version\n"},

    {"ping", "check that HOST speaks the registry API v2",
     "    Sends GET /v2/ to HOST (https, or plain HTTP for an --insecure-registry\n"
     "    that does not speak TLS) and prints OK when it answers as a registry,\n"
     "    with the credentials when it asks for them.\n"
     "    JSON: {\"registry\": HOST, \"ok\": true}.\n",
     NULL, "    ocireg ping registry.example.com\n"
           "    ocireg --insecure-registry localhost:5000 ping localhost:5000\n"},

    {"login", "check the credentials for HOST, and with -u store them",
     "    Without -u, checks the credentials already configured for HOST (auth\n"
     "    files, credential helpers). With -u and a password, checks them and\n"
     "    stores them as podman login does: in containers' auth.json\n"
     "    ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json), in\n"
     "    docker's config.json (--docker), or in F (--authfile F); the file's\n"
     "    credHelpers/credsStore helper gets them when it names one. A refused\n"
     "    credential stores nothing. Prints Login Succeeded.\n"
     "    JSON: {\"registry\", \"logged_in\": true, \"stored\": true|false}.\n",
     "    --authfile F     store into (and read) the auth file F\n"
     "    --docker         store into docker's config.json\n",
     "    echo \"$TOKEN\" | ocireg -u me --password-stdin login ghcr.io\n"
     "    ocireg login ghcr.io\n"},

    {"logout", "erase the stored credentials for HOST (or --all of them)",
     "    Erases the credentials stored for HOST, or with --all every stored\n"
     "    credential, from the place login stores them (see login); a helper\n"
     "    named by the file erases its own. NOT_FOUND when there is none.\n"
     "    JSON: {\"registry\": HOST|null, \"all\": bool, \"removed_from\": PATH}.\n",
     "    --all            erase every stored credential (no HOST)\n"
     "    --authfile F     the auth file F\n"
     "    --docker         docker's config.json\n",
     "    ocireg logout ghcr.io\n"
     "    ocireg logout --all --docker\n"},

    {"search", "search HOST's repositories for TERM",
     "    Searches HOST with Docker Hub's v1 search API, or, where the registry\n"
     "    has none, its catalog filtered by TERM. Prints NAME, DESCRIPTION,\n"
     "    STARS, OFFICIAL and AUTOMATED per line, tab-separated (tabs and new\n"
     "    lines inside a field become spaces); at most N results.\n"
     "    JSON: {\"results\": [{\"name\", \"description\", \"star_count\",\n"
     "    \"is_official\", \"is_automated\", \"is_trusted\"}]}.\n",
     "    --limit N        at most N results, 1 to 10000 (default 25)\n",
     "    ocireg search docker.io nginx --limit 5\n"},

    {"ratelimit", "the registry's rate limit, from a HEAD (no pull counted)",
     "    Asks REF's registry for its rate limit with a manifest HEAD, which\n"
     "    Docker Hub does not count as a pull: the limit and the remaining\n"
     "    requests with their windows, and what is counted (the source).\n"
     "    Each is unknown when the registry does not report it. A 429 is\n"
     "    TOO_MANY_REQUESTS, with a `rate limited:` line on stderr.\n"
     "    JSON: {\"limit\", \"limit_window_s\", \"remaining\",\n"
     "    \"remaining_window_s\" (numbers, null when unknown), \"source\"}.\n",
     NULL, "    ocireg ratelimit docker.io/ratelimitpreview/test:latest\n"},

    {"catalog", "list the repositories of HOST",
     "    Lists every repository of HOST (GET /v2/_catalog, all pages), one per\n"
     "    line. --max-list bounds how many are collected.\n"
     "    JSON: {\"repositories\": [...]}, the registry's own shape.\n",
     NULL, "    ocireg catalog localhost:5000 --format json\n"},

    {"tags", "list the tags of REPO",
     "    Lists every tag of repository REPO (all pages), one per line.\n"
     "    --max-list bounds how many are collected, --page-size asks for pages.\n"
     "    JSON: {\"name\": REPO (as given), \"tags\": [...]}, the registry's shape.\n"
     "    As skopeo list-tags, REPO may be docker://HOST/REPO or\n"
     "    docker-archive:FILE (every RepoTags entry, @N for an untagged image).\n",
     NULL, "    ocireg tags docker.io/library/alpine\n"
           "    ocireg tags docker-archive:saved.tar\n"},

    {"digest", "print the digest of manifest REF (HEAD only)",
     "    Prints the digest of manifest REF from a HEAD alone (not a pull on\n"
     "    Docker Hub); a registry that sends no Docker-Content-Digest is a\n"
     "    PROTOCOL error for a tag. JSON: {\"digest\"}.\n",
     NULL, "    ocireg digest docker.io/library/alpine:3.20\n"},

    {"manifest", "write manifest REF, byte for byte, to stdout",
     "    Writes manifest REF to stdout exactly as the registry sent it,\n"
     "    verified against its digest. With --platform, an index is resolved to\n"
     "    that platform's image manifest. REF may name a transport as\n"
     "    skopeo does (docker://, oci:DIR[:REF], oci-archive:FILE[:REF],\n"
     "    docker-archive:FILE[:REPO:TAG], dir:DIR): the manifest stored there,\n"
     "    or the one skopeo generates for a docker-archive.\n"
     "    JSON: {\"digest\", \"media_type\", \"size\", \"content\"}: the bytes as one\n"
     "    string (bytes that are not UTF-8 become U+FFFD there).\n",
     NULL, "    ocireg manifest --platform linux/arm64 docker.io/library/alpine\n"},

    {"config", "write the image config of REF to stdout",
     "    Writes the image config blob of REF to stdout, verified (through an\n"
     "    index: the --platform image, default this machine's).\n"
     "    JSON: as manifest's, for the config.\n",
     NULL, "    ocireg config docker.io/library/alpine | python3 -m json.tool\n"},

    {"blob", "write blob REPO@DIGEST, verified, to stdout",
     "    Streams the blob to stdout and verifies its digest; the output is\n"
     "    only good when the exit status is 0. No --format json: the output is\n"
     "    the blob (see blob-stat). --progress shows a line on stderr.\n",
     NULL, "    ocireg blob localhost:5000/app@sha256:... > layer.tar.gz\n"},

    {"blob-stat", "the size of blob REPO@DIGEST (HEAD only)",
     "    Asks for the blob with a HEAD and prints DIGEST SIZE; NOT_FOUND when\n"
     "    the repository does not have it. JSON: {\"digest\", \"size\"}.\n",
     NULL, "    ocireg blob-stat localhost:5000/app@sha256:...\n"},

    {"push-blob", "upload FILE (- for stdin) to REPO; print its digest",
     "    Uploads FILE (- for stdin) as a blob of REPO, streaming and hashing\n"
     "    it once; prints its digest. JSON: {\"digest\"}.\n",
     NULL, "    ocireg push-blob localhost:5000/app layer.tar.gz\n"},

    {"put-manifest", "upload manifest FILE (- for stdin) as REF",
     "    Uploads the manifest in FILE (at most 4 MiB) as REF, byte for byte,\n"
     "    and prints its digest. JSON: {\"digest\"}.\n",
     "    --media-type T   its media type (default: the OCI image manifest)\n",
     "    ocireg put-manifest localhost:5000/app:v1 manifest.json\n"},

    {"tag", "tag manifest REF as NEWTAG; print its digest",
     "    Fetches manifest REF and puts it again, unchanged, under NEWTAG in\n"
     "    the same repository; prints its digest. JSON: {\"digest\"}.\n",
     NULL, "    ocireg tag localhost:5000/app:v1 latest\n"},

    {"delete", "delete manifest REF by digest (every tag of it goes)",
     "    Deletes manifest REF by digest: every tag of it goes too, not only\n"
     "    REF's (see untag). A referrer leaves its subject's fallback index.\n"
     "    Prints nothing. JSON: {\"deleted\": REF}.\n",
     NULL, "    ocireg delete localhost:5000/app@sha256:...\n"},

    {"untag", "delete tag TAG only; its manifest and other tags stay",
     "    Deletes tag TAG of REF:TAG only. A registry that does not delete tags\n"
     "    is an error, unless --via-throwaway-manifest: TAG is then moved to a\n"
     "    throwaway manifest, which is deleted (TAG names it for a moment).\n"
     "    JSON: {\"untagged\": REF, \"via_throwaway_manifest\": bool}.\n",
     "    --via-throwaway-manifest  the workaround above\n",
     "    ocireg untag localhost:5000/app:old\n"},

    {"artifact push", "push FILE... as an artifact, as oras does",
     "    Pushes the files as one artifact manifest (each file a layer titled\n"
     "    with its name) and prints its digest. JSON: {\"digest\"}.\n",
     "    --artifact-type T    the artifact type\n"
     "                         (default application/vnd.unknown.artifact.v1)\n"
     "    --media-type T       the files' layer type (default ...layer.v1.tar)\n"
     "    --annotation K=V     a manifest annotation (repeatable; created:\n"
     "                         now unless given)\n"
     "    --subject REF        attach it to REF (same repository)\n",
     "    ocireg artifact push localhost:5000/app:sbom sbom.json \\\n"
     "        --artifact-type application/spdx+json --subject localhost:5000/app:v1\n"},

    {"artifact pull", "write an artifact's files into DIR",
     "    Writes the artifact's files into DIR under their titles and prints\n"
     "    their names. Existing files are refused unless --overwrite; unsafe\n"
     "    names (absolute, .., links out) always. JSON: {\"files\": [...]}.\n",
     "    --overwrite      replace existing files\n",
     "    ocireg artifact pull localhost:5000/app:sbom ./out\n"},

    {"referrers", "list what refers to REF",
     "    Lists the manifests whose subject is REF (referrers API, else the\n"
     "    fallback tag, and cosign's .sig/.att/.sbom tags): DIGEST\n"
     "    ARTIFACT_TYPE SIZE KIND per line, KIND referrers-api, fallback,\n"
     "    cosign-signature, cosign-attestation or cosign-sbom.\n"
     "    JSON: {\"referrers\": [{\"digest\", \"media_type\", \"artifact_type\",\n"
     "    \"size\", \"kind\", \"annotations\": {...}}]}.\n",
     "    --artifact-type T  only referrers of that type\n",
     "    ocireg referrers localhost:5000/app:v1 --format json\n"},

    {"pull", "pull image REF into the OCI image layout DIR",
     "    Pulls REF into the OCI image layout DIR under the name NAME (default:\n"
     "    REF's tag); DIR[:NAME] splits at the first ':', as skopeo's oci:\n"
     "    transport does. Blobs already there and verified are skipped; the\n"
     "    rest are downloaded, verified, and renamed into place. Prints the\n"
     "    digest. On a terminal a progress display shows a bar per blob, the\n"
     "    total, the rate, the ETA and how many blobs were skipped and sent\n"
     "    (see --progress and --quiet).\n"
     "    JSON: {\"digest\", \"bytes\", \"blobs\", \"blobs_skipped\",\n"
     "    \"blobs_mounted\", \"blobs_sent\"}.\n",
     "    --all            the whole index, every platform\n"
     "    --referrers      also carry what is attached to the image (referrers,\n"
     "                     cosign .sig/.att/.sbom tags), recursively, digests\n"
     "                     unchanged\n"
     "    --referrers-type T  only the attachments of artifact type T (and what\n"
     "                     hangs off them; repeatable)\n",
     "    ocireg pull docker.io/library/alpine:3.20 ./layout:alpine\n"},

    {"push", "push image NAME of the OCI layout DIR to REF",
     "    Pushes image NAME of layout DIR (default: its only image) to REF.\n"
     "    Blobs the registry has are skipped, those in a --mount-from\n"
     "    repository are mounted, the rest uploaded. Prints the digest; the\n"
     "    progress display and JSON are pull's.\n",
     "    --all            a whole index\n"
     "    --mount-from R   mount blobs from repository R of the same registry\n"
     "                     first (repeatable)\n"
     "    --resume-dir STATE  record each blob's upload session in STATE, and\n"
     "                     continue from what the registry kept when run again\n"
     "                     after a kill (registries that keep sessions)\n"
     "    --referrers      also carry what is attached to the image (referrers,\n"
     "                     cosign .sig/.att/.sbom tags), recursively, digests\n"
     "                     unchanged\n"
     "    --referrers-type T  only the attachments of artifact type T (and what\n"
     "                     hangs off them; repeatable)\n",
     "    ocireg push ./layout:alpine localhost:5000/alpine:3.20\n"},

    {"copy", "copy image SRC to DST between registries, layouts and archives",
     "    Copies SRC to DST, each named as skopeo names it:\n"
     "      docker://REF (or a bare REF)     an image in a registry\n"
     "      oci:DIR[:NAME]                   an OCI image layout\n"
     "      oci-archive:FILE[:NAME]          a tar of an OCI image layout\n"
     "      docker-archive:FILE[:REF|:@N]    a docker save tarball (reading:\n"
     "                                       the image tagged REF, or the Nth)\n"
     "      dir:DIR                          a directory of blobs, skopeo's dir:\n"
     "    Blobs stream from the source into the destination, verified on the\n"
     "    way; within one registry they are mounted from SRC's repository. The\n"
     "    manifests move byte for byte, so digests stay the same; only a\n"
     "    docker-archive source has no manifest, and gets the one skopeo\n"
     "    generates for it, and a Docker schema 2 image or manifest list\n"
     "    going into oci: or oci-archive: is converted to OCI as skopeo\n"
     "    converts it (not with --referrers). A destination file or\n"
     "    directory appears only complete. -u is for DST's registry, or SRC's\n"
     "    when DST is a file or directory. Prints the digest; the progress\n"
     "    display and JSON are pull's.\n",
     "    --all            a whole index, every platform\n"
     "    --platform P1,P2 a subset: DST gets an index naming only those\n"
     "                     platforms' images (a registry refuses an index naming\n"
     "                     images it lacks), so its digest differs from SRC's\n"
     "                     unless they are all of SRC's; a platform SRC lacks\n"
     "                     fails before anything is written\n"
     "    --referrers      also carry what is attached to the image (referrers,\n"
     "                     cosign .sig/.att/.sbom tags), recursively, digests\n"
     "                     unchanged, between registries, oci: layouts and\n"
     "                     oci-archives (docker-archive: and dir: cannot hold\n"
     "                     them: an error)\n"
     "    --referrers-type T  only the attachments of artifact type T (and what\n"
     "                     hangs off them; repeatable)\n"
     "    --signatures     also carry the signatures of every manifest copied,\n"
     "                     registry to registry: read where registries.d says\n"
     "                     SRC keeps them (lookaside, sigstore attachments),\n"
     "                     written where it says DST keeps them (a file://\n"
     "                     lookaside-staging, or sigstore attachments); all\n"
     "                     checked before anything is written. A layout or\n"
     "                     archive holds no signatures: an error there\n"
     "    --registries.d DIR  with --signatures, read registries.d YAML files\n"
     "                     from DIR (default as for signatures)\n"
     "    --resume-dir STATE  into a registry: record each blob's upload session\n"
     "                     in STATE, and continue from what the registry kept\n"
     "                     when run again after a kill (the source is read\n"
     "                     again, only the rest is sent)\n",
     "    ocireg copy docker.io/library/alpine:3.20 localhost:5000/alpine:3.20\n"
     "    ocireg copy localhost:5000/alpine:3.20 oci-archive:alpine.tar:3.20\n"
     "    ocireg copy docker-archive:saved.tar dir:./alpine\n"
     "    ocireg copy --signatures --registries.d ./registries.d a.example/app:v1 \\\n"
     "        b.example/app:v1\n"},

    {"inspect", "the image's facts as JSON (skopeo inspect's fields)",
     "    Prints the facts of image REF as JSON with skopeo inspect's field\n"
     "    names (Name, Digest, Architecture, Os, Layers, ...). REF may name any\n"
     "    transport as skopeo does: docker://HOST/REPO:TAG (or a bare\n"
     "    reference), oci:DIR[:REF], oci-archive:FILE[:REF],\n"
     "    docker-archive:FILE[:REPO:TAG|:@N], dir:DIR. Name is the repository\n"
     "    the name intends (a registry's, a docker-archive's chosen tag's) and\n"
     "    is left out without one. Its text output is that JSON, so --format\n"
     "    changes nothing.\n",
     "    --tags           add the repository's tags (RepoTags; docker:// only)\n",
     "    ocireg inspect docker.io/library/alpine:3.20 --tags\n"
     "    ocireg inspect oci:./layout:v1\n"
     "    ocireg inspect docker-archive:saved.tar:example.com/app:v1\n"},

    {"save", "write image REF as a docker-archive tarball",
     "    Writes image REF (through an index: the --platform image) into FILE\n"
     "    as a docker-archive tarball (docker load reads it). Prints the\n"
     "    digest; the progress display and JSON are pull's.\n",
     NULL, "    ocireg save docker.io/library/alpine:3.20 alpine.tar\n"},

    {"ref-parse", "parse and normalize REF as docker does",
     "    Parses REF as docker does, with no registry contacted, and prints its\n"
     "    parts as JSON (its text output too): registry, api_host, repository,\n"
     "    tag and digest (null when absent), canonical\n"
     "    (docker.io/library/ubuntu:latest) and familiar (ubuntu:latest).\n",
     NULL, "    ocireg ref-parse ubuntu\n"},

    {"platforms", "the platforms image REF offers",
     "    Lists the platforms of REF: an index's entries (nested ones too), or\n"
     "    a single image's from its config. One per line:\n"
     "    OS/ARCH[/VARIANT][:OS_VERSION] DIGEST SIZE MEDIA_TYPE.\n"
     "    JSON: an array of objects with the image spec's names: os,\n"
     "    architecture, variant, os.version (null when absent), os.features,\n"
     "    features (arrays), digest, size and mediaType.\n",
     NULL, "    ocireg platforms docker.io/library/alpine --format json\n"},

    {"signatures", "list image REF's signatures (lookaside, sigstore attachments)",
     "    Lists the signatures of image REF where containers' registries.d puts\n"
     "    them: the lookaside of REF's registries.d scope (file, http or https;\n"
     "    BASE/REPO@sha256=HEX/signature-N until the first missing one), then,\n"
     "    with use-sigstore-attachments: true, the layers of its\n"
     "    sha256-<hex>.sig manifest. One per line: N KIND SIZE [MIME_TYPE].\n"
     "    JSON: {\"signatures\": [{\"kind\", \"mimeType\", \"size\",\n"
     "    \"annotations\", \"data\" (base64)}]}.\n",
     "    --registries.d DIR  read registries.d YAML files from DIR instead of\n"
     "                     /etc/containers/registries.d and\n"
     "                     ~/.config/containers/registries.d\n",
     "    ocireg signatures localhost:5000/app:v1 --format json\n"},

    {"signatures put", "add signature files to image REF",
     "    Adds the signature blobs in FILE... to image REF as skopeo writes\n"
     "    them: simple signing (e.g. from skopeo standalone-sign) to the file://\n"
     "    lookaside-staging directory of REF's registries.d scope, sigstore\n"
     "    blobs (containers/image's format) to the sha256-<hex>.sig attachment.\n"
     "    Signatures already there are skipped. Prints how many were new.\n"
     "    JSON: {\"added\": N}.\n",
     "    --registries.d DIR  as for signatures\n",
     "    ocireg signatures put localhost:5000/app:v1 sig.gpg\n"},

    {"request", "send a raw request to a path on HOST, with the credentials",
     "    Sends METHOD (GET, HEAD, POST, PUT, PATCH, DELETE) to PATH (with its\n"
     "    query) on HOST with the tool's credentials, TLS and proxy: for\n"
     "    vendor APIs beside the registry API. The body goes to stdout; an HTTP\n"
     "    status of 400 or more exits 1 after it. Credentials never go to\n"
     "    another origin.\n"
     "    JSON: {\"status\", \"headers\": [{\"name\", \"value\"}], \"body\"}: the body as\n"
     "    one string, at most 16 MiB.\n",
     "    -H 'Name: value' a request header (repeatable)\n"
     "    --scope SCOPE    a token scope such as repository:NAME:pull\n"
     "    --data-file F    the request body from F (- for stdin)\n"
     "    -i, --include    the status and headers on stderr\n",
     "    ocireg request GET harbor.example.com /api/v2.0/projects\n"},

    {"resolve", "the image a short NAME (busybox) stands for",
     "    Every command resolves a short image name (no registry: busybox,\n"
     "    team/app:1) before it runs. With a registries.conf (the system's by\n"
     "    default, or --registries-conf FILE) it is resolved as podman does:\n"
     "    an alias ([aliases], short-name-aliases.conf) first, else each\n"
     "    unqualified-search registry in order. Commands that read an image\n"
     "    (pull, copy's SRC, inspect, manifest, digest, ...) take the first\n"
     "    candidate that has it; the others (push, tags, delete, blob, ...)\n"
     "    need a single candidate. short-name-mode = \"enforcing\" with several\n"
     "    candidates is an error (ocireg never prompts). With\n"
     "    --no-registries-conf a short name is docker's: docker.io/library/NAME.\n"
     "    Names with a transport (docker://NAME, oci:DIR, ...) are not\n"
     "    resolved: docker://NAME is always docker's, as in skopeo. resolve\n"
     "    prints the reference a pull of\n"
     "    NAME uses; --verbose logs each command's choice.\n"
     "    JSON: {\"name\", \"reference\", \"rationale\": \"none\"|\"alias\"|\n"
     "    \"search-registries\"|\"docker-default\", \"origin\": FILE|null,\n"
     "    \"skipped\": [{\"reference\", \"error\"}]}.\n",
     NULL, "    ocireg resolve busybox\n"
           "    ocireg --registries-conf ./registries.conf --format json resolve app:1\n"},
    {"layers", "write the config and layers of IMAGE into DIR",
     "    Writes the config and the layers of IMAGE (any transport, as for\n"
     "    inspect; through an index the --platform image) into DIR, created\n"
     "    when missing, each as the file named by its digest's hex (as\n"
     "    skopeo's layers and dir: name blobs). Each blob is streamed,\n"
     "    verified and only then appears. Existing files are refused before\n"
     "    anything is written unless --overwrite (symlinks and directories\n"
     "    always). Prints, text and JSON alike, a JSON array, config first:\n"
     "    [{\"file\", \"digest\", \"size\", \"mediaType\"}].\n",
     "    --overwrite      replace existing files\n",
     "    ocireg layers oci:./layout:v1 ./blobs\n"
     "    ocireg layers docker://localhost:5000/app:v1 ./blobs --platform linux/arm64\n"},
    {"index create", "push an index of images SRC... as TARGET, as oras does",
     "    Makes an OCI image index with one entry per SRC (image manifests of\n"
     "    TARGET's repository, full references by tag or digest), each with the\n"
     "    platform its config names, pushes it as TARGET and prints its digest:\n"
     "    the same as `oras manifest index create` from the same images. An\n"
     "    index as SRC, one manifest twice or more than 1000 are refused, and\n"
     "    nothing is pushed. JSON: {\"digest\"}.\n",
     "    --artifact-type T    the index's artifactType\n"
     "    --annotation K=V     an index annotation (repeatable)\n",
     "    ocireg index create localhost:5000/app:v1 localhost:5000/app:v1-amd64 \\\n"
     "        localhost:5000/app:v1-arm64 --annotation org.example.k=v\n"},

    {"index add", "add images SRC... to index TARGET",
     "    Adds an entry for each SRC (image manifests of TARGET's repository),\n"
     "    with the platform its config names, to the index TARGET, pushes it\n"
     "    there and prints its new digest. A manifest already in the index is\n"
     "    not added twice. JSON: {\"digest\"}.\n",
     NULL, "    ocireg index add localhost:5000/app:v1 localhost:5000/app:v1-s390x\n"},

    {"index remove", "remove entries of index TARGET by digest or platform",
     "    Removes from the index TARGET the entries with digest DIGEST and the\n"
     "    entries of platform P (os/arch[/variant]; without a variant every\n"
     "    variant goes), pushes it there and prints its new digest. A DIGEST or\n"
     "    P that is in no entry is NOT_FOUND, and nothing is pushed.\n"
     "    JSON: {\"digest\"}.\n",
     "    --platform P[,P...]  remove the entries of these platforms\n",
     "    ocireg index remove localhost:5000/app:v1 --platform linux/arm64\n"
     "    ocireg index remove localhost:5000/app:v1 sha256:...\n"},

    {"index annotate", "set or remove annotations of index TARGET",
     "    Sets annotation KEY to VALUE (KEY=VALUE) or removes it (KEY-) on the\n"
     "    index TARGET, pushes it there and prints its new digest. The entries\n"
     "    stay as they are. JSON: {\"digest\"}.\n",
     NULL, "    ocireg index annotate localhost:5000/app:v1 org.example.k=v old.key-\n"},
};

static const char global_options[] =
    "    --insecure-registry HOST[:PORT]  allow plain HTTP and unverified TLS for\n"
    "                     HOST (repeatable; *.example.com covers every subdomain,\n"
    "                     on any port)\n"
    "    --ca-file PATH   trust the CA certificates in PATH too\n"
    "    --cert-dir DIR   *.crt CAs and a *.cert + *.key client pair for every\n"
    "                     registry (else each HOST[:PORT] directory of\n"
    "                     ~/.config/containers/certs.d, /etc/containers/certs.d,\n"
    "                     /etc/docker/certs.d)\n"
    "    --oauth2         get tokens with the OAuth2 password grant\n"
    "    --oauth2-client-id ID  the client_id sent to token servers\n"
    "    --offline-token  ask token servers for a refresh token (kept in\n"
    "                     memory, used instead of the password)\n"
    "    --registries-conf FILE  mirrors, rewrites, blocked and insecure\n"
    "                     registries from FILE (default: the system's, as skopeo)\n"
    "    --no-registries-conf  read no registries.conf\n"
    "    --token-cache PATH  keep bearer tokens in PATH across runs (default:\n"
    "                     $XDG_CACHE_HOME/ocireg/tokens.json; 0600, no password)\n"
    "    --no-token-cache keep tokens for this run only\n"
    "    --ranged auto|off|always  fetch one large blob over several connections\n"
    "                     as byte ranges: auto (default) only when its first\n"
    "                     connection is slow, off, or always\n"
    "    -u USER          the user name for the command's registry (push and\n"
    "                     copy: the destination's), with one of:\n"
    "    --password-stdin the password from stdin, trailing new line stripped\n"
    "    -p PASS          the password as an argument: avoid it, other users\n"
    "                     may read it until ocireg wipes it\n"
    "    --auth-file PATH the docker config.json or containers auth.json to\n"
    "                     read (else $REGISTRY_AUTH_FILE, containers' and\n"
    "                     docker's usual files: the first holding the registry)\n"
    "    --platform OS/ARCH[/VARIANT]  the image to take from an index (default:\n"
    "                     this machine's); pull, push and copy take a comma\n"
    "                     list (linux/amd64,linux/arm64): an index of those\n"
    "                     platforms alone, with a new digest\n"
    "    -j N             blobs moved at once by whole-image commands (1-256)\n"
    "    --format text|json  the output: text (default) or one JSON document\n"
    "    --timeout SECS   the longest a request (one without a streamed body)\n"
    "                     may take; 0: none (default 0)\n"
    "    --connect-timeout SECS  the longest a connection may take; 0: none\n"
    "    --read-timeout SECS  the longest a response may send nothing; 0: none\n"
    "    --retries N      retries of a failed request (429, lost connections;\n"
    "                     500, 502-504 for reads and manifest PUTs), 0 to 100\n"
    "    --max-list N     the most entries a listing collects, 1 to 100000000\n"
    "    --page-size N    the page size asked of listings; 0: the registry's\n"
    "    --verbose        log each HTTP request on stderr (method, URL, status,\n"
    "                     time; credentials never)\n"
    "    --progress       show progress on stderr: blob and push-blob, and the\n"
    "                     whole-image commands off a terminal (plain lines)\n"
    "    -q, --quiet      no progress display, not even on a terminal\n"
    "    -h, --help       show the help (of the command, after one)\n";

static const char exit_status[] =
    "    0 on success. A failure prints `ocireg: STATUS: message` on stderr and\n"
    "    exits with the status's number (capped to 1..125): 6 NOT_FOUND,\n"
    "    7 UNAUTHORIZED, 8 DENIED, 9 TOO_MANY_REQUESTS (with a `rate limited:`\n"
    "    line when the registry said more), 14 NETWORK, 16 TIMEOUT, 19\n"
    "    CANCELLED (Ctrl-C, SIGTERM), ...: see ocireg_status in ocireg.h. 2 is a\n"
    "    usage error. A second Ctrl-C exits at once with 128 + the signal.\n";

static const struct help *find_help(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (strcmp(helps[i].name, name) == 0)
            return &helps[i];
    return NULL;
}

static const struct command *find_command_named(const char *name)
{
    size_t i, n;
    const struct command *commands = cli_commands(&n);
    for (i = 0; i < n; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The synopsis up to its first optional part: `pull REF DIR[:NAME]`. */
static int short_synopsis_len(const char *synopsis)
{
    const char *bracket = strstr(synopsis, " [");
    return bracket != NULL ? (int)(bracket - synopsis) : (int)strlen(synopsis);
}

static int print_overview(void)
{
    size_t i, n;
    const struct command *commands = cli_commands(&n);
    fputs("usage: ocireg [OPTIONS] COMMAND ARGS...\n"
          "       ocireg help COMMAND    (or ocireg COMMAND --help): its manual\n"
          "\n"
          "Commands:\n",
          stdout);
    for (i = 0; i < n; i++) {
        const struct help *h = find_help(commands[i].name);
        int len = short_synopsis_len(commands[i].synopsis);
        printf("  %.*s%*s %s\n", len, commands[i].synopsis, len < 28 ? 28 - len : 1, "",
               h != NULL ? h->summary : "");
    }
    fputs("\nOptions (before or after the command):\n", stdout);
    fputs(global_options, stdout);
    fputs("\nErrors print `ocireg: STATUS: message` on stderr and exit with the status\n"
          "code; a blob written to stdout is only good when the exit status is 0.\n",
          stdout);
    return finish_stdout();
}

static int print_manual(const struct command *c, const struct help *h)
{
    printf("NAME\n    ocireg %s - %s\n\n", h->name, h->summary);
    printf("SYNOPSIS\n    ocireg [OPTIONS] %s\n\n", c->synopsis);
    printf("DESCRIPTION\n%s\n", h->description);
    if (h->options != NULL)
        printf("OPTIONS\n%s\n", h->options);
    printf("GLOBAL OPTIONS\n%s\n", global_options);
    printf("EXAMPLES\n%s\n", h->examples);
    printf("EXIT STATUS\n%s", exit_status);
    return finish_stdout();
}

/* Every command of the dispatch table has a manual, and every manual a
 * command: 0, or 1 naming what is missing. */
static int check_tables(void)
{
    size_t i, n;
    int rc = 0;
    const struct command *commands = cli_commands(&n);
    for (i = 0; i < n; i++) {
        const struct help *h = find_help(commands[i].name);
        if (h == NULL || *h->summary == '\0' || *h->description == '\0' ||
            *h->examples == '\0') {
            fprintf(stderr, "ocireg: no help for %s\n", commands[i].name);
            rc = 1;
        }
    }
    for (i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (find_command_named(helps[i].name) == NULL) {
            fprintf(stderr, "ocireg: help for %s, which is no command\n", helps[i].name);
            rc = 1;
        }
    }
    return rc;
}

/* The options that take their value as the next argument. */
static int takes_value(const char *arg)
{
    static const char *const with_value[] = {
        "--insecure-registry", "--ca-file", "--auth-file", "--authfile", "--limit",
        "--platform", "--artifact-type", "--media-type", "--format", "--subject",
        "--data-file", "-u", "-p", "-j", "-H", "--scope", "--annotation", "--mount-from",
        "--timeout", "--connect-timeout", "--read-timeout", "--retries", "--max-list",
        "--page-size", "--cert-dir", "--oauth2-client-id", "--registries-conf",
        "--token-cache", "--registries.d", "--referrers-type", "--ranged", "--resume-dir"};
    size_t i;
    for (i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(arg, with_value[i]) == 0)
            return 1;
    return 0;
}

/*
 * `ocireg help [CMD]`, `ocireg [...] --help [...]`: prints the help and
 * returns the exit status; -1 when the command line asks for no help.
 */
int help_main(int argc, char **argv)
{
    const char *words[2] = {NULL, NULL};
    char name[64];
    const struct command *c;
    const struct help *h;
    int i, nwords = 0, wanted = 0;
    if (argc == 3 && strcmp(argv[1], "help") == 0 && strcmp(argv[2], "--check") == 0)
        return check_tables();
    if (argc == 3 && strcmp(argv[1], "help") == 0 && strcmp(argv[2], "--list") == 0) {
        size_t k, n;
        const struct command *commands = cli_commands(&n);
        for (k = 0; k < n; k++)
            puts(commands[k].name);
        return finish_stdout();
    }
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            break;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            wanted = 1;
        else if (arg[0] == '-' && arg[1] != '\0' && takes_value(arg))
            i++;
        else if (arg[0] == '-' && arg[1] != '\0')
            continue;
        else if (nwords == 0 && !wanted && strcmp(arg, "help") == 0)
            wanted = 1; /* `ocireg help [CMD]` */
        else if (nwords < 2)
            words[nwords++] = arg;
    }
    if (!wanted)
        return -1;
    if (nwords == 0)
        return print_overview();
    /* A command group (`artifact push`, `signatures put`): two words. */
    snprintf(name, sizeof name, "%s %s", words[0], nwords == 2 ? words[1] : "");
    if (nwords < 2 || find_command_named(name) == NULL)
        snprintf(name, sizeof name, "%s", words[0]);
    c = find_command_named(name);
    h = find_help(name);
    if (c == NULL || h == NULL)
        return usage_error("no help for", name);
    return print_manual(c, h);
}
