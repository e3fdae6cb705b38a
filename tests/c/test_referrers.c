/*
 * The referrer graph through the C API, on distribution 2.8.2 (the
 * tag-schema fallback) and on the registry with the referrers API
 * (OCIREG_TEST_REFERRERS): each entry's kind and annotations, a delete
 * that keeps listings and later pushes correct, and copies that carry the
 * referrers (all, by artifact type, none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define SIG_TYPE "application/vnd.example.signature"

/* Pushes an artifact whose subject is `img` (annotated n=`seed`) to `repo`
 * by digest; its digest goes to `out`. */
static void push_referrer(ocireg_client *c, const char *repo, const struct image *img,
                          unsigned seed, char out[72])
{
    char json[2048], ref[512], empty[72], *dg = NULL;
    int n;
    sha256_digest((const uint8_t *)"{}", 2, empty);
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)"{}", 2, NULL, &dg));
    CHECK_STREQ(dg, empty);
    ocireg_string_free(dg);
    n = snprintf(json, sizeof json,
                 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\","
                 "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2},"
                 "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2}],"
                 "\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
                 "\"annotations\":{\"a.first\":\"x\",\"n\":\"%u\"}}",
                 OCI_MANIFEST, SIG_TYPE, OCI_EMPTY, empty, OCI_EMPTY, empty, OCI_MANIFEST,
                 img->manifest, img->manifest_len, seed);
    CHECK(n > 0 && (size_t)n < sizeof json);
    sha256_digest((const uint8_t *)json, (size_t)n, out);
    snprintf(ref, sizeof ref, "%s@%s", repo, out);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, (size_t)n, OCI_MANIFEST,
                                        NULL, &dg));
    CHECK_STREQ(dg, out);
    ocireg_string_free(dg);
}

/* Whether `list` holds exactly the digests `a` and `b` (b may be NULL),
 * each of kind `kind`. */
static int lists_exactly(const ocireg_descriptor_list *list, ocireg_referrer_kind kind,
                         const char *a, const char *b)
{
    size_t n = ocireg_descriptor_list_len(list), k;
    if (n != (b ? 2u : 1u)) return 0;
    for (k = 0; k < n; k++) {
        const char *dg = ocireg_descriptor_list_digest(list, k);
        if (ocireg_descriptor_list_kind(list, k) != kind) return 0;
        if (strcmp(dg, a) != 0 && (!b || strcmp(dg, b) != 0)) return 0;
    }
    return 1;
}

static void graph_on(const char *host, int insecure, ocireg_referrer_kind kind)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    ocireg_descriptor_list *d = NULL;
    struct image img;
    char repo[256], ref[512], a[72], b[72], n2[4];
    const char *dg;
    const char *run = getenv("OCIREG_C_RUN");
    if (insecure) CHECK_OK(ocireg_options_add_insecure_registry(o, host));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/ctest/graph%s", host, run ? run : "");
    push_image(c, repo, "app", 31, &img);
    snprintf(ref, sizeof ref, "%s:app", repo);
    push_referrer(c, repo, &img, 1, a);
    push_referrer(c, repo, &img, 2, b);

    CHECK_OK(ocireg_client_referrers(c, ref, NULL, NULL, &d));
    CHECK(lists_exactly(d, kind, a, b));
    /* Annotations, sorted by key; artifact type as pushed (on the API
     * registry too, which reports the empty config's type: corrected). */
    CHECK(ocireg_descriptor_list_annotations_len(d, 0) == 2);
    CHECK_STREQ(ocireg_descriptor_list_annotation_key(d, 0, 0), "a.first");
    CHECK_STREQ(ocireg_descriptor_list_annotation_value(d, 0, 0), "x");
    CHECK_STREQ(ocireg_descriptor_list_annotation_key(d, 0, 1), "n");
    dg = ocireg_descriptor_list_annotation_value(d, 0, 1);
    snprintf(n2, sizeof n2, "%s", strcmp(ocireg_descriptor_list_digest(d, 0), a) == 0 ? "1" : "2");
    CHECK_STREQ(dg, n2);
    CHECK(ocireg_descriptor_list_annotation_key(d, 0, 2) == NULL);
    CHECK(ocireg_descriptor_list_annotation_value(d, 0, 2) == NULL);
    CHECK(ocireg_descriptor_list_annotations_len(d, 2) == 0);
    CHECK_STREQ(ocireg_descriptor_list_artifact_type(d, 1), SIG_TYPE);
    CHECK(ocireg_descriptor_list_kind(d, 2) == OCIREG_REFERRER_NONE);
    ocireg_descriptor_list_free(d);

    /* Delete one: only the live one is listed, and a push still works. */
    snprintf(ref, sizeof ref, "%s@%s", repo, a);
    CHECK_OK(ocireg_client_manifest_delete(c, ref, NULL));
    snprintf(ref, sizeof ref, "%s:app", repo);
    CHECK_OK(ocireg_client_referrers(c, ref, NULL, NULL, &d));
    CHECK(lists_exactly(d, kind, b, NULL));
    ocireg_descriptor_list_free(d);
    push_referrer(c, repo, &img, 3, a);
    CHECK_OK(ocireg_client_referrers(c, ref, NULL, NULL, &d));
    CHECK(lists_exactly(d, kind, a, b));
    ocireg_descriptor_list_free(d);
    ocireg_client_free(c);
}

static void test_graph_fallback(void)
{
    graph_on(registries()[0].host, 0, OCIREG_REFERRER_FALLBACK);
}

static void test_graph_referrers_api(void)
{
    graph_on(env_req("OCIREG_TEST_REFERRERS"), 1, OCIREG_REFERRER_API);
}

/* Copies `repo`:app to `dst`:app with `options`; the referrers listed there. */
static ocireg_descriptor_list *copy_and_list(ocireg_client *c, const char *repo, const char *dst,
                                             const ocireg_image_options *options)
{
    char from[512], to[512], *dg = NULL;
    ocireg_descriptor_list *d = NULL;
    snprintf(from, sizeof from, "%s:app", repo);
    snprintf(to, sizeof to, "%s:app", dst);
    CHECK_OK(ocireg_client_image_copy(c, from, to, options, NULL, &dg));
    ocireg_string_free(dg);
    CHECK_OK(ocireg_client_referrers(c, to, NULL, NULL, &d));
    return d;
}

/* Copy with the referrers: all of them, those of a type, none. */
static void copy_graph_on(const char *host, int insecure, ocireg_referrer_kind kind)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    ocireg_image_options *io = ocireg_image_options_new();
    ocireg_descriptor_list *d;
    struct image img;
    char repo[256], dst[256], a[72], b[72];
    const char *run = getenv("OCIREG_C_RUN");
    if (insecure) CHECK_OK(ocireg_options_add_insecure_registry(o, host));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/ctest/copysrc%s", host, run ? run : "");
    push_image(c, repo, "app", 41, &img);
    push_referrer(c, repo, &img, 1, a);
    push_referrer(c, repo, &img, 2, b);

    snprintf(dst, sizeof dst, "%s/ctest/copynone%s", host, run ? run : "");
    d = copy_and_list(c, repo, dst, io);
    CHECK(ocireg_descriptor_list_len(d) == 0);
    ocireg_descriptor_list_free(d);

    CHECK_OK(ocireg_image_options_set_referrers(io, OCIREG_REFERRERS_ALL));
    snprintf(dst, sizeof dst, "%s/ctest/copyall%s", host, run ? run : "");
    d = copy_and_list(c, repo, dst, io);
    CHECK(lists_exactly(d, kind, a, b));
    ocireg_descriptor_list_free(d);

    CHECK_OK(ocireg_image_options_add_referrer_artifact_type(io, "application/vnd.example.other"));
    snprintf(dst, sizeof dst, "%s/ctest/copyother%s", host, run ? run : "");
    d = copy_and_list(c, repo, dst, io);
    CHECK(ocireg_descriptor_list_len(d) == 0);
    ocireg_descriptor_list_free(d);

    CHECK_OK(ocireg_image_options_add_referrer_artifact_type(io, SIG_TYPE));
    snprintf(dst, sizeof dst, "%s/ctest/copysig%s", host, run ? run : "");
    d = copy_and_list(c, repo, dst, io);
    CHECK(lists_exactly(d, kind, a, b));
    ocireg_descriptor_list_free(d);

    ocireg_image_options_free(io);
    ocireg_client_free(c);
}

static void test_copy_graph_fallback(void)
{
    copy_graph_on(registries()[0].host, 0, OCIREG_REFERRER_FALLBACK);
}

static void test_copy_graph_referrers_api(void)
{
    copy_graph_on(env_req("OCIREG_TEST_REFERRERS"), 1, OCIREG_REFERRER_API);
}

static void test_referrers_mode_arguments(void)
{
    ocireg_image_options *io = ocireg_image_options_new();
    CHECK_STATUS(ocireg_image_options_set_referrers(io, 7), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_image_options_set_referrers(NULL, OCIREG_REFERRERS_ALL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_image_options_add_referrer_artifact_type(io, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_image_options_add_referrer_artifact_type(io, "\xff"),
                 OCIREG_ERR_INVALID_UTF8);
    CHECK_OK(ocireg_image_options_set_referrers(io, OCIREG_REFERRERS_NONE));
    ocireg_image_options_free(io);
}

static void test_kind_names(void)
{
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_API), "referrers-api");
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_FALLBACK), "fallback");
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_COSIGN_SIGNATURE), "cosign-signature");
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_COSIGN_ATTESTATION),
                "cosign-attestation");
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_COSIGN_SBOM), "cosign-sbom");
    CHECK_STREQ(ocireg_referrer_kind_str(OCIREG_REFERRER_NONE), "none");
    CHECK_STREQ(ocireg_referrer_kind_str(12345), "none");
    CHECK(ocireg_descriptor_list_kind(NULL, 0) == OCIREG_REFERRER_NONE);
    CHECK(ocireg_descriptor_list_annotations_len(NULL, 0) == 0);
    CHECK(ocireg_descriptor_list_annotation_key(NULL, 0, 0) == NULL);
    CHECK(ocireg_descriptor_list_annotation_value(NULL, 0, 0) == NULL);
}

const struct test referrers_tests[] = {
    {"kind_names", test_kind_names, 0},
    {"graph_fallback", test_graph_fallback, NEEDS_PLAIN},
    {"graph_referrers_api", test_graph_referrers_api, NEEDS_PLAIN},
    {"referrers_mode_arguments", test_referrers_mode_arguments, 0},
    {"copy_graph_fallback", test_copy_graph_fallback, NEEDS_PLAIN},
    {"copy_graph_referrers_api", test_copy_graph_referrers_api, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
