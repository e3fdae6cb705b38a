/* test_registries_conf.c: registries.conf over the C API: a mirror (the
 * harness's distribution v3) serving before the primary (the plain
 * registry), the endpoint that served, a blocked registry refused before
 * any request, and bad files refused by ocireg_client_new naming them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

/* Writes `text` to a fresh file under /tmp; its path goes into `path`. */
static void write_conf(char *path, size_t cap, const char *name, const char *text)
{
    FILE *f;
    snprintf(path, cap, "/tmp/ocireg-c-regconf-%ld-%s.conf", (long)getpid(), name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A client following the registries.conf at `path` (NULL on failure). */
static ocireg_client *conf_client(const char *path, ocireg_status *status)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_registries_conf(o, path));
    *status = ocireg_client_new(o, &c);
    ocireg_options_free(o);
    return c;
}

static void test_mirror_serves_first(void)
{
    const struct reg *plain = &registries()[0];
    struct reg mirror = {"dist3", env_req("OCIREG_TEST_DIST3")};
    ocireg_client *pusher = make_client(NULL);
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    ocireg_content *m = NULL;
    ocireg_status st;
    struct image primary_image, mirror_image;
    char primary_repo[256], mirror_repo[256], ref[400], path[256], text[1024], *source = NULL;

    /* The mirror's v1 is another image than the primary's. */
    CHECK_OK(ocireg_options_add_insecure_registry(o, mirror.host));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    repo_ref(primary_repo, sizeof primary_repo, plain, "c/regconf");
    repo_ref(mirror_repo, sizeof mirror_repo, &mirror, "c/regconf");
    push_image(pusher, primary_repo, "v1", 71, &primary_image);
    push_image(c, mirror_repo, "v1", 72, &mirror_image);
    ocireg_client_free(c);

    snprintf(text, sizeof text,
             "[[registry]]\nlocation = \"%s\"\ninsecure = true\n"
             "[[registry.mirror]]\nlocation = \"%s\"\ninsecure = true\n"
             "pull-from-mirror = \"tag-only\"\n",
             plain->host, mirror.host);
    write_conf(path, sizeof path, "mirror", text);
    c = conf_client(path, &st);
    CHECK_OK(st);
    snprintf(ref, sizeof ref, "%s:v1", primary_repo);
    CHECK_OK(ocireg_client_pull_source(c, ref, NULL, &source));
    snprintf(text, sizeof text, "%s:v1", mirror_repo);
    CHECK_STREQ(source, text);
    ocireg_string_free(source);
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), mirror_image.manifest);
    ocireg_content_free(m);
    /* tag-only: a digest goes to the primary. */
    snprintf(ref, sizeof ref, "%s@%s", primary_repo, primary_image.manifest);
    CHECK_OK(ocireg_client_pull_source(c, ref, NULL, &source));
    CHECK_STREQ(source, ref);
    ocireg_string_free(source);
    ocireg_client_free(c);

    /* Without the option, no registries.conf: the primary serves v1. */
    snprintf(ref, sizeof ref, "%s:v1", primary_repo);
    CHECK_OK(ocireg_client_manifest_get(pusher, ref, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), primary_image.manifest);
    ocireg_content_free(m);
    ocireg_client_free(pusher);
    unlink(path);
}

static void test_blocked_and_bad_files(void)
{
    const struct reg *plain = &registries()[0];
    ocireg_client *c;
    ocireg_content *m = NULL;
    ocireg_status st;
    char path[256], text[512], ref[300];

    snprintf(text, sizeof text, "[[registry]]\nlocation = \"%s\"\nblocked = true\n", plain->host);
    write_conf(path, sizeof path, "blocked", text);
    c = conf_client(path, &st);
    CHECK_OK(st);
    repo_ref(ref, sizeof ref, plain, "c/regconf:v1");
    CHECK_STATUS(ocireg_client_manifest_get(c, ref, NULL, &m), OCIREG_ERR_DENIED);
    CHECK(strstr(ocireg_last_error_message(), path) != NULL);
    CHECK(strstr(ocireg_last_error_message(), "blocked") != NULL);
    CHECK(m == NULL);
    ocireg_client_free(c);
    unlink(path);

    write_conf(path, sizeof path, "bad", "[[registry]\nlocation = \"a.io\"\n");
    c = conf_client(path, &st);
    CHECK_STATUS(st, OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK(strstr(ocireg_last_error_message(), path) != NULL);
    CHECK(strstr(ocireg_last_error_message(), "line 1") != NULL);
    unlink(path);

    {
        ocireg_options *o = ocireg_options_new();
        CHECK_STATUS(ocireg_options_set_registries_conf(o, "/nonexistent/registries.conf"),
                     OCIREG_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ocireg_last_error_message(), "/nonexistent/registries.conf") != NULL);
        CHECK_STATUS(ocireg_options_set_registries_conf(o, NULL), OCIREG_ERR_NULL_ARGUMENT);
        CHECK_STATUS(ocireg_options_use_system_registries_conf(NULL, 1), OCIREG_ERR_NULL_ARGUMENT);
        CHECK_OK(ocireg_options_use_system_registries_conf(o, 1));
        CHECK_OK(ocireg_options_use_system_registries_conf(o, 0));
        ocireg_options_free(o);
    }
}

const struct test registries_conf_tests[] = {
    {"registries_conf_mirror_serves_first", test_mirror_serves_first, NEEDS_PLAIN},
    {"registries_conf_blocked_and_bad_files", test_blocked_and_bad_files, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
