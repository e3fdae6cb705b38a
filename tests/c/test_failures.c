/* test_failures.c: error paths that need a registry round trip: callback
 * aborts, corrupted blobs and manifests, upload misuse, cancelled readers
 * and uploads, refused manifests. On the plain registry, whose storage
 * the tests can corrupt. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define CHUNK (64 * 1024)

static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

static ocireg_client *chunky_client(void)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, CHUNK));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    return c;
}

static void plain_repo(char *out, size_t cap, const char *name)
{
    repo_ref(out, cap, &registries()[0], name);
}

/* Pushes `len` pattern bytes to `repo`, digest into `digest`. */
static uint8_t *push_pattern(ocireg_client *c, const char *repo, size_t len,
                             unsigned seed, char digest[72])
{
    uint8_t *data = pattern(len, seed);
    char *dg = NULL;
    CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, &dg));
    sha256_digest(data, len, digest);
    CHECK_STREQ(dg, digest);
    ocireg_string_free(dg);
    return data;
}

static int write_abort(void *u, const uint8_t *d, size_t n)
{
    (void)d; (void)n;
    return ++*(int *)u >= 2;
}

static void test_abort_download(void)
{
    ocireg_client *c = make_client(NULL);
    char repo[256], dg[72];
    struct buf b = {0};
    struct progress p = {0};
    int calls = 0;
    uint8_t *data;
    plain_repo(repo, sizeof repo, "ctest/abort");
    data = push_pattern(c, repo, 3 << 20, 20, dg);
    CHECK_STATUS(ocireg_client_blob_get(c, repo, dg, write_abort, &calls, NULL, NULL, NULL),
                 OCIREG_ERR_ABORTED);
    CHECK(calls == 2);
    CHECK(strstr(ocireg_last_error_message(), "callback") != NULL);
    calls = 0;
    CHECK_STATUS(ocireg_client_blob_get_range(c, repo, dg, 0, 0, write_abort, &calls, NULL),
                 OCIREG_ERR_ABORTED);
    p.abort_at = 1;
    CHECK_STATUS(ocireg_client_blob_get(c, repo, dg, buf_write, &b, progress_cb, &p, NULL),
                 OCIREG_ERR_ABORTED);
    CHECK(p.calls == 1 && b.len < (3u << 20));
    buf_free(&b);
    /* The client is fine afterwards. */
    CHECK_OK(ocireg_client_blob_get(c, repo, dg, buf_write, &b, NULL, NULL, NULL));
    CHECK(b.len == (3u << 20) && memcmp(b.data, data, b.len) == 0);
    buf_free(&b);
    free(data);
    ocireg_client_free(c);
}

static void test_abort_upload(void)
{
    ocireg_client *c = chunky_client();
    size_t len = 300000;
    uint8_t *data = pattern(len, 21);
    char repo[256], *dg = (char *)SENTINEL;
    struct source s = {0};
    struct progress p = {0};
    plain_repo(repo, sizeof repo, "ctest/abort");
    s.data = data; s.len = len; s.step = 10000; s.abort_at = 10;
    CHECK_STATUS(ocireg_client_blob_push_from(c, repo, source_read, &s, NULL, NULL, NULL, &dg),
                 OCIREG_ERR_ABORTED);
    CHECK(s.calls == 10 && dg == (char *)SENTINEL);
    CHECK(strstr(ocireg_last_error_message(), "read callback") != NULL);
    memset(&s, 0, sizeof s);
    s.data = data; s.len = len;
    p.abort_at = 2;
    CHECK_STATUS(ocireg_client_blob_push_from(c, repo, source_read, &s, progress_cb, &p, NULL, &dg),
                 OCIREG_ERR_ABORTED);
    CHECK(p.calls == 2 && p.done == 2 * CHUNK && dg == (char *)SENTINEL);
    free(data);
    ocireg_client_free(c);
}

/* A read callback that claims more bytes than its buffer holds. */
static int read_overclaim(void *u, uint8_t *buf, size_t cap, size_t *len_out)
{
    int *calls = u;
    memset(buf, 'x', cap);
    /* Ends after a few calls, so a library that clamped would finish. */
    *len_out = ++*calls <= 3 ? cap + 1 : 0;
    return 0;
}

/* Claiming more than the buffer holds stops the upload with a clear
 * INVALID_ARGUMENT, never a silent clamp. */
static void test_read_overclaim(void)
{
    ocireg_client *c = chunky_client();
    char repo[256], *dg = (char *)SENTINEL;
    int calls = 0;
    plain_repo(repo, sizeof repo, "ctest/overclaim");
    CHECK_STATUS(ocireg_client_blob_push_from(c, repo, read_overclaim, &calls, NULL, NULL, NULL, &dg),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(calls == 1 && dg == (char *)SENTINEL);
    CHECK(strstr(ocireg_last_error_message(), "read callback claimed") != NULL);
    ocireg_client_free(c);
}

/* Flips one byte of the stored blob `digest` in the plain registry. */
static void corrupt_blob(const char *digest, const char *near)
{
    const char *hex = digest + 7;
    char path[1024];
    FILE *f;
    long pos = 100;
    int ch;
    snprintf(path, sizeof path, "%s/docker/registry/v2/blobs/sha256/%.2s/%s/data",
             env_req("OCIREG_TEST_PLAIN_STORAGE"), hex, hex);
    f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (near) { /* the byte after `near`, so JSON stays JSON */
        char text[4096];
        size_t n = fread(text, 1, sizeof text - 1, f);
        char *at;
        text[n] = 0;
        at = strstr(text, near);
        CHECK(at != NULL);
        pos = (long)(at - text) + (long)strlen(near);
    }
    CHECK(fseek(f, pos, SEEK_SET) == 0);
    ch = fgetc(f);
    CHECK(ch != EOF);
    CHECK(fseek(f, pos, SEEK_SET) == 0);
    CHECK(fputc(near ? (ch == 'a' ? 'b' : 'a') : ch ^ 0xff, f) != EOF);
    CHECK(fclose(f) == 0);
}

static void test_digest_mismatch(void)
{
    ocireg_client *c = make_client(NULL);
    char repo[256], dg[72];
    uint8_t buf[65536], *data;
    size_t n = 1;
    struct buf b = {0};
    ocireg_blob_reader *r = NULL;
    ocireg_status st = OCIREG_OK;
    plain_repo(repo, sizeof repo, "ctest/corrupt");
    data = push_pattern(c, repo, 200000, 22, dg);
    corrupt_blob(dg, NULL);
    CHECK_STATUS(ocireg_client_blob_get(c, repo, dg, buf_write, &b, NULL, NULL, NULL),
                 OCIREG_ERR_DIGEST_MISMATCH);
    buf_free(&b);
    CHECK_OK(ocireg_client_blob_open(c, repo, dg, NULL, &r));
    while (n > 0 && (st = ocireg_blob_reader_read(r, buf, sizeof buf, &n)) == OCIREG_OK) {}
    CHECK_STATUS(st, OCIREG_ERR_DIGEST_MISMATCH);
    CHECK(ocireg_last_error_status() == OCIREG_ERR_DIGEST_MISMATCH);
    ocireg_blob_reader_free(r);
    /* A range read is not verified: it hands out the stored bytes. */
    CHECK_OK(ocireg_client_blob_get_range(c, repo, dg, 100, 1, buf_write, &b, NULL));
    CHECK(b.len == 1 && (b.data[0] ^ data[100]) == 0xff);
    buf_free(&b);
    free(data);
    ocireg_client_free(c);
}

static void test_manifest_mismatch(void)
{
    ocireg_client *c = make_client(NULL);
    struct image img;
    ocireg_content *m = (ocireg_content *)SENTINEL;
    char repo[256], ref[512];
    plain_repo(repo, sizeof repo, "ctest/corrupt");
    push_image(c, repo, "bad", 23, &img);
    corrupt_blob(img.manifest, "layer.v1.t");
    snprintf(ref, sizeof ref, "%s@%s", repo, img.manifest);
    CHECK_STATUS(ocireg_client_manifest_get(c, ref, NULL, &m), OCIREG_ERR_DIGEST_MISMATCH);
    CHECK(m == (ocireg_content *)SENTINEL);
    ocireg_client_free(c);
}

static void test_upload_misuse(void)
{
    ocireg_client *c = chunky_client();
    char repo[256], dg[72], wrong[72], *loc = NULL, *out = (char *)SENTINEL;
    uint8_t *data = pattern(1000, 24);
    ocireg_upload *u = NULL, *v = (ocireg_upload *)SENTINEL;
    uint64_t off = 0;
    plain_repo(repo, sizeof repo, "ctest/misuse");
    sha256_digest(data, 1000, dg);
    sha256_digest(data, 999, wrong);
    CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
    CHECK_OK(ocireg_upload_write(u, data, 1000));
    CHECK_STATUS(ocireg_upload_write(u, NULL, 1), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_upload_suspend(u, NULL, &off), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_upload_suspend(u, &loc, NULL), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_upload_commit(u, "\xff", &out), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_upload_commit(u, "sha256:xyz", &out), OCIREG_ERR_INVALID_DIGEST);
    CHECK(out == (char *)SENTINEL);
    /* Those left the upload usable. */
    CHECK_OK(ocireg_upload_suspend(u, &loc, &off));
    CHECK(off == 1000);
    ocireg_upload_free(u);
    /* A resumed upload needs the digest; the registry checks it. */
    CHECK_OK(ocireg_client_upload_resume(c, repo, loc, NULL, &u));
    CHECK_STATUS(ocireg_upload_commit(u, NULL, &out), OCIREG_ERR_INVALID_ARGUMENT);
    /* The failed commit left the handle usable: commit it with a digest. */
    CHECK_STATUS(ocireg_upload_commit(u, wrong, &out), OCIREG_ERR_DIGEST_MISMATCH);
    CHECK_STREQ(ocireg_last_error_registry_code(), "DIGEST_INVALID");
    CHECK(ocireg_last_error_http_status() == 400);
    CHECK(out == (char *)SENTINEL);
    ocireg_upload_free(u);
    ocireg_string_free(loc);
    /* An unknown session. */
    CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
    CHECK_OK(ocireg_upload_commit(u, NULL, NULL)); /* an empty blob */
    ocireg_upload_free(u);
    {
        char bogus[512];
        snprintf(bogus, sizeof bogus, "http://%s/v2/ctest/misuse/blobs/uploads/"
                 "00000000-0000-0000-0000-000000000000?_state=x", registries()[0].host);
        CHECK_STATUS(ocireg_client_upload_resume(c, repo, bogus, NULL, &v), OCIREG_ERR_NOT_FOUND);
        CHECK(v == (ocireg_upload *)SENTINEL);
        CHECK_STATUS(ocireg_client_upload_resume(c, repo, "not a url", NULL, &v),
                     OCIREG_ERR_INVALID_ARGUMENT);
    }
    free(data);
    ocireg_client_free(c);
}

static void test_refused_requests(void)
{
    static const char not_json[] = "this is not a manifest";
    ocireg_client *c = make_client(NULL);
    char repo[256], ref[512], dg[72], json[2048], *out = (char *)SENTINEL;
    struct buf b = {0};
    uint8_t *data;
    size_t n;
    ocireg_status st;
    plain_repo(repo, sizeof repo, "ctest/refused");
    data = push_pattern(c, repo, 1000, 25, dg);
    CHECK_STATUS(ocireg_client_blob_get_range(c, repo, dg, 5000, 10, buf_write, &b, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(ocireg_last_error_http_status() == 416);
    CHECK(b.len == 0);
    snprintf(ref, sizeof ref, "%s:t", repo);
    /* The caller's bytes are refused before sending. PROTOCOL ("the
     * registry broke the protocol") is reported to the lead as a misfit;
     * INVALID_ARGUMENT is the expected fix. */
    st = ocireg_client_manifest_put(c, ref, (const uint8_t *)not_json, sizeof not_json - 1,
                                    OCI_MANIFEST, NULL, &out);
    CHECK(st == OCIREG_ERR_INVALID_ARGUMENT || st == OCIREG_ERR_PROTOCOL);
    CHECK(ocireg_last_error_http_status() == 0);
    n = manifest_json(json, sizeof json, NULL, dg, 1000,
                      "sha256:1111111111111111111111111111111111111111111111111111111111111111",
                      5, NULL, 0);
    CHECK_STATUS(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, n, OCI_MANIFEST, NULL, &out),
                 OCIREG_ERR_REJECTED);
    CHECK_STREQ(ocireg_last_error_registry_code(), "MANIFEST_BLOB_UNKNOWN");
    CHECK(ocireg_last_error_http_status() == 400);
    CHECK(out == (char *)SENTINEL);
    snprintf(ref, sizeof ref, "%s@sha256:%064d", repo, 0);
    CHECK_STATUS(ocireg_client_manifest_delete(c, ref, NULL), OCIREG_ERR_NOT_FOUND);
    CHECK_STREQ(ocireg_last_error_registry_code(), "MANIFEST_UNKNOWN");
    free(data);
    ocireg_client_free(c);
}

/* A cancelled signal stops the readers and uploads that keep it. */
static void test_cancel_handles(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_cancel *cancel = ocireg_cancel_new();
    char repo[256], dg[72];
    uint8_t buf[65536], *data;
    size_t n = 1, total = 0;
    ocireg_blob_reader *r = NULL;
    ocireg_upload *u = NULL;
    ocireg_status st = OCIREG_OK;
    struct buf b = {0};
    plain_repo(repo, sizeof repo, "ctest/cancel");
    data = push_pattern(c, repo, 4 << 20, 26, dg);
    CHECK_OK(ocireg_client_blob_open(c, repo, dg, cancel, &r));
    CHECK_OK(ocireg_client_upload_start(c, repo, cancel, &u));
    CHECK_OK(ocireg_blob_reader_read(r, buf, 16, &n));
    CHECK_OK(ocireg_upload_write(u, data, 1000));
    ocireg_cancel_cancel(cancel);
    while (n > 0 && (st = ocireg_blob_reader_read(r, buf, sizeof buf, &n)) == OCIREG_OK)
        total += n;
    CHECK_STATUS(st, OCIREG_ERR_CANCELLED);
    CHECK(total < (4u << 20));
    CHECK_STATUS(ocireg_upload_commit(u, NULL, NULL), OCIREG_ERR_CANCELLED);
    ocireg_upload_free(u);
    ocireg_blob_reader_free(r);
    CHECK_STATUS(ocireg_client_blob_get(c, repo, dg, buf_write, &b, NULL, NULL, cancel),
                 OCIREG_ERR_CANCELLED);
    CHECK(b.len == 0);
    ocireg_cancel_free(cancel);
    free(data);
    ocireg_client_free(c);
}

const struct test failures_tests[] = {
    {"abort_download", test_abort_download, NEEDS_PLAIN},
    {"abort_upload", test_abort_upload, NEEDS_PLAIN},
    {"read_overclaim", test_read_overclaim, NEEDS_PLAIN},
    {"digest_mismatch", test_digest_mismatch, NEEDS_PLAIN},
    {"manifest_mismatch", test_manifest_mismatch, NEEDS_PLAIN},
    {"upload_misuse", test_upload_misuse, NEEDS_PLAIN},
    {"refused_requests", test_refused_requests, NEEDS_PLAIN},
    {"cancel_handles", test_cancel_handles, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
