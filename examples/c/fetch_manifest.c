/* fetch_manifest: writes the manifest (or index) of a reference to stdout,
 * byte for byte as the registry sent it, and its media type and digest
 * to stderr.
 *
 * Build: cc fetch_manifest.c $(pkg-config --cflags --libs ocireg) -o fetch_manifest
 * Run:   ./fetch_manifest [--insecure] REFERENCE > manifest.json
 *        ./fetch_manifest --insecure localhost:5000/library/alpine:3.20
 *
 * --insecure allows plain HTTP for the registry of REFERENCE;
 * OCIREG_INSECURE=host[:port] does the same for that host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ocireg.h>

static int fail(const char *what, ocireg_status status)
{
    const char *detail = ocireg_last_error_message();
    fprintf(stderr, "fetch_manifest: %s: %s: %s\n", what,
            ocireg_status_str(status), detail ? detail : "");
    return 1;
}

/* Marks the registry of `ref` ("host[:port]/name...") insecure. */
static void allow_insecure(ocireg_options *options, const char *ref)
{
    char host[256];
    size_t n = strcspn(ref, "/");
    if (n >= sizeof host) n = sizeof host - 1;
    memcpy(host, ref, n);
    host[n] = '\0';
    ocireg_options_add_insecure_registry(options, host);
}

int main(int argc, char **argv)
{
    int insecure = argc > 1 && strcmp(argv[1], "--insecure") == 0;
    const char *reference = argv[1 + insecure];
    ocireg_options *options;
    ocireg_client *client = NULL;
    ocireg_content *manifest = NULL;
    ocireg_status status;
    const uint8_t *bytes;
    size_t len = 0;
    int rc = 0;

    if (argc != 2 + insecure) {
        fprintf(stderr, "usage: fetch_manifest [--insecure] REFERENCE\n");
        return 2;
    }
    options = ocireg_options_new();
    if (insecure) allow_insecure(options, reference);
    if (getenv("OCIREG_INSECURE"))
        ocireg_options_add_insecure_registry(options, getenv("OCIREG_INSECURE"));
    status = ocireg_client_new(options, &client);
    ocireg_options_free(options);
    if (status != OCIREG_OK) return fail("creating the client", status);

    /* Verified against the digest when REFERENCE names one. */
    status = ocireg_client_manifest_get(client, reference, NULL, &manifest);
    if (status != OCIREG_OK) {
        ocireg_client_free(client);
        return fail(reference, status);
    }
    bytes = ocireg_content_bytes(manifest, &len); /* owned by `manifest` */
    if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0) {
        perror("fetch_manifest: writing stdout");
        rc = 1;
    }
    fprintf(stderr, "media type: %s\ndigest: %s\n",
            ocireg_content_media_type(manifest), ocireg_content_digest(manifest));

    ocireg_content_free(manifest);
    ocireg_client_free(client);
    return rc;
}
