/* test_platforms.c: platforms as data (the platforms of an index and of a
 * single image, the manifest of one platform) and the whole registry error
 * body after a failed call (ocireg_last_error_registry_*). */
#define _GNU_SOURCE /* memmem */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* Pushes to `repo`:multi an index over `a` (linux/amd64) and `b`
 * (linux/arm64/v8 with features, plus windows os.version and os.features
 * on a third entry naming `a` again); returns the index's digest. */
static void push_index(ocireg_client *c, const char *repo, const struct image *a,
                       const struct image *b, char digest[72])
{
    char json[2048], ref[600], *dg = NULL;
    int n = snprintf(json, sizeof json,
        "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
        "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lu,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lu,"
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\","
        "\"features\":[\"f1\",\"f2\"]}},"
        "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lu,"
        "\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\","
        "\"os.version\":\"10.0.17763.1757\",\"os.features\":[\"win32k\"]}}]}",
        OCI_INDEX, OCI_MANIFEST, a->manifest, (unsigned long)a->manifest_len,
        OCI_MANIFEST, b->manifest, (unsigned long)b->manifest_len,
        OCI_MANIFEST, a->manifest, (unsigned long)a->manifest_len);
    CHECK(n > 0 && (size_t)n < sizeof json);
    snprintf(ref, sizeof ref, "%s:multi", repo);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, (size_t)n,
                                        OCI_INDEX, NULL, &dg));
    sha256_digest((const uint8_t *)json, (size_t)n, digest);
    CHECK_STREQ(dg, digest);
    ocireg_string_free(dg);
}

static void test_platforms_of_an_index(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_platform_list *l = NULL;
    ocireg_content *m = NULL;
    struct image a, b;
    char repo[512], ref[600], index[72];
    const uint8_t *bytes;
    size_t len = 0;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &registries()[i], "c/platforms");
        push_image(c, repo, NULL, 31, &a);
        push_image(c, repo, "single", 32, &b);
        push_index(c, repo, &a, &b, index);

        snprintf(ref, sizeof ref, "%s:multi", repo);
        CHECK_OK(ocireg_client_platforms_get(c, ref, NULL, &l));
        CHECK(ocireg_platform_list_len(l) == 3);
        CHECK_STREQ(ocireg_platform_list_os(l, 0), "linux");
        CHECK_STREQ(ocireg_platform_list_architecture(l, 0), "amd64");
        CHECK(ocireg_platform_list_variant(l, 0) == NULL);
        CHECK(ocireg_platform_list_os_version(l, 0) == NULL);
        CHECK(ocireg_platform_list_os_feature_count(l, 0) == 0);
        CHECK(ocireg_platform_list_feature_count(l, 0) == 0);
        CHECK_STREQ(ocireg_platform_list_digest(l, 0), a.manifest);
        CHECK(ocireg_platform_list_size(l, 0) == a.manifest_len);
        CHECK_STREQ(ocireg_platform_list_media_type(l, 0), OCI_MANIFEST);
        CHECK_STREQ(ocireg_platform_list_architecture(l, 1), "arm64");
        CHECK_STREQ(ocireg_platform_list_variant(l, 1), "v8");
        CHECK(ocireg_platform_list_feature_count(l, 1) == 2);
        CHECK_STREQ(ocireg_platform_list_feature(l, 1, 0), "f1");
        CHECK_STREQ(ocireg_platform_list_feature(l, 1, 1), "f2");
        CHECK(ocireg_platform_list_feature(l, 1, 2) == NULL);
        CHECK_STREQ(ocireg_platform_list_digest(l, 1), b.manifest);
        CHECK_STREQ(ocireg_platform_list_os(l, 2), "windows");
        CHECK_STREQ(ocireg_platform_list_os_version(l, 2), "10.0.17763.1757");
        CHECK(ocireg_platform_list_os_feature_count(l, 2) == 1);
        CHECK_STREQ(ocireg_platform_list_os_feature(l, 2, 0), "win32k");
        /* Out of range: NULL and 0, never a crash. */
        CHECK(ocireg_platform_list_os(l, 3) == NULL);
        CHECK(ocireg_platform_list_digest(l, (size_t)-1) == NULL);
        CHECK(ocireg_platform_list_size(l, 3) == 0);
        CHECK(ocireg_platform_list_os_feature_count(l, 3) == 0);
        ocireg_platform_list_free(l);
        l = NULL;

        /* By the index's digest: the same list. */
        snprintf(ref, sizeof ref, "%s@%s", repo, index);
        CHECK_OK(ocireg_client_platforms_get(c, ref, NULL, &l));
        CHECK(ocireg_platform_list_len(l) == 3);
        ocireg_platform_list_free(l);
        l = NULL;

        /* A single image: its platform from its config. */
        snprintf(ref, sizeof ref, "%s:single", repo);
        CHECK_OK(ocireg_client_platforms_get(c, ref, NULL, &l));
        CHECK(ocireg_platform_list_len(l) == 1);
        CHECK_STREQ(ocireg_platform_list_os(l, 0), "linux");
        CHECK_STREQ(ocireg_platform_list_architecture(l, 0), "amd64");
        CHECK_STREQ(ocireg_platform_list_digest(l, 0), b.manifest);
        CHECK(ocireg_platform_list_size(l, 0) == b.manifest_len);
        ocireg_platform_list_free(l);
        l = NULL;

        /* The manifest of one platform. */
        snprintf(ref, sizeof ref, "%s:multi", repo);
        CHECK_OK(ocireg_client_manifest_get_platform(c, ref, "linux/arm64/v8", NULL, &m));
        CHECK_STREQ(ocireg_content_digest(m), b.manifest);
        CHECK_STREQ(ocireg_content_media_type(m), OCI_MANIFEST);
        bytes = ocireg_content_bytes(m, &len);
        CHECK(len == b.manifest_len && memcmp(bytes, b.json, len) == 0);
        ocireg_content_free(m);
        m = NULL;
        CHECK_OK(ocireg_client_manifest_get_platform(c, ref, "linux/amd64", NULL, &m));
        CHECK_STREQ(ocireg_content_digest(m), a.manifest);
        ocireg_content_free(m);
        m = NULL;
        CHECK_STATUS(ocireg_client_manifest_get_platform(c, ref, "linux/s390x", NULL, &m),
                     OCIREG_ERR_NOT_FOUND);
        CHECK(m == NULL);
        CHECK_STATUS(ocireg_client_manifest_get_platform(c, ref, "linux", NULL, &m),
                     OCIREG_ERR_INVALID_ARGUMENT);
    }
    ocireg_client_free(c);
}

static void test_platforms_arguments(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_platform_list *l = NULL;
    ocireg_content *m = NULL;
    CHECK_STATUS(ocireg_client_platforms_get(NULL, "a/b", NULL, &l), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_platforms_get(c, NULL, NULL, &l), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_platforms_get(c, "a/b", NULL, NULL), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_platforms_get(c, "\xff", NULL, &l), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_platforms_get(c, "A:B:C", NULL, &l),
                 OCIREG_ERR_INVALID_REFERENCE);
    CHECK_STATUS(ocireg_client_manifest_get_platform(c, "a/b", "\xff", NULL, &m),
                 OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_manifest_get_platform(c, "a/b", NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK(l == NULL && m == NULL);
    CHECK(ocireg_platform_list_len(NULL) == 0);
    CHECK(ocireg_platform_list_os(NULL, 0) == NULL);
    CHECK(ocireg_platform_list_feature(NULL, 0, 0) == NULL);
    ocireg_platform_list_free(NULL);
    ocireg_client_free(c);
}

static void test_registry_error_entries(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_platform_list *l = NULL;
    char ref[600];
    int i;
    FOR_EACH_REG(i) {
        snprintf(ref, sizeof ref, "%s/c/platforms:no-such-tag", registries()[i].host);
        CHECK_STATUS(ocireg_client_platforms_get(c, ref, NULL, &l), OCIREG_ERR_NOT_FOUND);
        CHECK(ocireg_last_error_registry_count() == 1);
        CHECK_STREQ(ocireg_last_error_registry_entry_code(0), "MANIFEST_UNKNOWN");
        CHECK_STREQ(ocireg_last_error_registry_code(), "MANIFEST_UNKNOWN");
        CHECK(ocireg_last_error_registry_entry_message(0) != NULL &&
              *ocireg_last_error_registry_entry_message(0) != '\0');
        /* The detail is the registry's JSON, naming the tag. */
        CHECK(ocireg_last_error_registry_entry_detail(0) != NULL &&
              ocireg_last_error_registry_entry_detail(0)[0] == '{' &&
              strstr(ocireg_last_error_registry_entry_detail(0), "no-such-tag") != NULL);
        CHECK(ocireg_last_error_registry_entry_code(1) == NULL);
        CHECK(ocireg_last_error_registry_entry_message(1) == NULL);
        CHECK(ocireg_last_error_registry_entry_detail((size_t)-1) == NULL);
        /* A failure without a response has no entries. */
        CHECK_STATUS(ocireg_client_platforms_get(c, ref, NULL, NULL), OCIREG_ERR_NULL_ARGUMENT);
        CHECK(ocireg_last_error_registry_count() == 0);
        CHECK(ocireg_last_error_registry_entry_code(0) == NULL);
    }
    ocireg_last_error_clear();
    CHECK(ocireg_last_error_registry_count() == 0);
    ocireg_client_free(c);
}

/* copy with a platform subset: an index naming only the chosen images (a
 * new digest), the registry holding each; an unknown platform fails with
 * NOT_FOUND and writes nothing. */
static void test_platform_subset_copy(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_image_options *o = ocireg_image_options_new();
    ocireg_content *m = NULL;
    struct image a, b;
    char repo[512], ref[600], dst[700], index[72], *dg = NULL;
    const char *text;
    size_t len = 0;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &registries()[i], "c/subset");
        push_image(c, repo, NULL, 33, &a);
        push_image(c, repo, NULL, 34, &b);
        push_index(c, repo, &a, &b, index);
        snprintf(ref, sizeof ref, "%s:multi", repo);
        snprintf(dst, sizeof dst, "%s-two:v1", repo);
        CHECK_OK(ocireg_image_options_set_platform(o, "linux/arm64,linux/amd64"));
        CHECK_OK(ocireg_client_image_copy(c, ref, dst, o, NULL, &dg));
        CHECK(dg != NULL && strcmp(dg, index) != 0);
        CHECK_OK(ocireg_client_manifest_get(c, dst, NULL, &m));
        text = (const char *)ocireg_content_bytes(m, &len);
        CHECK_STREQ(ocireg_content_digest(m), dg);
        CHECK(text != NULL && memmem(text, len, a.manifest, strlen(a.manifest)) != NULL);
        CHECK(text != NULL && memmem(text, len, b.manifest, strlen(b.manifest)) != NULL);
        CHECK(text != NULL && memmem(text, len, "windows", 7) == NULL);
        ocireg_content_free(m);
        ocireg_string_free(dg);
        snprintf(dst, sizeof dst, "%s@%s", repo, b.manifest);
        CHECK_OK(ocireg_client_manifest_head(c, dst, NULL, NULL, NULL, NULL));

        /* An unknown platform: NOT_FOUND, naming it; nothing tagged. */
        dg = (char *)&len;
        snprintf(dst, sizeof dst, "%s-none:v1", repo);
        CHECK_OK(ocireg_image_options_set_platform(o, "linux/amd64,linux/s390x"));
        CHECK_STATUS(ocireg_client_image_copy(c, ref, dst, o, NULL, &dg), OCIREG_ERR_NOT_FOUND);
        CHECK(dg == (char *)&len);
        CHECK(strstr(ocireg_last_error_message(), "linux/s390x") != NULL);
        CHECK_STATUS(ocireg_client_manifest_head(c, dst, NULL, NULL, NULL, NULL),
                     OCIREG_ERR_NOT_FOUND);
        dg = NULL;
    }
    ocireg_image_options_free(o);
    ocireg_client_free(c);
}

const struct test platforms_tests[] = {
    {"platforms_of_an_index", test_platforms_of_an_index, NEEDS_ANY},
    {"platforms_arguments", test_platforms_arguments, 0},
    {"registry_error_entries", test_registry_error_entries, NEEDS_ANY},
    {"platform_subset_copy", test_platform_subset_copy, NEEDS_ANY},
    {NULL, NULL, 0},
};
