/* test_options.c: option setters mean what the header says. Numeric
 * values out of their documented range are refused at the setter with
 * INVALID_ARGUMENT (and leave the options usable), a timeout of 0 is no
 * limit, and a proxy with a scheme the library cannot speak is refused
 * instead of silently going direct. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#define DAY_MS 86400000ull

/* `call` fails with INVALID_ARGUMENT and a message naming `what`. */
#define CHECK_REFUSED(call, what)                                           \
    do {                                                                    \
        CHECK_STATUS(call, OCIREG_ERR_INVALID_ARGUMENT);                    \
        CHECK(strstr(ocireg_last_error_message(), what) != NULL);           \
    } while (0)

static void test_numeric_bounds(void)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_REFUSED(ocireg_options_set_concurrency(o, 0), "concurrency");
    CHECK_REFUSED(ocireg_options_set_concurrency(o, 257), "concurrency");
    CHECK_REFUSED(ocireg_options_set_concurrency(o, UINT32_MAX), "concurrency");
    CHECK_OK(ocireg_options_set_concurrency(o, 256));
    CHECK_REFUSED(ocireg_options_set_max_retries(o, 101), "max_retries");
    CHECK_REFUSED(ocireg_options_set_max_retries(o, UINT32_MAX), "max_retries");
    CHECK_OK(ocireg_options_set_max_retries(o, 100));
    CHECK_REFUSED(ocireg_options_set_max_resumes(o, 1001), "max_resumes");
    CHECK_OK(ocireg_options_set_max_resumes(o, 1000));
    CHECK_REFUSED(ocireg_options_set_page_size(o, 1000001), "page_size");
    CHECK_OK(ocireg_options_set_page_size(o, 1000000));
    CHECK_REFUSED(ocireg_options_set_max_list_entries(o, 0), "max_list_entries");
    CHECK_REFUSED(ocireg_options_set_max_list_entries(o, UINT64_MAX), "max_list_entries");
    CHECK_OK(ocireg_options_set_max_list_entries(o, 100000000));
    CHECK_REFUSED(ocireg_options_set_max_list_bytes(o, 0), "max_list_bytes");
    CHECK_REFUSED(ocireg_options_set_max_list_bytes(o, (4ull << 30) + 1), "max_list_bytes");
    CHECK_OK(ocireg_options_set_max_list_bytes(o, 4ull << 30));
    CHECK_REFUSED(ocireg_options_set_connect_timeout_ms(o, UINT64_MAX), "connect_timeout");
    CHECK_REFUSED(ocireg_options_set_read_timeout_ms(o, 30 * DAY_MS + 1), "read_timeout");
    CHECK_REFUSED(ocireg_options_set_request_timeout_ms(o, UINT64_MAX), "request_timeout");
    CHECK_REFUSED(ocireg_options_set_credential_helper_timeout_ms(o, UINT64_MAX),
                  "credential_helper_timeout");
    CHECK_REFUSED(ocireg_options_set_max_retry_after_ms(o, UINT64_MAX), "max_retry_after");
    CHECK_OK(ocireg_options_set_read_timeout_ms(o, 30 * DAY_MS));
    /* The chunk size is clamped (documented), never an allocation of the
     * caller's number: 2^64-1 and 1 TiB make a usable client. */
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, SIZE_MAX));
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, (size_t)1 << 40));
    /* Refused values left the accepted ones in place. */
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_client_free(c);
    ocireg_options_free(o);
}

/* An upload with a huge chunk size setting works (chunks of at most
 * 64 MiB), where a buffer of the chunk size used to abort the host. */
static void test_huge_chunk_upload(void)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    char repo[256], want[72], *dg = NULL;
    size_t len = 100000;
    uint8_t *data = pattern(len, 41);
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, SIZE_MAX));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    repo_ref(repo, sizeof repo, &registries()[0], "ctest/hugechunk");
    CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, &dg));
    sha256_digest(data, len, want);
    CHECK_STREQ(dg, want);
    ocireg_string_free(dg);
    free(data);
    ocireg_client_free(c);
}

/* 0 is no timeout (as in libcurl): a client with every timeout 0 works. */
static void test_zero_timeouts(void)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    const struct reg *plain = &registries()[0];
    char repo[256], want[72];
    size_t len = 70000;
    uint8_t *data = pattern(len, 42);
    struct buf b = {0};
    CHECK_OK(ocireg_options_set_connect_timeout_ms(o, 0));
    CHECK_OK(ocireg_options_set_read_timeout_ms(o, 0));
    CHECK_OK(ocireg_options_set_request_timeout_ms(o, 0));
    CHECK_OK(ocireg_options_set_credential_helper_timeout_ms(o, 0));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    CHECK_OK(ocireg_client_ping(c, plain->host, NULL));
    repo_ref(repo, sizeof repo, plain, "ctest/zerotimeout");
    CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, NULL));
    sha256_digest(data, len, want);
    CHECK_OK(ocireg_client_blob_get(c, repo, want, buf_write, &b, NULL, NULL, NULL));
    CHECK(b.len == len && memcmp(b.data, data, len) == 0);
    buf_free(&b);
    free(data);
    ocireg_client_free(c);
}

/* A proxy scheme reqwest cannot speak is refused, naming it; before, it
 * was ignored and traffic went direct. */
static void test_proxy_schemes(void)
{
    ocireg_options *o = ocireg_options_new();
    CHECK_REFUSED(ocireg_options_set_proxy(o, "ftp://127.0.0.1:21"), "`ftp`");
    CHECK_REFUSED(ocireg_options_set_proxy(o, "socks5://127.0.0.1:1080"), "`socks5`");
    CHECK_OK(ocireg_options_set_proxy(o, "http://127.0.0.1:9"));
    CHECK_OK(ocireg_options_set_proxy(o, "https://127.0.0.1:9"));
    CHECK_OK(ocireg_options_set_proxy(o, "127.0.0.1:9"));
    ocireg_options_free(o);
}

/* The test CA copied into a fresh certs.d directory as ca.crt; the
 * directory's name into `dir`. */
static void cert_dir_with_ca(char dir[64])
{
    char path[128];
    FILE *in, *out;
    int ch;
    strcpy(dir, "/tmp/ocireg-c-certs.XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    in = fopen(env_req("OCIREG_TEST_CA"), "rb");
    out = fopen(path, "wb");
    CHECK(in != NULL && out != NULL);
    while ((ch = fgetc(in)) != EOF)
        fputc(ch, out);
    fclose(in);
    CHECK(fclose(out) == 0);
}

/* A client for the TLS registry with the test credentials and `dir` as
 * its cert dir (no CA file); NULL when ocireg_client_new refused. */
static ocireg_client *tls_client_with(const char *dir, ocireg_status *st)
{
    const struct reg *tls = &registries()[1];
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_credentials(o, tls->host, env_req("OCIREG_TEST_USER"),
                                            env_req("OCIREG_TEST_PASS")));
    CHECK_OK(ocireg_options_set_max_retries(o, 0));
    if (dir != NULL)
        CHECK_OK(ocireg_options_set_cert_dir(o, dir));
    *st = ocireg_client_new(o, &c);
    ocireg_options_free(o);
    return c;
}

/* certs.d: the TLS registry's CA only in a cert dir; a half client pair
 * named in the error; setters refuse what they must. */
static void test_cert_dir(void)
{
    const struct reg *tls = &registries()[1];
    char dir[64], path[128];
    ocireg_status st;
    ocireg_client *c;
    ocireg_options *o = ocireg_options_new();

    c = tls_client_with(NULL, &st);
    CHECK_OK(st);
    CHECK_STATUS(ocireg_client_ping(c, tls->host, NULL), OCIREG_ERR_TLS);
    ocireg_client_free(c);

    cert_dir_with_ca(dir);
    c = tls_client_with(dir, &st);
    CHECK_OK(st);
    CHECK_OK(ocireg_client_ping(c, tls->host, NULL));
    ocireg_client_free(c);

    /* Roots may not exist; a cert dir must be a directory. */
    CHECK_OK(ocireg_options_add_certs_d_root(o, "/nonexistent-root"));
    CHECK_OK(ocireg_options_use_system_certs_d(o));
    CHECK_REFUSED(ocireg_options_set_cert_dir(o, "/nonexistent-dir"), "/nonexistent-dir");
    CHECK_REFUSED(ocireg_options_set_cert_dir(o, env_req("OCIREG_TEST_CA")), "not a directory");
    CHECK_STATUS(ocireg_options_set_cert_dir(NULL, dir), OCIREG_ERR_NULL_ARGUMENT);

    snprintf(path, sizeof path, "%s/client.cert", dir);
    fclose(fopen(path, "wb"));
    c = tls_client_with(dir, &st);
    CHECK_STATUS(st, OCIREG_ERR_TLS);
    CHECK(c == NULL);
    CHECK(strstr(ocireg_last_error_message(), "client.cert") != NULL);
    CHECK(strstr(ocireg_last_error_message(), "client.key") != NULL);
    remove(path);
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    remove(path);
    rmdir(dir);
    ocireg_options_free(o);
}

/* OAuth2: the password grant and refresh tokens against the token
 * registry; the client id is checked at the setter. */
static void test_oauth2(void)
{
    const struct reg *token = &registries()[2];
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    ocireg_string_list *tags = NULL;
    char repo[256];
    CHECK_OK(ocireg_options_set_force_oauth2(o, 1));
    CHECK_OK(ocireg_options_set_offline_token(o, 1));
    CHECK_OK(ocireg_options_set_oauth2_client_id(o, "ocireg-c-test"));
    CHECK_REFUSED(ocireg_options_set_oauth2_client_id(o, ""), "oauth2_client_id");
    CHECK_REFUSED(ocireg_options_set_oauth2_client_id(o, "a\nb"), "oauth2_client_id");
    CHECK_STATUS(ocireg_options_set_force_oauth2(NULL, 1), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    CHECK_OK(ocireg_client_ping(c, token->host, NULL));
    repo_ref(repo, sizeof repo, token, "c/oauth2-none");
    /* An unknown repository: the token was granted (else UNAUTHORIZED). */
    CHECK_STATUS(ocireg_client_tags(c, repo, NULL, &tags), OCIREG_ERR_NOT_FOUND);
    ocireg_client_free(c);
}

/* The ranged download mode is one of three names; anything else is
 * refused naming the mode, and the accepted ones make a client. */
static void test_ranged_download_modes(void)
{
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK_REFUSED(ocireg_options_set_ranged_download(o, "sometimes"), "sometimes");
    CHECK_REFUSED(ocireg_options_set_ranged_download(o, ""), "ranged download");
    CHECK_REFUSED(ocireg_options_set_ranged_download(o, "Always"), "Always");
    CHECK_STATUS(ocireg_options_set_ranged_download(o, NULL), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_options_set_ranged_download(NULL, "auto"), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_options_set_ranged_download(o, "\xff"), OCIREG_ERR_INVALID_UTF8);
    CHECK_OK(ocireg_options_set_ranged_download(o, "off"));
    CHECK_OK(ocireg_options_set_ranged_download(o, "auto"));
    CHECK_OK(ocireg_options_set_ranged_download(o, "always"));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_client_free(c);
    ocireg_options_free(o);
}

const struct test options_tests[] = {
    {"numeric_bounds", test_numeric_bounds, 0},
    {"huge_chunk_upload", test_huge_chunk_upload, NEEDS_PLAIN},
    {"zero_timeouts", test_zero_timeouts, NEEDS_PLAIN},
    {"proxy_schemes", test_proxy_schemes, 0},
    {"cert_dir", test_cert_dir, NEEDS_TLS},
    {"oauth2", test_oauth2, 4 /* the token registry */},
    {"ranged_download_modes", test_ranged_download_modes, 0},
    {NULL, NULL, 0},
};
