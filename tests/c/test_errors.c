/* test_errors.c: the argument checks, the static names, the last error,
 * and the error paths that need no round trip: NULL pointers, invalid
 * UTF-8, bad references and digests, unknown manifests, wrong passwords,
 * untrusted TLS, refused connections, timeouts and cancellation. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* A value outputs are pre-set to, to see that failing calls leave them. */
static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)
#define BAD_UTF8 "\xff\xfe"
#define DIGEST0 "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* `call` fails with NULL_ARGUMENT naming `arg` in the message. */
#define CHECK_NULL_ARG(call, arg)                                           \
    do {                                                                    \
        const char *m_;                                                     \
        CHECK_STATUS(call, OCIREG_ERR_NULL_ARGUMENT);                       \
        m_ = ocireg_last_error_message();                                   \
        CHECK(m_ != NULL && strstr(m_, "`" arg "`") != NULL);               \
        CHECK(ocireg_last_error_status() == OCIREG_ERR_NULL_ARGUMENT);      \
    } while (0)

/* `call` fails with INVALID_UTF8 naming `arg` in the message. */
#define CHECK_BAD_UTF8(call, arg)                                           \
    do {                                                                    \
        const char *m_;                                                     \
        CHECK_STATUS(call, OCIREG_ERR_INVALID_UTF8);                        \
        m_ = ocireg_last_error_message();                                   \
        CHECK(m_ != NULL && strstr(m_, "`" arg "`") != NULL);               \
    } while (0)

static int write_nothing(void *u, const uint8_t *d, size_t n)
{
    (void)u; (void)d; (void)n;
    return 0;
}

static int read_nothing(void *u, uint8_t *b, size_t cap, size_t *n)
{
    (void)u; (void)b; (void)cap;
    *n = 0;
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void test_version(void)
{
    char macro[32];
    CHECK(ocireg_version() != NULL);
    CHECK_STREQ(ocireg_version(), OCIREG_VERSION);
    sprintf(macro, "%d.%d.%d", OCIREG_VERSION_MAJOR, OCIREG_VERSION_MINOR,
            OCIREG_VERSION_PATCH);
    CHECK(strncmp(ocireg_version(), macro, strlen(macro)) == 0);
    CHECK(ocireg_version() == ocireg_version()); /* static */
}

static void test_status_str(void)
{
    static const struct { uint32_t status; const char *name; } table[] = {
        {OCIREG_OK, "OK"},
        {OCIREG_ERR_NULL_ARGUMENT, "NULL_ARGUMENT"},
        {OCIREG_ERR_INVALID_UTF8, "INVALID_UTF8"},
        {OCIREG_ERR_INVALID_ARGUMENT, "INVALID_ARGUMENT"},
        {OCIREG_ERR_INVALID_REFERENCE, "INVALID_REFERENCE"},
        {OCIREG_ERR_INVALID_DIGEST, "INVALID_DIGEST"},
        {OCIREG_ERR_NOT_FOUND, "NOT_FOUND"},
        {OCIREG_ERR_UNAUTHORIZED, "UNAUTHORIZED"},
        {OCIREG_ERR_DENIED, "DENIED"},
        {OCIREG_ERR_TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"},
        {OCIREG_ERR_UNSUPPORTED, "UNSUPPORTED"},
        {OCIREG_ERR_DIGEST_MISMATCH, "DIGEST_MISMATCH"},
        {OCIREG_ERR_SIZE_EXCEEDED, "SIZE_EXCEEDED"},
        {OCIREG_ERR_PROTOCOL, "PROTOCOL"},
        {OCIREG_ERR_NETWORK, "NETWORK"},
        {OCIREG_ERR_TLS, "TLS"},
        {OCIREG_ERR_TIMEOUT, "TIMEOUT"},
        {OCIREG_ERR_IO, "IO"},
        {OCIREG_ERR_ABORTED, "ABORTED"},
        {OCIREG_ERR_CANCELLED, "CANCELLED"},
        {OCIREG_ERR_INTERNAL, "INTERNAL"},
        {OCIREG_ERR_SERVER, "SERVER"},
        {OCIREG_ERR_REJECTED, "REJECTED"},
        {OCIREG_ERR_PANIC, "PANIC"},
    };
    static const uint32_t unknown[] = {23, 24, 50, 99, 101, 1000, 0xffffffffu};
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK_STREQ(ocireg_status_str(table[i].status), table[i].name);
        CHECK(ocireg_status_str(table[i].status) == ocireg_status_str(table[i].status));
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK_STREQ(ocireg_status_str(unknown[i]), "UNKNOWN");
}

static void test_free_null(void)
{
    size_t len = 77;
    ocireg_cancel_free(NULL);
    ocireg_cancel_cancel(NULL);
    ocireg_client_free(NULL);
    ocireg_options_free(NULL);
    ocireg_string_free(NULL);
    ocireg_string_list_free(NULL);
    ocireg_content_free(NULL);
    ocireg_descriptor_list_free(NULL);
    ocireg_blob_reader_free(NULL);
    ocireg_upload_free(NULL);
    CHECK(ocireg_string_list_len(NULL) == 0);
    CHECK(ocireg_string_list_get(NULL, 0) == NULL);
    CHECK(ocireg_content_bytes(NULL, &len) == NULL);
    CHECK(len == 77);
    CHECK(ocireg_content_media_type(NULL) == NULL);
    CHECK(ocireg_content_digest(NULL) == NULL);
    CHECK(ocireg_descriptor_list_len(NULL) == 0);
    CHECK(ocireg_descriptor_list_media_type(NULL, 0) == NULL);
    CHECK(ocireg_descriptor_list_digest(NULL, 0) == NULL);
    CHECK(ocireg_descriptor_list_size(NULL, 0) == 0);
    CHECK(ocireg_descriptor_list_artifact_type(NULL, 0) == NULL);
    CHECK(ocireg_blob_reader_size(NULL) == 0);
    CHECK(ocireg_upload_offset(NULL) == 0);
    CHECK(ocireg_upload_location(NULL) == NULL);
}

static void *fresh_thread_last_error(void *arg)
{
    int *ok = (int *)arg;
    *ok = ocireg_last_error_status() == OCIREG_OK &&
          ocireg_last_error_message() != NULL &&
          ocireg_last_error_message()[0] == '\0';
    return NULL;
}

static void test_last_error(void)
{
    pthread_t t;
    int fresh = 0;
    ocireg_options *o = ocireg_options_new();
    ocireg_last_error_clear();
    CHECK(ocireg_last_error_status() == OCIREG_OK);
    /* Never NULL: empty when there is no error. */
    CHECK_STREQ(ocireg_last_error_message(), "");
    CHECK(ocireg_last_error_registry_code() == NULL);
    CHECK(ocireg_last_error_http_status() == 0);
    CHECK(ocireg_last_error_retry_after_ms() == 0);
    CHECK_NULL_ARG(ocireg_options_set_user_agent(o, NULL), "user_agent");
    CHECK(ocireg_last_error_registry_code() == NULL);
    CHECK(ocireg_last_error_http_status() == 0);
    /* A later success leaves the last failure readable. */
    CHECK_OK(ocireg_options_set_user_agent(o, "ocireg-c-tests"));
    CHECK(ocireg_last_error_status() == OCIREG_ERR_NULL_ARGUMENT);
    /* Another thread has its own (empty) last error. */
    CHECK(pthread_create(&t, NULL, fresh_thread_last_error, &fresh) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(fresh == 1);
    ocireg_last_error_clear();
    CHECK(ocireg_last_error_status() == OCIREG_OK);
    CHECK_STREQ(ocireg_last_error_message(), "");
    ocireg_options_free(o);
}

static void test_options_setters(void)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = (ocireg_client *)SENTINEL;
    CHECK(o != NULL);
    CHECK_OK(ocireg_options_add_insecure_registry(o, "localhost:5000"));
    CHECK_OK(ocireg_options_add_insecure_registry(o, "example.test"));
    CHECK_OK(ocireg_options_set_credentials(o, "r.test", "u", "p"));
    CHECK_OK(ocireg_options_set_credentials(o, "r.test", "u2", "p2"));
    CHECK_OK(ocireg_options_set_identity_token(o, "t.test", "refresh"));
    /* Files are checked at the setter: a missing path or a directory is
     * refused there, naming the path; any readable regular file is taken
     * (its contents are read when a credential is looked up). */
    CHECK_STATUS(ocireg_options_set_auth_file(o, "/nonexistent/auth.json"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "/nonexistent/auth.json") != NULL);
    CHECK_STATUS(ocireg_options_set_auth_file(o, "/"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "not a regular file") != NULL);
    CHECK_STATUS(ocireg_options_add_ca_file(o, "/nonexistent/ca.pem"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "/nonexistent/ca.pem") != NULL);
    CHECK_STATUS(ocireg_options_set_client_cert(o, env_req("OCIREG_TEST_CA"), "/nonexistent/k.pem"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "/nonexistent/k.pem") != NULL);
    CHECK_OK(ocireg_options_set_auth_file(o, env_req("OCIREG_TEST_CA")));
    CHECK_OK(ocireg_options_add_ca_file(o, env_req("OCIREG_TEST_CA")));
    CHECK_OK(ocireg_options_set_user_agent(o, "ocireg-c-tests/1"));
    CHECK_OK(ocireg_options_add_header(o, "X-Test", "yes"));
    CHECK_OK(ocireg_options_set_connect_timeout_ms(o, 5000));
    CHECK_OK(ocireg_options_set_read_timeout_ms(o, 10000));
    CHECK_OK(ocireg_options_set_request_timeout_ms(o, 20000));
    CHECK_OK(ocireg_options_set_credential_helper_timeout_ms(o, 5000));
    CHECK_OK(ocireg_options_set_max_retries(o, 2));
    CHECK_OK(ocireg_options_set_max_retry_after_ms(o, 1000));
    CHECK_OK(ocireg_options_set_page_size(o, 0));
    CHECK_OK(ocireg_options_set_page_size(o, 100));
    CHECK_OK(ocireg_options_set_max_resumes(o, 3));
    CHECK_OK(ocireg_options_set_max_list_entries(o, 1000));
    CHECK_STATUS(ocireg_options_set_max_list_bytes(o, UINT64_MAX), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_options_set_max_list_bytes(o, 1u << 30));
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, 0));
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, 1 << 20));
    CHECK_STATUS(ocireg_options_set_concurrency(o, 0), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_options_set_concurrency(o, 4));
    CHECK_OK(ocireg_options_set_proxy(o, "http://127.0.0.1:9"));
    CHECK_OK(ocireg_client_new(o, &c));
    CHECK(c != NULL && c != (ocireg_client *)SENTINEL);
    ocireg_options_free(o); /* the client keeps what it needs */
    ocireg_client_free(c);
    c = (ocireg_client *)SENTINEL;
    CHECK_OK(ocireg_client_new(NULL, &c)); /* the defaults */
    CHECK(c != NULL && c != (ocireg_client *)SENTINEL);
    ocireg_client_free(c);
}

static void test_options_null(void)
{
    ocireg_options *o = ocireg_options_new();
    CHECK_NULL_ARG(ocireg_options_add_insecure_registry(NULL, "h"), "options");
    CHECK_NULL_ARG(ocireg_options_add_insecure_registry(o, NULL), "host");
    CHECK_NULL_ARG(ocireg_options_set_credentials(NULL, "r", "u", "p"), "options");
    CHECK_NULL_ARG(ocireg_options_set_credentials(o, NULL, "u", "p"), "registry");
    CHECK_NULL_ARG(ocireg_options_set_credentials(o, "r", NULL, "p"), "username");
    CHECK_NULL_ARG(ocireg_options_set_credentials(o, "r", "u", NULL), "password");
    CHECK_NULL_ARG(ocireg_options_set_identity_token(NULL, "r", "t"), "options");
    CHECK_NULL_ARG(ocireg_options_set_identity_token(o, NULL, "t"), "registry");
    CHECK_NULL_ARG(ocireg_options_set_identity_token(o, "r", NULL), "token");
    CHECK_NULL_ARG(ocireg_options_set_auth_file(NULL, "f"), "options");
    CHECK_NULL_ARG(ocireg_options_set_auth_file(o, NULL), "path");
    CHECK_NULL_ARG(ocireg_options_add_ca_file(NULL, "f"), "options");
    CHECK_NULL_ARG(ocireg_options_add_ca_file(o, NULL), "path");
    CHECK_NULL_ARG(ocireg_options_set_proxy(NULL, "http://p"), "options");
    CHECK_NULL_ARG(ocireg_options_set_proxy(o, NULL), "url");
    CHECK_NULL_ARG(ocireg_options_set_user_agent(NULL, "ua"), "options");
    CHECK_NULL_ARG(ocireg_options_set_user_agent(o, NULL), "user_agent");
    CHECK_NULL_ARG(ocireg_options_set_client_cert(NULL, "c", "k"), "options");
    CHECK_NULL_ARG(ocireg_options_set_client_cert(o, NULL, "k"), "cert_path");
    CHECK_NULL_ARG(ocireg_options_set_client_cert(o, "c", NULL), "key_path");
    CHECK_NULL_ARG(ocireg_options_add_header(NULL, "n", "v"), "options");
    CHECK_NULL_ARG(ocireg_options_add_header(o, NULL, "v"), "name");
    CHECK_NULL_ARG(ocireg_options_add_header(o, "n", NULL), "value");
    CHECK_NULL_ARG(ocireg_options_set_connect_timeout_ms(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_read_timeout_ms(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_request_timeout_ms(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_credential_helper_timeout_ms(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_max_retries(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_max_retry_after_ms(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_page_size(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_max_resumes(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_max_list_entries(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_max_list_bytes(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_upload_chunk_size(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_options_set_concurrency(NULL, 1), "options");
    CHECK_NULL_ARG(ocireg_client_new(o, NULL), "client_out");
    CHECK_NULL_ARG(ocireg_client_new(NULL, NULL), "client_out");
    ocireg_options_free(o);
}

static void test_options_utf8(void)
{
    ocireg_options *o = ocireg_options_new();
    CHECK_BAD_UTF8(ocireg_options_add_insecure_registry(o, BAD_UTF8), "host");
    CHECK_BAD_UTF8(ocireg_options_set_credentials(o, BAD_UTF8, "u", "p"), "registry");
    CHECK_BAD_UTF8(ocireg_options_set_credentials(o, "r", BAD_UTF8, "p"), "username");
    CHECK_BAD_UTF8(ocireg_options_set_credentials(o, "r", "u", BAD_UTF8), "password");
    CHECK_BAD_UTF8(ocireg_options_set_identity_token(o, BAD_UTF8, "t"), "registry");
    CHECK_BAD_UTF8(ocireg_options_set_identity_token(o, "r", BAD_UTF8), "token");
    CHECK_BAD_UTF8(ocireg_options_set_auth_file(o, BAD_UTF8), "path");
    CHECK_BAD_UTF8(ocireg_options_add_ca_file(o, BAD_UTF8), "path");
    CHECK_BAD_UTF8(ocireg_options_set_proxy(o, BAD_UTF8), "url");
    CHECK_BAD_UTF8(ocireg_options_set_user_agent(o, BAD_UTF8), "user_agent");
    CHECK_BAD_UTF8(ocireg_options_set_client_cert(o, BAD_UTF8, "k"), "cert_path");
    CHECK_BAD_UTF8(ocireg_options_set_client_cert(o, "c", BAD_UTF8), "key_path");
    CHECK_BAD_UTF8(ocireg_options_add_header(o, BAD_UTF8, "v"), "name");
    CHECK_BAD_UTF8(ocireg_options_add_header(o, "n", BAD_UTF8), "value");
    ocireg_options_free(o);
}

/* client_new refuses options it cannot build a client from, and leaves
 * `*client_out` alone. */
static void client_new_fails(ocireg_options *o, ocireg_status want)
{
    ocireg_client *c = (ocireg_client *)SENTINEL;
    CHECK_STATUS(ocireg_client_new(o, &c), want);
    CHECK(c == (ocireg_client *)SENTINEL);
    CHECK(ocireg_last_error_message() != NULL && *ocireg_last_error_message());
    ocireg_options_free(o);
}

static void test_client_new_errors(void)
{
    /* Readable files (the setters check that) whose contents are wrong:
     * a CA file with no certificate, a "key" that is a certificate. */
    char not_pem[] = "/tmp/ocireg-not-pem-XXXXXX";
    int fd = mkstemp(not_pem);
    CHECK(fd >= 0);
    CHECK(write(fd, "not PEM\n", 8) == 8);
    close(fd);
    ocireg_options *o = ocireg_options_new();
    CHECK_OK(ocireg_options_add_ca_file(o, not_pem));
    client_new_fails(o, OCIREG_ERR_TLS);
    unlink(not_pem);
    o = ocireg_options_new();
    CHECK_OK(ocireg_options_set_client_cert(o, env_req("OCIREG_TEST_CA"), env_req("OCIREG_TEST_CA")));
    client_new_fails(o, OCIREG_ERR_TLS);
    o = ocireg_options_new();
    CHECK_OK(ocireg_options_set_proxy(o, "::not a url::"));
    client_new_fails(o, OCIREG_ERR_INVALID_ARGUMENT);
    o = ocireg_options_new();
    CHECK_OK(ocireg_options_add_header(o, "bad header", "v"));
    client_new_fails(o, OCIREG_ERR_INVALID_ARGUMENT);
}

/* A client that never gets as far as the network in these tests. */
static ocireg_client *offline_client(void)
{
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_client_new(NULL, &c));
    return c;
}

static void test_null_listing(void)
{
    ocireg_client *c = offline_client();
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    ocireg_descriptor_list *d = (ocireg_descriptor_list *)SENTINEL;
    CHECK_NULL_ARG(ocireg_client_ping(NULL, "r.test", NULL), "client");
    CHECK_NULL_ARG(ocireg_client_ping(c, NULL, NULL), "registry");
    CHECK_NULL_ARG(ocireg_client_check_credentials(NULL, "r.test", NULL), "client");
    CHECK_NULL_ARG(ocireg_client_check_credentials(c, NULL, NULL), "registry");
    CHECK_NULL_ARG(ocireg_client_catalog(NULL, "r.test", NULL, &l), "client");
    CHECK_NULL_ARG(ocireg_client_catalog(c, NULL, NULL, &l), "registry");
    CHECK_NULL_ARG(ocireg_client_catalog(c, "r.test", NULL, NULL), "list_out");
    CHECK_NULL_ARG(ocireg_client_tags(NULL, "r.test/a", NULL, &l), "client");
    CHECK_NULL_ARG(ocireg_client_tags(c, NULL, NULL, &l), "repository");
    CHECK_NULL_ARG(ocireg_client_tags(c, "r.test/a", NULL, NULL), "list_out");
    CHECK(l == (ocireg_string_list *)SENTINEL);
    CHECK_NULL_ARG(ocireg_client_referrers(NULL, "r.test/a:t", NULL, NULL, &d), "client");
    CHECK_NULL_ARG(ocireg_client_referrers(c, NULL, NULL, NULL, &d), "reference");
    CHECK_NULL_ARG(ocireg_client_referrers(c, "r.test/a:t", NULL, NULL, NULL), "list_out");
    CHECK(d == (ocireg_descriptor_list *)SENTINEL);
    ocireg_client_free(c);
}

static void test_null_manifests(void)
{
    static const uint8_t body[] = "{}";
    const char *tags[2] = {"a", NULL};
    ocireg_client *c = offline_client();
    ocireg_content *m = (ocireg_content *)SENTINEL;
    char *dg = (char *)SENTINEL, *mt = (char *)SENTINEL;
    uint64_t size = 4242;
    const char *ref = "r.test/a:t", *type = "application/json";
    CHECK_NULL_ARG(ocireg_client_manifest_get(NULL, ref, NULL, &m), "client");
    CHECK_NULL_ARG(ocireg_client_manifest_get(c, NULL, NULL, &m), "reference");
    CHECK_NULL_ARG(ocireg_client_manifest_get(c, ref, NULL, NULL), "manifest_out");
    CHECK(m == (ocireg_content *)SENTINEL);
    CHECK_NULL_ARG(ocireg_client_manifest_head(NULL, ref, NULL, &dg, &size, &mt), "client");
    CHECK_NULL_ARG(ocireg_client_manifest_head(c, NULL, NULL, &dg, &size, &mt), "reference");
    CHECK(dg == (char *)SENTINEL && mt == (char *)SENTINEL && size == 4242);
    CHECK_NULL_ARG(ocireg_client_manifest_put(NULL, ref, body, 2, type, NULL, &dg), "client");
    CHECK_NULL_ARG(ocireg_client_manifest_put(c, NULL, body, 2, type, NULL, &dg), "reference");
    CHECK_NULL_ARG(ocireg_client_manifest_put(c, ref, NULL, 2, type, NULL, &dg), "data");
    CHECK_NULL_ARG(ocireg_client_manifest_put(c, ref, body, 2, NULL, NULL, &dg), "media_type");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(NULL, ref, tags, 1, body, 2, type, NULL, &dg), "client");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(c, NULL, tags, 1, body, 2, type, NULL, &dg), "repository");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(c, ref, NULL, 1, body, 2, type, NULL, &dg), "tags");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(c, ref, tags, 2, body, 2, type, NULL, &dg), "tags[i]");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(c, ref, tags, 1, NULL, 2, type, NULL, &dg), "data");
    CHECK_NULL_ARG(ocireg_client_manifest_put_tags(c, ref, tags, 1, body, 2, NULL, NULL, &dg), "media_type");
    CHECK(dg == (char *)SENTINEL);
    CHECK_NULL_ARG(ocireg_client_manifest_delete(NULL, ref, NULL), "client");
    CHECK_NULL_ARG(ocireg_client_manifest_delete(c, NULL, NULL), "reference");
    ocireg_client_free(c);
}

static void test_null_blobs(void)
{
    static const uint8_t body[] = "x";
    ocireg_client *c = offline_client();
    char *dg = (char *)SENTINEL;
    uint64_t size = 4242;
    ocireg_blob_reader *r = (ocireg_blob_reader *)SENTINEL;
    const char *repo = "r.test/a";
    CHECK_NULL_ARG(ocireg_client_blob_head(NULL, repo, DIGEST0, NULL, &size), "client");
    CHECK_NULL_ARG(ocireg_client_blob_head(c, NULL, DIGEST0, NULL, &size), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_head(c, repo, NULL, NULL, &size), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_head(c, repo, DIGEST0, NULL, NULL), "size_out");
    CHECK(size == 4242);
    CHECK_NULL_ARG(ocireg_client_blob_delete(NULL, repo, DIGEST0, NULL), "client");
    CHECK_NULL_ARG(ocireg_client_blob_delete(c, NULL, DIGEST0, NULL), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_delete(c, repo, NULL, NULL), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_push(NULL, repo, body, 1, NULL, &dg), "client");
    CHECK_NULL_ARG(ocireg_client_blob_push(c, NULL, body, 1, NULL, &dg), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_push(c, repo, NULL, 1, NULL, &dg), "data");
    CHECK(dg == (char *)SENTINEL);
    CHECK_NULL_ARG(ocireg_client_blob_get(NULL, repo, DIGEST0, write_nothing, NULL, NULL, NULL, NULL), "client");
    CHECK_NULL_ARG(ocireg_client_blob_get(c, NULL, DIGEST0, write_nothing, NULL, NULL, NULL, NULL), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_get(c, repo, NULL, write_nothing, NULL, NULL, NULL, NULL), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_get(c, repo, DIGEST0, NULL, NULL, NULL, NULL, NULL), "write");
    CHECK_NULL_ARG(ocireg_client_blob_get_range(NULL, repo, DIGEST0, 0, 1, write_nothing, NULL, NULL), "client");
    CHECK_NULL_ARG(ocireg_client_blob_get_range(c, NULL, DIGEST0, 0, 1, write_nothing, NULL, NULL), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_get_range(c, repo, NULL, 0, 1, write_nothing, NULL, NULL), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_get_range(c, repo, DIGEST0, 0, 1, NULL, NULL, NULL), "write");
    CHECK_NULL_ARG(ocireg_client_blob_open(NULL, repo, DIGEST0, NULL, &r), "client");
    CHECK_NULL_ARG(ocireg_client_blob_open(c, NULL, DIGEST0, NULL, &r), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_open(c, repo, NULL, NULL, &r), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_open(c, repo, DIGEST0, NULL, NULL), "reader_out");
    CHECK(r == (ocireg_blob_reader *)SENTINEL);
    ocireg_client_free(c);
}

static void test_null_uploads(void)
{
    ocireg_client *c = offline_client();
    char *dg = (char *)SENTINEL, *loc = (char *)SENTINEL;
    int mounted = 42;
    uint64_t off = 4242;
    size_t n = 4242;
    uint8_t b[4];
    ocireg_upload *u = (ocireg_upload *)SENTINEL;
    const char *repo = "r.test/a";
    CHECK_NULL_ARG(ocireg_client_blob_push_from(NULL, repo, read_nothing, NULL, NULL, NULL, NULL, &dg), "client");
    CHECK_NULL_ARG(ocireg_client_blob_push_from(c, NULL, read_nothing, NULL, NULL, NULL, NULL, &dg), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_push_from(c, repo, NULL, NULL, NULL, NULL, NULL, &dg), "read");
    CHECK_NULL_ARG(ocireg_client_blob_mount(NULL, repo, DIGEST0, "b", NULL, &mounted, &u), "client");
    CHECK_NULL_ARG(ocireg_client_blob_mount(c, NULL, DIGEST0, "b", NULL, &mounted, &u), "repository");
    CHECK_NULL_ARG(ocireg_client_blob_mount(c, repo, NULL, "b", NULL, &mounted, &u), "digest");
    CHECK_NULL_ARG(ocireg_client_blob_mount(c, repo, DIGEST0, NULL, NULL, &mounted, &u), "from");
    CHECK_NULL_ARG(ocireg_client_blob_mount(c, repo, DIGEST0, "b", NULL, NULL, &u), "mounted_out");
    CHECK(mounted == 42);
    CHECK_NULL_ARG(ocireg_client_upload_start(NULL, repo, NULL, &u), "client");
    CHECK_NULL_ARG(ocireg_client_upload_start(c, NULL, NULL, &u), "repository");
    CHECK_NULL_ARG(ocireg_client_upload_start(c, repo, NULL, NULL), "upload_out");
    CHECK_NULL_ARG(ocireg_client_upload_resume(NULL, repo, "http://l", NULL, &u), "client");
    CHECK_NULL_ARG(ocireg_client_upload_resume(c, NULL, "http://l", NULL, &u), "repository");
    CHECK_NULL_ARG(ocireg_client_upload_resume(c, repo, NULL, NULL, &u), "location");
    CHECK_NULL_ARG(ocireg_client_upload_resume(c, repo, "http://l", NULL, NULL), "upload_out");
    CHECK(u == (ocireg_upload *)SENTINEL);
    CHECK_NULL_ARG(ocireg_upload_write(NULL, b, 1), "upload");
    CHECK_NULL_ARG(ocireg_upload_suspend(NULL, &loc, &off), "upload");
    CHECK_NULL_ARG(ocireg_upload_commit(NULL, NULL, &dg), "upload");
    CHECK_NULL_ARG(ocireg_blob_reader_read(NULL, b, sizeof b, &n), "reader");
    CHECK(dg == (char *)SENTINEL && loc == (char *)SENTINEL && off == 4242 && n == 4242);
    ocireg_client_free(c);
}

static void test_utf8_client(void)
{
    static const uint8_t body[] = "{}";
    const char *bad_tags[1] = {BAD_UTF8};
    ocireg_client *c = offline_client();
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    ocireg_content *m = (ocireg_content *)SENTINEL;
    ocireg_descriptor_list *d = (ocireg_descriptor_list *)SENTINEL;
    ocireg_blob_reader *r = (ocireg_blob_reader *)SENTINEL;
    ocireg_upload *u = (ocireg_upload *)SENTINEL;
    char *dg = (char *)SENTINEL;
    uint64_t size = 4242;
    int mounted = 42;
    const char *repo = "r.test/a", *type = "application/json";
    CHECK_BAD_UTF8(ocireg_client_ping(c, BAD_UTF8, NULL), "registry");
    CHECK_BAD_UTF8(ocireg_client_check_credentials(c, BAD_UTF8, NULL), "registry");
    CHECK_BAD_UTF8(ocireg_client_catalog(c, BAD_UTF8, NULL, &l), "registry");
    CHECK_BAD_UTF8(ocireg_client_tags(c, BAD_UTF8, NULL, &l), "repository");
    CHECK_BAD_UTF8(ocireg_client_manifest_get(c, BAD_UTF8, NULL, &m), "reference");
    CHECK_BAD_UTF8(ocireg_client_manifest_head(c, BAD_UTF8, NULL, &dg, &size, NULL), "reference");
    CHECK_BAD_UTF8(ocireg_client_manifest_put(c, BAD_UTF8, body, 2, type, NULL, &dg), "reference");
    CHECK_BAD_UTF8(ocireg_client_manifest_put(c, "r.test/a:t", body, 2, BAD_UTF8, NULL, &dg), "media_type");
    CHECK_BAD_UTF8(ocireg_client_manifest_put_tags(c, BAD_UTF8, NULL, 0, body, 2, type, NULL, &dg), "repository");
    CHECK_BAD_UTF8(ocireg_client_manifest_put_tags(c, repo, bad_tags, 1, body, 2, type, NULL, &dg), "tags[i]");
    CHECK_BAD_UTF8(ocireg_client_manifest_put_tags(c, repo, NULL, 0, body, 2, BAD_UTF8, NULL, &dg), "media_type");
    CHECK_BAD_UTF8(ocireg_client_manifest_delete(c, BAD_UTF8, NULL), "reference");
    CHECK_BAD_UTF8(ocireg_client_referrers(c, BAD_UTF8, NULL, NULL, &d), "reference");
    CHECK_BAD_UTF8(ocireg_client_referrers(c, "r.test/a@" DIGEST0, BAD_UTF8, NULL, &d), "artifact_type");
    CHECK_BAD_UTF8(ocireg_client_blob_head(c, BAD_UTF8, DIGEST0, NULL, &size), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_head(c, repo, BAD_UTF8, NULL, &size), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_delete(c, BAD_UTF8, DIGEST0, NULL), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_delete(c, repo, BAD_UTF8, NULL), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_push(c, BAD_UTF8, body, 2, NULL, &dg), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_get(c, BAD_UTF8, DIGEST0, write_nothing, NULL, NULL, NULL, NULL), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_get(c, repo, BAD_UTF8, write_nothing, NULL, NULL, NULL, NULL), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_get_range(c, BAD_UTF8, DIGEST0, 0, 0, write_nothing, NULL, NULL), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_get_range(c, repo, BAD_UTF8, 0, 0, write_nothing, NULL, NULL), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_open(c, BAD_UTF8, DIGEST0, NULL, &r), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_open(c, repo, BAD_UTF8, NULL, &r), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_push_from(c, BAD_UTF8, read_nothing, NULL, NULL, NULL, NULL, &dg), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_mount(c, BAD_UTF8, DIGEST0, "b", NULL, &mounted, &u), "repository");
    CHECK_BAD_UTF8(ocireg_client_blob_mount(c, repo, BAD_UTF8, "b", NULL, &mounted, &u), "digest");
    CHECK_BAD_UTF8(ocireg_client_blob_mount(c, repo, DIGEST0, BAD_UTF8, NULL, &mounted, &u), "from");
    CHECK_BAD_UTF8(ocireg_client_upload_start(c, BAD_UTF8, NULL, &u), "repository");
    CHECK_BAD_UTF8(ocireg_client_upload_resume(c, BAD_UTF8, "http://l", NULL, &u), "repository");
    CHECK_BAD_UTF8(ocireg_client_upload_resume(c, repo, BAD_UTF8, NULL, &u), "location");
    CHECK(l == (ocireg_string_list *)SENTINEL && m == (ocireg_content *)SENTINEL);
    CHECK(d == (ocireg_descriptor_list *)SENTINEL && r == (ocireg_blob_reader *)SENTINEL);
    CHECK(u == (ocireg_upload *)SENTINEL && dg == (char *)SENTINEL);
    CHECK(size == 4242 && mounted == 42);
    ocireg_client_free(c);
}

static void test_bad_references(void)
{
    ocireg_client *c = offline_client();
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    ocireg_content *m = (ocireg_content *)SENTINEL;
    uint64_t size = 4242;
    CHECK_STATUS(ocireg_client_tags(c, "r.test/UPPER", NULL, &l), OCIREG_ERR_INVALID_REFERENCE);
    CHECK_STATUS(ocireg_client_tags(c, "", NULL, &l), OCIREG_ERR_INVALID_REFERENCE);
    CHECK_STATUS(ocireg_client_manifest_get(c, "r.test/a:bad tag", NULL, &m), OCIREG_ERR_INVALID_REFERENCE);
    CHECK_STATUS(ocireg_client_manifest_get(c, "r.test/a@sha256:abc", NULL, &m), OCIREG_ERR_INVALID_DIGEST);
    CHECK_STATUS(ocireg_client_blob_head(c, "r.test/a", "sha256:xyz", NULL, &size), OCIREG_ERR_INVALID_DIGEST);
    CHECK_STATUS(ocireg_client_blob_head(c, "r.test/a", "nodigest", NULL, &size), OCIREG_ERR_INVALID_DIGEST);
    CHECK(ocireg_last_error_message() != NULL && *ocireg_last_error_message() &&
          ocireg_last_error_http_status() == 0);
    CHECK(l == (ocireg_string_list *)SENTINEL && m == (ocireg_content *)SENTINEL && size == 4242);
    ocireg_client_free(c);
}

/* An unknown manifest is NOT_FOUND with the registry's code and status. */
static void test_manifest_unknown(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    ocireg_content *m = (ocireg_content *)SENTINEL;
    char ref[256];
    int i;
    FOR_EACH_REG(i) {
        snprintf(ref, sizeof ref, "%s/ctest/unknown:nope", regs[i].host);
        ocireg_last_error_clear();
        CHECK_STATUS(ocireg_client_manifest_get(c, ref, NULL, &m), OCIREG_ERR_NOT_FOUND);
        CHECK(m == (ocireg_content *)SENTINEL);
        CHECK(ocireg_last_error_status() == OCIREG_ERR_NOT_FOUND);
        CHECK_STREQ(ocireg_last_error_registry_code(), "MANIFEST_UNKNOWN");
        CHECK(ocireg_last_error_http_status() == 404);
        CHECK(ocireg_last_error_retry_after_ms() == 0);
        CHECK(ocireg_last_error_message() != NULL && *ocireg_last_error_message());
    }
    ocireg_client_free(c);
}

static void test_blob_unknown(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    uint64_t size = 4242;
    char repo[256];
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/unknown");
        CHECK_STATUS(ocireg_client_blob_head(c, repo, DIGEST0, NULL, &size), OCIREG_ERR_NOT_FOUND);
        CHECK(ocireg_last_error_http_status() == 404);
        CHECK(size == 4242);
    }
    ocireg_client_free(c);
}

/* A wrong password is UNAUTHORIZED on the basic-auth and token registries. */
static void test_wrong_password(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client("wrong-password");
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    char repo[256];
    int i;
    FOR_EACH_REG(i) {
        if (i == 0) continue;
        CHECK_STATUS(ocireg_client_check_credentials(c, regs[i].host, NULL), OCIREG_ERR_UNAUTHORIZED);
        CHECK(ocireg_last_error_http_status() == 401);
        repo_ref(repo, sizeof repo, &regs[i], "ctest/private");
        CHECK_STATUS(ocireg_client_tags(c, repo, NULL, &l), OCIREG_ERR_UNAUTHORIZED);
        CHECK(l == (ocireg_string_list *)SENTINEL);
    }
    ocireg_client_free(c);
}

/* Without the test CA the HTTPS registries are TLS errors. */
static void test_untrusted_tls(void)
{
    const struct reg *regs = registries();
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_max_retries(o, 0));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    if (reg_enabled(1)) CHECK_STATUS(ocireg_client_ping(c, regs[1].host, NULL), OCIREG_ERR_TLS);
    if (reg_enabled(2)) CHECK_STATUS(ocireg_client_ping(c, regs[2].host, NULL), OCIREG_ERR_TLS);
    ocireg_client_free(c);
}

static void test_network_errors(void)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    uint64_t start;
    CHECK_OK(ocireg_options_add_insecure_registry(o, "127.0.0.1:1"));
    CHECK_OK(ocireg_options_add_insecure_registry(o, env_req("OCIREG_TEST_STALL")));
    CHECK_OK(ocireg_options_set_max_retries(o, 0));
    CHECK_OK(ocireg_options_set_read_timeout_ms(o, 300));
    CHECK_OK(ocireg_options_set_request_timeout_ms(o, 300));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    CHECK_STATUS(ocireg_client_ping(c, "127.0.0.1:1", NULL), OCIREG_ERR_NETWORK);
    start = now_ms();
    CHECK_STATUS(ocireg_client_ping(c, env_req("OCIREG_TEST_STALL"), NULL), OCIREG_ERR_TIMEOUT);
    CHECK(now_ms() - start < 60000); /* a bound for a hang, not a speed test */
    ocireg_client_free(c);
}

struct later { const ocireg_cancel *cancel; unsigned ms; };

static void *cancel_later(void *arg)
{
    struct later *l = (struct later *)arg;
    sleep_ms(l->ms);
    ocireg_cancel_cancel(l->cancel);
    return NULL;
}

/* A ping to a server that never answers, cancelled from another thread. */
static void test_cancel_from_thread(void)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    ocireg_cancel *cancel = ocireg_cancel_new();
    struct later l;
    pthread_t t;
    uint64_t start, took;
    CHECK(cancel != NULL);
    CHECK_OK(ocireg_options_add_insecure_registry(o, env_req("OCIREG_TEST_STALL")));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    l.cancel = cancel;
    l.ms = 200;
    start = now_ms();
    CHECK(pthread_create(&t, NULL, cancel_later, &l) == 0);
    CHECK_STATUS(ocireg_client_ping(c, env_req("OCIREG_TEST_STALL"), cancel), OCIREG_ERR_CANCELLED);
    took = now_ms() - start;
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(took >= 150 && took < 60000); /* the upper bound is for a hang */
    CHECK(ocireg_last_error_status() == OCIREG_ERR_CANCELLED);
    /* It stays cancelled. */
    CHECK_STATUS(ocireg_client_ping(c, env_req("OCIREG_TEST_STALL"), cancel), OCIREG_ERR_CANCELLED);
    ocireg_cancel_free(cancel);
    ocireg_client_free(c);
}

/* A signal cancelled before the call stops it at once. */
static void test_cancel_before(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    ocireg_cancel *cancel = ocireg_cancel_new();
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    ocireg_upload *u = (ocireg_upload *)SENTINEL;
    char repo[256];
    uint64_t start = now_ms();
    repo_ref(repo, sizeof repo, &regs[0], "ctest/cancelled");
    ocireg_cancel_cancel(cancel);
    ocireg_cancel_cancel(cancel); /* twice is fine */
    CHECK_STATUS(ocireg_client_ping(c, regs[0].host, cancel), OCIREG_ERR_CANCELLED);
    CHECK_STATUS(ocireg_client_tags(c, repo, cancel, &l), OCIREG_ERR_CANCELLED);
    CHECK_STATUS(ocireg_client_upload_start(c, repo, cancel, &u), OCIREG_ERR_CANCELLED);
    CHECK(l == (ocireg_string_list *)SENTINEL && u == (ocireg_upload *)SENTINEL);
    CHECK(now_ms() - start < 5000);
    /* The same client without the signal still works. */
    CHECK_OK(ocireg_client_ping(c, regs[0].host, NULL));
    ocireg_cancel_free(cancel);
    ocireg_client_free(c);
}

const struct test errors_tests[] = {
    {"version", test_version, 0},
    {"status_str", test_status_str, 0},
    {"free_null", test_free_null, 0},
    {"last_error", test_last_error, 0},
    {"options_setters", test_options_setters, 0},
    {"options_null", test_options_null, 0},
    {"options_utf8", test_options_utf8, 0},
    {"client_new_errors", test_client_new_errors, 0},
    {"null_listing", test_null_listing, 0},
    {"null_manifests", test_null_manifests, 0},
    {"null_blobs", test_null_blobs, 0},
    {"null_uploads", test_null_uploads, 0},
    {"utf8_client", test_utf8_client, 0},
    {"bad_references", test_bad_references, 0},
    {"manifest_unknown", test_manifest_unknown, NEEDS_ANY},
    {"blob_unknown", test_blob_unknown, NEEDS_ANY},
    {"wrong_password", test_wrong_password, 6},
    {"untrusted_tls", test_untrusted_tls, 6},
    {"network_errors", test_network_errors, 0},
    {"cancel_from_thread", test_cancel_from_thread, 0},
    {"cancel_before", test_cancel_before, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
