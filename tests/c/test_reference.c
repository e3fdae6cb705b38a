/* test_reference.c: references and registry names, parsed and normalized
 * without a registry (ocireg_reference_*, ocireg_registry_normalize). */
#include <stdio.h>

#include "check.h"

#define D "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"

/* A tag or digest accessor's value: NULL is "(none)", for CHECK_STREQ. */
static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

static void check_parts(const char *text, const char *registry, const char *api_host,
                        const char *repository, const char *tag, const char *digest,
                        const char *canonical, const char *familiar)
{
    ocireg_reference *r = NULL, *again = NULL;
    CHECK_OK(ocireg_reference_parse(text, &r));
    CHECK_STREQ(ocireg_reference_registry(r), registry);
    CHECK_STREQ(ocireg_reference_api_host(r), api_host);
    CHECK_STREQ(ocireg_reference_repository(r), repository);
    CHECK_STREQ(or_none(ocireg_reference_tag(r)), or_none(tag));
    CHECK_STREQ(or_none(ocireg_reference_digest(r)), or_none(digest));
    CHECK_STREQ(ocireg_reference_canonical(r), canonical);
    CHECK_STREQ(ocireg_reference_familiar(r), familiar);
    /* The familiar string parses back to the same canonical one. */
    CHECK_OK(ocireg_reference_parse(ocireg_reference_familiar(r), &again));
    CHECK_STREQ(ocireg_reference_canonical(again), canonical);
    ocireg_reference_free(again);
    ocireg_reference_free(r);
}

static void test_reference_parts(void)
{
    check_parts("ubuntu", "docker.io", "registry-1.docker.io", "library/ubuntu", "latest", NULL,
                "docker.io/library/ubuntu:latest", "ubuntu:latest");
    check_parts("index.docker.io/user/app:v1", "docker.io", "registry-1.docker.io", "user/app",
                "v1", NULL, "docker.io/user/app:v1", "user/app:v1");
    check_parts("localhost:5000/a/b@" D, "localhost:5000", "localhost:5000", "a/b", NULL, D,
                "localhost:5000/a/b@" D, "localhost:5000/a/b@" D);
    check_parts("[::1]:5000/x:t@" D, "[::1]:5000", "[::1]:5000", "x", "t", D,
                "[::1]:5000/x:t@" D, "[::1]:5000/x:t@" D);
}

static void test_reference_long_registry(void)
{
    /* The 255-byte limit is on the repository path alone. */
    char text[600], path[300];
    ocireg_reference *r = NULL;
    memset(path, 'a', 255);
    path[255] = '\0';
    snprintf(text, sizeof text, "%s.example.com/%s", "registry-with-a-rather-long-name", path);
    CHECK_OK(ocireg_reference_parse(text, &r));
    CHECK_STREQ(ocireg_reference_repository(r), path);
    ocireg_reference_free(r);
    snprintf(text, sizeof text, "example.com/%sa", path);
    r = (ocireg_reference *)&text; /* not written on failure */
    CHECK_STATUS(ocireg_reference_parse(text, &r), OCIREG_ERR_INVALID_REFERENCE);
    CHECK(r == (ocireg_reference *)&text);
    CHECK(strstr(ocireg_last_error_message(), "more than 255") != NULL);
}

static void test_reference_errors(void)
{
    static const struct {
        const char *text;
        ocireg_status status;
        const char *fragment;
    } bad[] = {
        {"", OCIREG_ERR_INVALID_REFERENCE, "empty"},
        {"Ubuntu", OCIREG_ERR_INVALID_REFERENCE, "must be lowercase"},
        {"ubuntu:", OCIREG_ERR_INVALID_REFERENCE, "tag is empty"},
        {"a//b", OCIREG_ERR_INVALID_REFERENCE, "empty path component"},
        {"localhost:99999/x", OCIREG_ERR_INVALID_REFERENCE, "above 65535"},
        {"ubuntu@sha256:abc", OCIREG_ERR_INVALID_DIGEST, "wrong length"},
    };
    ocireg_reference *r = NULL;
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_STATUS(ocireg_reference_parse(bad[i].text, &r), bad[i].status);
        CHECK(r == NULL);
        CHECK(ocireg_last_error_status() == bad[i].status);
        CHECK(strstr(ocireg_last_error_message(), "invalid reference") != NULL);
        CHECK(strstr(ocireg_last_error_message(), bad[i].fragment) != NULL);
    }
    CHECK_STATUS(ocireg_reference_parse(NULL, &r), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_reference_parse("ubuntu", NULL), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_reference_parse("caf\xc3", &r), OCIREG_ERR_INVALID_UTF8);
    CHECK(r == NULL);
    /* NULL handles: accessors give NULL, free is a no-op. */
    CHECK(ocireg_reference_registry(NULL) == NULL);
    CHECK(ocireg_reference_api_host(NULL) == NULL);
    CHECK(ocireg_reference_repository(NULL) == NULL);
    CHECK(ocireg_reference_tag(NULL) == NULL);
    CHECK(ocireg_reference_digest(NULL) == NULL);
    CHECK(ocireg_reference_canonical(NULL) == NULL);
    CHECK(ocireg_reference_familiar(NULL) == NULL);
    ocireg_reference_free(NULL);
}

static void test_registry_normalize(void)
{
    static const char *const hub[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
                                      "https://index.docker.io/v1/", " Docker.IO "};
    char *out = NULL;
    size_t i;
    for (i = 0; i < sizeof hub / sizeof hub[0]; i++) {
        CHECK_OK(ocireg_registry_normalize(hub[i], &out));
        CHECK_STREQ(out, "docker.io");
        ocireg_string_free(out);
        out = NULL;
    }
    CHECK_OK(ocireg_registry_normalize("Localhost:5000/team/app", &out));
    CHECK_STREQ(out, "localhost:5000");
    ocireg_string_free(out);
    out = NULL;
    CHECK_STATUS(ocireg_registry_normalize("bad_host:5000", &out), OCIREG_ERR_INVALID_REFERENCE);
    CHECK(out == NULL);
    CHECK(strstr(ocireg_last_error_message(), "invalid registry name") != NULL);
    CHECK_STATUS(ocireg_registry_normalize("localhost:", &out), OCIREG_ERR_INVALID_REFERENCE);
    CHECK(strstr(ocireg_last_error_message(), "empty port") != NULL);
    CHECK_STATUS(ocireg_registry_normalize(NULL, &out), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_registry_normalize("docker.io", NULL), OCIREG_ERR_NULL_ARGUMENT);
    CHECK(out == NULL);
}

const struct test reference_tests[] = {
    {"reference_parts", test_reference_parts, 0},
    {"reference_long_registry", test_reference_long_registry, 0},
    {"reference_errors", test_reference_errors, 0},
    {"registry_normalize", test_registry_normalize, 0},
    {NULL, NULL, 0},
};
