/* push: pushes FILE as the single layer of an OCI image, with a minimal
 * config, tagged TAG, and prints the manifest digest.
 *
 * Build: cc push.c $(pkg-config --cflags --libs ocireg) -o push
 * Run:   ./push [--insecure] REPOSITORY FILE TAG
 *        ./push --insecure localhost:5000/demo rootfs.tar v1
 *
 * --insecure allows plain HTTP for the registry of REPOSITORY;
 * OCIREG_INSECURE=host[:port] does the same for that host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ocireg.h>

#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

/* The read callback: the next bytes of the FILE; 0 bytes at its end. */
static int read_file(void *userdata, uint8_t *buf, size_t cap, size_t *len_out)
{
    *len_out = fread(buf, 1, cap, (FILE *)userdata);
    return ferror((FILE *)userdata);
}

static int fail(const char *what, ocireg_status status)
{
    const char *detail = ocireg_last_error_message();
    fprintf(stderr, "push: %s: %s: %s\n", what, ocireg_status_str(status),
            detail ? detail : "");
    return 1;
}

int main(int argc, char **argv)
{
    int insecure = argc > 1 && strcmp(argv[1], "--insecure") == 0;
    const char *repo = argv[1 + insecure], *path = argv[2 + insecure];
    const char *tag = argv[3 + insecure];
    char config[512], manifest[1024], ref[1024];
    char *layer = NULL, *config_digest = NULL, *digest = NULL;
    ocireg_options *options = ocireg_options_new();
    ocireg_client *client = NULL;
    ocireg_status st;
    long size;
    FILE *in;

    if (argc != 4 + insecure) {
        fprintf(stderr, "usage: push [--insecure] REPOSITORY FILE TAG\n");
        return 2;
    }
    if (insecure) { /* the registry is what comes before the first '/' */
        snprintf(ref, sizeof ref, "%.*s", (int)strcspn(repo, "/"), repo);
        ocireg_options_add_insecure_registry(options, ref);
    }
    if (getenv("OCIREG_INSECURE"))
        ocireg_options_add_insecure_registry(options, getenv("OCIREG_INSECURE"));
    st = ocireg_client_new(options, &client);
    ocireg_options_free(options);
    if (st != OCIREG_OK) return fail("creating the client", st);
    if (!(in = fopen(path, "rb"))) { perror(path); return 1; }

    /* 1. The layer, streamed from the file in chunks. */
    st = ocireg_client_blob_push_from(client, repo, read_file, in, NULL, NULL, NULL, &layer);
    size = ftell(in);
    fclose(in);
    if (st != OCIREG_OK) return fail("pushing the layer", st);

    /* 2. A minimal config: the layer is an uncompressed tar, so its
     *    diff_id is its digest. */
    snprintf(config, sizeof config,
             "{\"architecture\":\"amd64\",\"os\":\"linux\","
             "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", layer);
    st = ocireg_client_blob_push(client, repo, (const uint8_t *)config,
                                 strlen(config), NULL, &config_digest);
    if (st != OCIREG_OK) return fail("pushing the config", st);

    /* 3. The manifest naming both, tagged TAG. */
    snprintf(manifest, sizeof manifest,
             "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_TYPE "\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
             "\"digest\":\"%s\",\"size\":%lu},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
             "\"digest\":\"%s\",\"size\":%ld}]}",
             config_digest, (unsigned long)strlen(config), layer, size);
    snprintf(ref, sizeof ref, "%s:%s", repo, tag);
    st = ocireg_client_manifest_put(client, ref, (const uint8_t *)manifest,
                                    strlen(manifest), MANIFEST_TYPE, NULL, &digest);
    if (st != OCIREG_OK) return fail("pushing the manifest", st);
    printf("%s\n", digest);

    ocireg_string_free(digest);
    ocireg_string_free(config_digest);
    ocireg_string_free(layer);
    ocireg_client_free(client);
    return 0;
}
