/*
 * Indexes authored: an index of images with the platforms their configs
 * name, changed (an image added, entries removed by platform and by
 * digest, annotations set and removed), checked byte for byte; bad input
 * refused with nothing pushed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* An image with no layers whose config names linux/`arch`. */
struct pimage {
    char digest[72];
    size_t size;
    const char *arch;
};

static void push_platform_image(ocireg_client *c, const char *repo, const char *arch,
                                struct pimage *out)
{
    char config[256], json[1024], ref[512], *cd = NULL, *md = NULL;
    int clen = snprintf(config, sizeof config,
                        "{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                        "\"diff_ids\":[]}}", arch);
    int mlen;
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)config, (size_t)clen, NULL, &cd));
    mlen = snprintf(json, sizeof json,
                    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
                    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%d},"
                    "\"layers\":[]}", OCI_MANIFEST, cd, clen);
    snprintf(ref, sizeof ref, "%s:%s", repo, arch);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, (size_t)mlen, OCI_MANIFEST,
                                        NULL, &md));
    sha256_digest((const uint8_t *)json, (size_t)mlen, out->digest);
    CHECK_STREQ(md, out->digest);
    out->size = (size_t)mlen;
    out->arch = arch;
    ocireg_string_free(cd);
    ocireg_string_free(md);
}

/* The index of `images` with `annotations` (a JSON object or NULL), as
 * oras writes it. */
static void index_json(char *out, size_t cap, const struct pimage *const *images, size_t n,
                       const char *annotations)
{
    size_t i, len = (size_t)snprintf(out, cap, "{\"schemaVersion\":2,\"mediaType\":\"%s\","
                                                "\"manifests\":[", OCI_INDEX);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len,
                                "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%u,"
                                "\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}",
                                i > 0 ? "," : "", OCI_MANIFEST, images[i]->digest,
                                (unsigned)images[i]->size, images[i]->arch);
    len += (size_t)snprintf(out + len, cap - len, "]");
    if (annotations != NULL)
        len += (size_t)snprintf(out + len, cap - len, ",\"annotations\":%s", annotations);
    snprintf(out + len, cap - len, "}");
}

/* The index at `ref` is `want`, and its digest `digest` (unless NULL). */
static void check_index(ocireg_client *c, const char *ref, const char *want, const char *digest)
{
    ocireg_content *m = NULL;
    size_t len = 0;
    const uint8_t *bytes;
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    bytes = ocireg_content_bytes(m, &len);
    CHECK(len == strlen(want) && memcmp(bytes, want, len) == 0);
    if (len != strlen(want) || memcmp(bytes, want, len) != 0)
        fprintf(stderr, "got  %.*s\nwant %s\n", (int)len, (const char *)bytes, want);
    CHECK_STREQ(ocireg_content_media_type(m), OCI_INDEX);
    if (digest != NULL)
        CHECK_STREQ(ocireg_content_digest(m), digest);
    ocireg_content_free(m);
}

static void test_index_create_and_update(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_index_options *o = ocireg_index_options_new();
    ocireg_index_update *u;
    struct pimage amd, arm, s390;
    const struct pimage *all[3];
    char repo[256], target[512], src[2][512], want[4096], *digest = NULL;
    const char *sources[2];
    repo_ref(repo, sizeof repo, &registries()[0], "c/index");
    push_platform_image(c, repo, "amd64", &amd);
    push_platform_image(c, repo, "arm64", &arm);
    push_platform_image(c, repo, "s390x", &s390);
    snprintf(target, sizeof target, "%s:multi", repo);
    snprintf(src[0], sizeof src[0], "%s:amd64", repo);
    snprintf(src[1], sizeof src[1], "%s@%s", repo, arm.digest);
    sources[0] = src[0];
    sources[1] = src[1];

    CHECK_OK(ocireg_index_options_add_annotation(o, "k", "v"));
    CHECK_STATUS(ocireg_index_options_add_annotation(o, "", "v"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_index_options_set_artifact_type(o, ""), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_client_index_create(c, target, sources, 2, o, NULL, &digest));
    all[0] = &amd;
    all[1] = &arm;
    index_json(want, sizeof want, all, 2, "{\"k\":\"v\"}");
    check_index(c, target, want, digest);
    ocireg_string_free(digest);

    /* Add the third image. */
    u = ocireg_index_update_new();
    snprintf(src[0], sizeof src[0], "%s:s390x", repo);
    CHECK_OK(ocireg_index_update_add(u, src[0]));
    CHECK_OK(ocireg_client_index_update(c, target, u, NULL, NULL));
    ocireg_index_update_free(u);
    all[2] = &s390;
    index_json(want, sizeof want, all, 3, "{\"k\":\"v\"}");
    check_index(c, target, want, NULL);

    /* Remove one by platform, one by digest. */
    u = ocireg_index_update_new();
    CHECK_OK(ocireg_index_update_remove_platform(u, "linux/arm64"));
    CHECK_OK(ocireg_index_update_remove_digest(u, amd.digest));
    CHECK_STATUS(ocireg_index_update_remove_platform(u, "linux"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_index_update_remove_digest(u, "sha256:short"), OCIREG_ERR_INVALID_DIGEST);
    CHECK_OK(ocireg_client_index_update(c, target, u, NULL, &digest));
    ocireg_index_update_free(u);
    all[0] = &s390;
    index_json(want, sizeof want, all, 1, "{\"k\":\"v\"}");
    check_index(c, target, want, digest);
    ocireg_string_free(digest);

    /* Annotate: set one, remove one. */
    u = ocireg_index_update_new();
    CHECK_OK(ocireg_index_update_set_annotation(u, "added", "yes"));
    CHECK_OK(ocireg_index_update_remove_annotation(u, "k"));
    CHECK_STATUS(ocireg_index_update_set_annotation(u, "", "x"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_index_update_remove_annotation(u, ""), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_client_index_update(c, target, u, NULL, NULL));
    ocireg_index_update_free(u);
    index_json(want, sizeof want, all, 1, "{\"added\":\"yes\"}");
    check_index(c, target, want, NULL);

    CHECK_STATUS(ocireg_client_index_update(c, target, NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_index_create(c, target, NULL, 1, NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    ocireg_index_options_free(o);
    ocireg_index_options_free(NULL);
    ocireg_index_update_free(NULL);
    ocireg_client_free(c);
}

/* `repo` has no tag `bad`. */
static void check_no_bad_tag(ocireg_client *c, const char *repo)
{
    ocireg_string_list *tags = NULL;
    CHECK_OK(ocireg_client_tags(c, repo, NULL, &tags));
    CHECK(!list_has(tags, "bad"));
    ocireg_string_list_free(tags);
}

static void test_index_bad_input(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_index_update *u;
    struct pimage amd;
    char repo[256], bad[512], idx[512], one[512], missing[512], *before = NULL;
    const char *sources[1001];
    ocireg_content *m = NULL;
    size_t i;
    repo_ref(repo, sizeof repo, &registries()[0], "c/index-bad");
    push_platform_image(c, repo, "amd64", &amd);
    snprintf(bad, sizeof bad, "%s:bad", repo);
    snprintf(idx, sizeof idx, "%s:idx", repo);
    snprintf(one, sizeof one, "%s:amd64", repo);
    snprintf(missing, sizeof missing, "%s:missing", repo);
    sources[0] = one;
    CHECK_OK(ocireg_client_index_create(c, idx, sources, 1, NULL, NULL, &before));

    sources[0] = idx;
    CHECK_STATUS(ocireg_client_index_create(c, bad, sources, 1, NULL, NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "is an index") != NULL);
    sources[0] = missing;
    CHECK_STATUS(ocireg_client_index_create(c, bad, sources, 1, NULL, NULL, NULL),
                 OCIREG_ERR_NOT_FOUND);
    for (i = 0; i < 1001; i++)
        sources[i] = one;
    CHECK_STATUS(ocireg_client_index_create(c, bad, sources, 2, NULL, NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "twice") != NULL);
    CHECK_STATUS(ocireg_client_index_create(c, bad, sources, 1001, NULL, NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "at most 1000") != NULL);
    check_no_bad_tag(c, repo);

    /* A platform or digest in no entry, an index to add: NOT_FOUND or
     * INVALID_ARGUMENT, and the index stays. */
    u = ocireg_index_update_new();
    CHECK_OK(ocireg_index_update_remove_platform(u, "linux/arm64"));
    CHECK_STATUS(ocireg_client_index_update(c, idx, u, NULL, NULL), OCIREG_ERR_NOT_FOUND);
    ocireg_index_update_free(u);
    u = ocireg_index_update_new();
    CHECK_OK(ocireg_index_update_add(u, idx));
    CHECK_STATUS(ocireg_client_index_update(c, idx, u, NULL, NULL), OCIREG_ERR_INVALID_ARGUMENT);
    /* An image is no index to update. */
    CHECK_STATUS(ocireg_client_index_update(c, one, u, NULL, NULL), OCIREG_ERR_INVALID_ARGUMENT);
    ocireg_index_update_free(u);
    CHECK_OK(ocireg_client_manifest_get(c, idx, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), before);
    ocireg_content_free(m);
    ocireg_string_free(before);
    ocireg_client_free(c);
}

const struct test index_tests[] = {
    {"index_create_and_update", test_index_create_and_update, NEEDS_PLAIN},
    {"index_bad_input", test_index_bad_input, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
