/* test_conf_names.c: issue 14 over the C API: short names resolved with a
 * registries.conf (an alias; the unqualified-search registries in order,
 * the first lacking the image; enforcing mode's ambiguity; a write with
 * several candidates), and a pull from the harness's mutual-TLS registry
 * with the client pair only in a certs.d directory. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    char buf[4096];
    size_t n;
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in != NULL && out != NULL);
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        CHECK(fwrite(buf, 1, n, out) == n);
    if (in) fclose(in);
    if (out) fclose(out);
}

static ocireg_client *conf_client(const char *path)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_registries_conf(o, path));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    return c;
}

static void test_short_names(void)
{
    const struct reg *first = &registries()[0];
    const char *second = env_req("OCIREG_TEST_DIST3");
    ocireg_options *o = make_options(NULL);
    ocireg_client *pusher = NULL, *c;
    struct image img;
    char repo[256], path[256], text[1024], want[300], *ref = NULL, *details = NULL;
    long pid = (long)getpid();

    CHECK_OK(ocireg_options_add_insecure_registry(o, second));
    CHECK_OK(ocireg_client_new(o, &pusher));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/c/shortname-%ld", second, pid);
    push_image(pusher, repo, "v1", 81, &img);
    ocireg_client_free(pusher);

    snprintf(path, sizeof path, "/tmp/ocireg-c-short-%ld.conf", pid);
    snprintf(text, sizeof text,
             "unqualified-search-registries = [\"%s\", \"%s\"]\n"
             "short-name-mode = \"permissive\"\n"
             "[[registry]]\nlocation = \"%s\"\ninsecure = true\n"
             "[[registry]]\nlocation = \"%s\"\ninsecure = true\n"
             "[aliases]\n\"c/aliased\" = \"%s\"\n",
             first->host, second, first->host, second, repo);
    write_file(path, text);
    c = conf_client(path);
    snprintf(text, sizeof text, "c/shortname-%ld:v1", pid);
    snprintf(want, sizeof want, "%s:v1", repo);
    CHECK_OK(ocireg_client_resolve_name(c, text, 1, NULL, &ref, &details));
    CHECK_STREQ(ref, want);
    CHECK(details != NULL && strstr(details, "\"rationale\":\"search-registries\"") != NULL);
    CHECK(details != NULL && strstr(details, first->host) != NULL); /* skipped */
    ocireg_string_free(ref);
    ocireg_string_free(details);
    ref = NULL;
    /* Not a pull: two candidates are refused. */
    CHECK_STATUS(ocireg_client_resolve_name(c, text, 0, NULL, &ref, NULL),
                 OCIREG_ERR_INVALID_REFERENCE);
    CHECK(ref == NULL);
    /* The alias, for any use. */
    CHECK_OK(ocireg_client_resolve_name(c, "c/aliased:v1", 0, NULL, &ref, NULL));
    CHECK_STREQ(ref, want);
    ocireg_string_free(ref);
    CHECK_STATUS(ocireg_client_resolve_name(c, "c/aliased:v1", 0, NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    ocireg_client_free(c);

    /* Enforcing: two candidates without a prompt are ambiguous. */
    snprintf(text, sizeof text,
             "unqualified-search-registries = [\"%s\", \"%s\"]\n"
             "short-name-mode = \"enforcing\"\n",
             first->host, second);
    write_file(path, text);
    c = conf_client(path);
    snprintf(text, sizeof text, "c/shortname-%ld:v1", pid);
    ref = NULL;
    CHECK_STATUS(ocireg_client_resolve_name(c, text, 1, NULL, &ref, NULL),
                 OCIREG_ERR_INVALID_REFERENCE);
    CHECK(strstr(ocireg_last_error_message(), "ambiguous") != NULL);
    CHECK(strstr(ocireg_last_error_message(), path) != NULL);
    ocireg_client_free(c);
    unlink(path);

    /* No registries.conf: docker's rule. */
    c = make_client(NULL);
    CHECK_OK(ocireg_client_resolve_name(c, "busybox", 1, NULL, &ref, NULL));
    CHECK_STREQ(ref, "docker.io/library/busybox:latest");
    ocireg_string_free(ref);
    ocireg_client_free(c);
}

static void test_mutual_tls_pair_in_certs_d(void)
{
    const char *mtls = env_req("OCIREG_TEST_MTLS");
    const char *ca = env_req("OCIREG_TEST_CA");
    ocireg_options *o;
    ocireg_client *c = NULL;
    ocireg_content *m = NULL;
    struct image img;
    char root[200], host_dir[300], ca_only[200], file[400], repo[300], ref[400];
    long pid = (long)getpid();

    snprintf(root, sizeof root, "/tmp/ocireg-c-certsd-%ld", pid);
    snprintf(host_dir, sizeof host_dir, "%s/%s", root, mtls);
    snprintf(ca_only, sizeof ca_only, "/tmp/ocireg-c-ca-only-%ld", pid);
    CHECK(mkdir(root, 0700) == 0 && mkdir(host_dir, 0700) == 0 && mkdir(ca_only, 0700) == 0);
    snprintf(file, sizeof file, "%s/ca.crt", host_dir);
    copy_file(ca, file);
    snprintf(file, sizeof file, "%s/client.cert", host_dir);
    copy_file(env_req("OCIREG_TEST_CLIENT_CERT"), file);
    snprintf(file, sizeof file, "%s/client.key", host_dir);
    copy_file(env_req("OCIREG_TEST_CLIENT_KEY"), file);
    snprintf(file, sizeof file, "%s/ca.crt", ca_only);
    copy_file(ca, file);

    /* The pair only in the certs.d root's HOST:PORT directory. */
    o = ocireg_options_new();
    CHECK_OK(ocireg_options_add_certs_d_root(o, root));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/c/mtls-%ld", mtls, pid);
    push_image(c, repo, "v1", 82, &img);
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    CHECK(m != NULL && strcmp(ocireg_content_digest(m), img.manifest) == 0);
    ocireg_content_free(m);
    m = NULL;
    ocireg_client_free(c);

    /* The CA alone: the registry refuses the handshake, a clear error. */
    o = ocireg_options_new();
    CHECK_OK(ocireg_options_set_cert_dir(o, ca_only));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    {
        ocireg_status st = ocireg_client_manifest_get(c, ref, NULL, &m);
        CHECK(st == OCIREG_ERR_TLS || st == OCIREG_ERR_NETWORK);
        CHECK(m == NULL);
        CHECK(strlen(ocireg_last_error_message()) > 0);
    }
    ocireg_client_free(c);

    snprintf(file, sizeof file, "%s/ca.crt", ca_only);
    unlink(file);
    rmdir(ca_only);
    snprintf(file, sizeof file, "%s/ca.crt", host_dir);
    unlink(file);
    snprintf(file, sizeof file, "%s/client.cert", host_dir);
    unlink(file);
    snprintf(file, sizeof file, "%s/client.key", host_dir);
    unlink(file);
    rmdir(host_dir);
    rmdir(root);
}

const struct test conf_names_tests[] = {
    {"conf_short_names", test_short_names, NEEDS_PLAIN},
    {"conf_mutual_tls_pair_in_certs_d", test_mutual_tls_pair_in_certs_d, NEEDS_TLS},
    {NULL, NULL, 0},
};
