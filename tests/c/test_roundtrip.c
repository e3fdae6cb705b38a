/* test_roundtrip.c: every operation against all three registries (plain
 * HTTP, HTTPS with basic auth, HTTPS with token auth). */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define EMPTY_DIGEST "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CHUNK (64 * 1024)

static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

/* A client with 64 KiB upload chunks, so uploads take several chunks. */
static ocireg_client *client_with_chunk(size_t chunk)
{
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, chunk));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    return c;
}

static ocireg_client *chunky_client(void)
{
    return client_with_chunk(CHUNK);
}

size_t manifest_json(char *out, size_t cap, const char *artifact_type,
                     const char *config, size_t config_len,
                     const char *layer, size_t layer_len,
                     const char *subject, size_t subject_len)
{
    char at[256] = "", sub[256] = "";
    int n;
    if (artifact_type)
        snprintf(at, sizeof at, "\"artifactType\":\"%s\",", artifact_type);
    if (subject)
        snprintf(sub, sizeof sub,
                 ",\"subject\":{\"mediaType\":\"" OCI_MANIFEST
                 "\",\"digest\":\"%s\",\"size\":%lu}",
                 subject, (unsigned long)subject_len);
    n = snprintf(out, cap,
                 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST "\",%s"
                 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                 "\"digest\":\"%s\",\"size\":%lu},"
                 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                 "\"digest\":\"%s\",\"size\":%lu}]%s}",
                 at, config, (unsigned long)config_len, layer,
                 (unsigned long)layer_len, sub);
    CHECK(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

void push_image(ocireg_client *c, const char *repo, const char *tag,
                unsigned seed, struct image *img)
{
    static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
    uint8_t *layer = pattern(1000 + seed, seed);
    char *dg = NULL, ref[512], want[72];
    img->layer_len = 1000 + seed;
    img->config_len = sizeof config - 1;
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)config,
                                     sizeof config - 1, NULL, &dg));
    strcpy(img->config, dg);
    ocireg_string_free(dg);
    CHECK_OK(ocireg_client_blob_push(c, repo, layer, img->layer_len, NULL, &dg));
    strcpy(img->layer, dg);
    ocireg_string_free(dg);
    free(layer);
    img->manifest_len = manifest_json(img->json, sizeof img->json, NULL,
                                      img->config, sizeof config - 1,
                                      img->layer, img->layer_len, NULL, 0);
    if (tag) snprintf(ref, sizeof ref, "%s:%s", repo, tag);
    else {
        sha256_digest((const uint8_t *)img->json, img->manifest_len, want);
        snprintf(ref, sizeof ref, "%s@%s", repo, want);
    }
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)img->json,
                                        img->manifest_len, OCI_MANIFEST, NULL, &dg));
    sha256_digest((const uint8_t *)img->json, img->manifest_len, img->manifest);
    CHECK_STREQ(dg, img->manifest);
    ocireg_string_free(dg);
}

static void test_ping_and_credentials(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    int i;
    FOR_EACH_REG(i) {
        CHECK_OK(ocireg_client_ping(c, regs[i].host, NULL));
        CHECK_OK(ocireg_client_check_credentials(c, regs[i].host, NULL));
    }
    ocireg_client_free(c);
}

/* blob_push from memory, blob_head, and pushing the empty blob. */
static void test_blob_push_memory(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    size_t len = 100000;
    uint8_t *data = pattern(len, 1);
    char repo[256], want[72], *dg = NULL;
    uint64_t size = 0;
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/blobs");
        CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, &dg));
        CHECK_STREQ(dg, want);
        ocireg_string_free(dg);
        CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, NULL));
        CHECK_OK(ocireg_client_blob_head(c, repo, want, NULL, &size));
        CHECK(size == len);
        CHECK_OK(ocireg_client_blob_push(c, repo, NULL, 0, NULL, &dg));
        CHECK_STREQ(dg, EMPTY_DIGEST);
        ocireg_string_free(dg);
        CHECK_OK(ocireg_client_blob_head(c, repo, EMPTY_DIGEST, NULL, &size));
        CHECK(size == 0);
    }
    free(data);
    ocireg_client_free(c);
}

/* blob_get through the write callback with progress, and the range reads. */
static void test_blob_get_callback(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    size_t len = 300000;
    uint8_t *data = pattern(len, 2);
    char repo[256], want[72];
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        struct buf b = {0};
        struct progress p = {0};
        repo_ref(repo, sizeof repo, &regs[i], "ctest/blobs");
        CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, NULL));
        CHECK_OK(ocireg_client_blob_get(c, repo, want, buf_write, &b, progress_cb, &p, NULL));
        CHECK(b.len == len && memcmp(b.data, data, len) == 0);
        CHECK(b.calls >= 1 && p.calls >= 1);
        CHECK(p.done == len && p.total == len);
        buf_free(&b);
        CHECK_OK(ocireg_client_blob_get(c, repo, want, buf_write, &b, NULL, NULL, NULL));
        CHECK(b.len == len && memcmp(b.data, data, len) == 0);
        buf_free(&b);
        CHECK_OK(ocireg_client_blob_get_range(c, repo, want, 10, 100, buf_write, &b, NULL));
        CHECK(b.len == 100 && memcmp(b.data, data + 10, 100) == 0);
        buf_free(&b);
        CHECK_OK(ocireg_client_blob_get_range(c, repo, want, len - 50, 0, buf_write, &b, NULL));
        CHECK(b.len == 50 && memcmp(b.data, data + len - 50, 50) == 0);
        buf_free(&b);
        /* UINT64_MAX is "to the end" too, never an overflowed Range. */
        CHECK_OK(ocireg_client_blob_get_range(c, repo, want, 7, UINT64_MAX, buf_write, &b, NULL));
        CHECK(b.len == len - 7 && memcmp(b.data, data + 7, len - 7) == 0);
        buf_free(&b);
    }
    free(data);
    ocireg_client_free(c);
}

/* Reads a whole blob through a reader with `cap`-byte reads. */
static void read_all(ocireg_client *c, const char *repo, const char *digest,
                     const uint8_t *want, size_t len, size_t cap)
{
    ocireg_blob_reader *r = NULL;
    uint8_t *buf = (uint8_t *)malloc(cap), *got = (uint8_t *)malloc(len + 1);
    size_t total = 0, n = 1, reads = 0;
    ocireg_status st = OCIREG_OK;
    CHECK_OK(ocireg_client_blob_open(c, repo, digest, NULL, &r));
    CHECK(r != NULL);
    CHECK(ocireg_blob_reader_size(r) == len);
    while (n > 0) {
        n = 4242;
        st = ocireg_blob_reader_read(r, buf, cap, &n);
        if (st != OCIREG_OK || n > cap || total + n > len) break;
        memcpy(got + total, buf, n);
        total += n;
        reads++;
    }
    CHECK_OK(st);
    CHECK(n == 0 && total == len && memcmp(got, want, len) == 0);
    CHECK(reads >= len / cap);
    /* After the end, the end again. */
    n = 4242;
    CHECK_OK(ocireg_blob_reader_read(r, buf, cap, &n));
    CHECK(n == 0);
    free(buf);
    free(got);
    ocireg_blob_reader_free(r);
}

/* The reader handle with small and large buffers, and its argument checks. */
static void test_blob_reader(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    size_t len = 200000, n;
    uint8_t *data = pattern(len, 3), small[16];
    char repo[256], want[72];
    ocireg_blob_reader *r = NULL;
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/reader");
        CHECK_OK(ocireg_client_blob_push(c, repo, data, len, NULL, NULL));
        read_all(c, repo, want, data, len, 7);
        read_all(c, repo, want, data, len, 1 << 20);
        /* Argument checks on a live reader; an unfinished reader is freed. */
        CHECK_OK(ocireg_client_blob_open(c, repo, want, NULL, &r));
        n = 4242;
        CHECK_OK(ocireg_blob_reader_read(r, NULL, 0, &n));
        CHECK(n == 0);
        n = 4242;
        CHECK_STATUS(ocireg_blob_reader_read(r, NULL, 8, &n), OCIREG_ERR_NULL_ARGUMENT);
        CHECK(n == 4242);
        CHECK_STATUS(ocireg_blob_reader_read(r, small, sizeof small, NULL), OCIREG_ERR_NULL_ARGUMENT);
        CHECK_OK(ocireg_blob_reader_read(r, small, sizeof small, &n));
        CHECK(n > 0 && n <= sizeof small && memcmp(small, data, n) == 0);
        ocireg_blob_reader_free(r);
    }
    free(data);
    ocireg_client_free(c);
}

/* blob_push_from: a read callback serving odd-sized pieces, with progress. */
static void test_blob_push_from(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = chunky_client();
    size_t len = 300000;
    uint8_t *data = pattern(len, 4);
    char repo[256], want[72], *dg = NULL;
    uint64_t size = 0;
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        struct source s = {0};
        struct progress p = {0};
        s.data = data; s.len = len; s.step = 10000;
        repo_ref(repo, sizeof repo, &regs[i], "ctest/pushfrom");
        CHECK_OK(ocireg_client_blob_push_from(c, repo, source_read, &s, progress_cb, &p, NULL, &dg));
        CHECK_STREQ(dg, want);
        ocireg_string_free(dg);
        CHECK(s.pos == len && s.calls > 30);
        CHECK(p.calls >= 4 && p.done == len);
        CHECK_OK(ocireg_client_blob_head(c, repo, want, NULL, &size));
        CHECK(size == len);
        /* Without progress and without digest_out. */
        memset(&s, 0, sizeof s);
        s.data = data; s.len = 5000;
        CHECK_OK(ocireg_client_blob_push_from(c, repo, source_read, &s, NULL, NULL, NULL, NULL));
    }
    free(data);
    ocireg_client_free(c);
}

/* The writer handle: write in pieces, commit with and without a digest. */
static void test_upload_writer(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = chunky_client();
    ocireg_client *huge = client_with_chunk(SIZE_MAX);
    size_t len = 200000;
    uint8_t *data = pattern(len, 5);
    char repo[256], want[72], *dg = NULL;
    ocireg_upload *u = NULL;
    uint64_t size = 0;
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/writer");
        CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
        CHECK(ocireg_upload_location(u) != NULL && strncmp(ocireg_upload_location(u), "http", 4) == 0);
        CHECK(ocireg_upload_offset(u) == 0);
        CHECK_OK(ocireg_upload_write(u, data, 1000));
        CHECK(ocireg_upload_offset(u) == 0); /* buffered */
        CHECK_OK(ocireg_upload_write(u, data + 1000, 100000));
        CHECK(ocireg_upload_offset(u) == CHUNK);
        CHECK_OK(ocireg_upload_write(u, NULL, 0));
        CHECK_OK(ocireg_upload_write(u, data + 101000, len - 101000));
        CHECK(ocireg_upload_offset(u) == 3 * CHUNK);
        CHECK_OK(ocireg_upload_commit(u, NULL, &dg));
        CHECK_STREQ(dg, want);
        ocireg_string_free(dg);
        /* The handle is spent. */
        CHECK_STATUS(ocireg_upload_write(u, data, 1), OCIREG_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(ocireg_upload_commit(u, NULL, NULL), OCIREG_ERR_INVALID_ARGUMENT);
        ocireg_upload_free(u);
        CHECK_OK(ocireg_client_blob_head(c, repo, want, NULL, &size));
        CHECK(size == len);
        /* With the expected digest, and a single small write. */
        CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
        sha256_digest(data, 10, want);
        CHECK_OK(ocireg_upload_write(u, data, 10));
        CHECK_OK(ocireg_upload_commit(u, want, NULL));
        ocireg_upload_free(u);
        CHECK_OK(ocireg_client_blob_head(c, repo, want, NULL, &size));
        CHECK(size == 10);
        sha256_digest(data, len, want);
        /* A chunk size as large as size_t allows is bounded, never
         * allocated up front: the blob stays buffered until the commit. */
        CHECK_OK(ocireg_client_upload_start(huge, repo, NULL, &u));
        CHECK_OK(ocireg_upload_write(u, data, len));
        CHECK(ocireg_upload_offset(u) == 0);
        CHECK_OK(ocireg_upload_commit(u, want, NULL));
        ocireg_upload_free(u);
    }
    free(data);
    ocireg_client_free(huge);
    ocireg_client_free(c);
}

/* A cross-repository mount, mounted and not. */
static void test_blob_mount(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    size_t len = 50000;
    uint8_t *data = pattern(len, 6), *other = pattern(len, 7);
    char src[256], dst[256], want[72], other_dg[72], *dg = NULL;
    ocireg_upload *u = (ocireg_upload *)SENTINEL;
    uint64_t size = 0;
    int i, mounted = 42;
    sha256_digest(data, len, want);
    sha256_digest(other, len, other_dg);
    FOR_EACH_REG(i) {
        repo_ref(src, sizeof src, &regs[i], "ctest/mount-src");
        repo_ref(dst, sizeof dst, &regs[i], "ctest/mount-dst");
        CHECK_OK(ocireg_client_blob_push(c, src, data, len, NULL, NULL));
        u = (ocireg_upload *)SENTINEL;
        CHECK_OK(ocireg_client_blob_mount(c, dst, want, "ctest/mount-src", NULL, &mounted, &u));
        CHECK(mounted == 1 && u == (ocireg_upload *)SENTINEL);
        CHECK_OK(ocireg_client_blob_head(c, dst, want, NULL, &size));
        CHECK(size == len);
        /* Unknown in the source: the registry opens an upload instead. */
        u = NULL;
        CHECK_OK(ocireg_client_blob_mount(c, dst, other_dg, "ctest/mount-src", NULL, &mounted, &u));
        CHECK(mounted == 0 && u != NULL);
        CHECK_OK(ocireg_upload_write(u, other, len));
        CHECK_OK(ocireg_upload_commit(u, NULL, &dg));
        CHECK_STREQ(dg, other_dg);
        ocireg_string_free(dg);
        ocireg_upload_free(u);
        CHECK_OK(ocireg_client_blob_head(c, dst, other_dg, NULL, &size));
        CHECK(size == len);
        /* Not mounted, no upload wanted: the session is cancelled. */
        mounted = 42;
        CHECK_OK(ocireg_client_blob_mount(c, src, other_dg, "ctest/nothing-here", NULL, &mounted, NULL));
        CHECK(mounted == 0);
    }
    free(data);
    free(other);
    ocireg_client_free(c);
}

/* Suspends an upload half-way, resumes it (twice) and commits it. */
static void test_upload_suspend_resume(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = chunky_client();
    size_t len = 150000, half = 70000;
    uint8_t *data = pattern(len, 8);
    char repo[256], want[72], *loc = NULL, *loc2 = NULL, *dg = NULL;
    ocireg_upload *u = NULL;
    uint64_t off = 0, size = 0;
    int i;
    sha256_digest(data, len, want);
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/resume");
        CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
        CHECK_OK(ocireg_upload_write(u, data, half));
        CHECK_OK(ocireg_upload_suspend(u, &loc, &off));
        CHECK(loc != NULL && off == half);
        CHECK_STATUS(ocireg_upload_write(u, data, 1), OCIREG_ERR_INVALID_ARGUMENT);
        ocireg_upload_free(u); /* suspended: the session stays */
        /* Resume, suspend again without writing. */
        CHECK_OK(ocireg_client_upload_resume(c, repo, loc, NULL, &u));
        CHECK(ocireg_upload_offset(u) == half);
        CHECK_OK(ocireg_upload_suspend(u, &loc2, &off));
        CHECK(off == half);
        ocireg_upload_free(u);
        /* Resume, write the rest, commit with the digest. */
        CHECK_OK(ocireg_client_upload_resume(c, repo, loc2, NULL, &u));
        CHECK(ocireg_upload_offset(u) == half);
        CHECK_OK(ocireg_upload_write(u, data + half, len - half));
        CHECK_OK(ocireg_upload_commit(u, want, &dg));
        CHECK_STREQ(dg, want);
        ocireg_string_free(dg);
        ocireg_upload_free(u);
        ocireg_string_free(loc);
        ocireg_string_free(loc2);
        CHECK_OK(ocireg_client_blob_head(c, repo, want, NULL, &size));
        CHECK(size == len);
    }
    free(data);
    ocireg_client_free(c);
}

/* Freeing an upload that was neither committed nor suspended cancels it. */
static void test_upload_abandon(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = chunky_client();
    size_t len = 100000;
    uint8_t *data = pattern(len, 9);
    char repo[256], loc[1024];
    ocireg_upload *u = NULL, *again = (ocireg_upload *)SENTINEL;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/abandon");
        CHECK_OK(ocireg_client_upload_start(c, repo, NULL, &u));
        CHECK_OK(ocireg_upload_write(u, data, len));
        CHECK(ocireg_upload_offset(u) == CHUNK);
        snprintf(loc, sizeof loc, "%s", ocireg_upload_location(u));
        ocireg_upload_free(u);
        CHECK_STATUS(ocireg_client_upload_resume(c, repo, loc, NULL, &again), OCIREG_ERR_NOT_FOUND);
        CHECK(again == (ocireg_upload *)SENTINEL);
        CHECK(ocireg_last_error_http_status() == 404);
    }
    free(data);
    ocireg_client_free(c);
}

/* Checks that `ref` names the manifest of `img`. */
static void check_manifest(ocireg_client *c, const char *ref, const struct image *img)
{
    ocireg_content *m = NULL;
    const uint8_t *bytes;
    size_t len = 0;
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    bytes = ocireg_content_bytes(m, &len);
    CHECK(bytes != NULL && len == img->manifest_len && memcmp(bytes, img->json, len) == 0);
    CHECK(ocireg_content_bytes(m, NULL) == NULL);
    CHECK_STREQ(ocireg_content_media_type(m), OCI_MANIFEST);
    CHECK_STREQ(ocireg_content_digest(m), img->manifest);
    ocireg_content_free(m);
}

/* Manifest put (one tag, several tags, by digest), get, head, tags, catalog. */
static void test_manifests(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    const char *tags[3] = {"v1", "v2", "latest"};
    struct image img;
    ocireg_string_list *l = NULL;
    char repo[256], ref[512], *dg = NULL, *mt = NULL;
    uint64_t size = 0;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/manifests");
        push_image(c, repo, "single", 10, &img);
        CHECK_OK(ocireg_client_manifest_put_tags(c, repo, tags, 3, (const uint8_t *)img.json,
                                                 img.manifest_len, OCI_MANIFEST, NULL, &dg));
        CHECK_STREQ(dg, img.manifest);
        ocireg_string_free(dg);
        CHECK_OK(ocireg_client_manifest_put_tags(c, repo, NULL, 0, (const uint8_t *)img.json,
                                                 img.manifest_len, OCI_MANIFEST, NULL, NULL));
        snprintf(ref, sizeof ref, "%s:v2", repo);
        check_manifest(c, ref, &img);
        snprintf(ref, sizeof ref, "%s@%s", repo, img.manifest);
        check_manifest(c, ref, &img);
        CHECK_OK(ocireg_client_manifest_head(c, ref, NULL, &dg, &size, &mt));
        CHECK_STREQ(dg, img.manifest);
        CHECK_STREQ(mt, OCI_MANIFEST);
        CHECK(size == img.manifest_len);
        ocireg_string_free(dg);
        ocireg_string_free(mt);
        snprintf(ref, sizeof ref, "%s:latest", repo);
        CHECK_OK(ocireg_client_manifest_head(c, ref, NULL, NULL, NULL, NULL));
        CHECK_OK(ocireg_client_tags(c, ref, NULL, &l)); /* the tag is ignored */
        CHECK(ocireg_string_list_len(l) == 4);
        CHECK(list_has(l, "single") && list_has(l, "v1") && list_has(l, "v2") && list_has(l, "latest"));
        CHECK(ocireg_string_list_get(l, 4) == NULL);
        ocireg_string_list_free(l);
        CHECK_OK(ocireg_client_catalog(c, regs[i].host, NULL, &l));
        CHECK(list_has(l, "ctest/manifests"));
        ocireg_string_list_free(l);
    }
    ocireg_client_free(c);
}

/* Manifest delete by digest and by tag, blob delete. */
static void test_deletes(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    struct image a, b;
    ocireg_string_list *l = NULL;
    char repo[256], ref[512];
    uint64_t size = 0;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/deletes");
        push_image(c, repo, "a", 11, &a);
        push_image(c, repo, "b", 12, &b);
        snprintf(ref, sizeof ref, "%s@%s", repo, a.manifest);
        CHECK_OK(ocireg_client_manifest_delete(c, ref, NULL));
        CHECK_STATUS(ocireg_client_manifest_head(c, ref, NULL, NULL, NULL, NULL), OCIREG_ERR_NOT_FOUND);
        snprintf(ref, sizeof ref, "%s:b", repo);
        CHECK_OK(ocireg_client_manifest_delete(c, ref, NULL));
        CHECK_STATUS(ocireg_client_manifest_head(c, ref, NULL, NULL, NULL, NULL), OCIREG_ERR_NOT_FOUND);
        CHECK_OK(ocireg_client_tags(c, repo, NULL, &l));
        CHECK(ocireg_string_list_len(l) == 0);
        ocireg_string_list_free(l);
        CHECK_OK(ocireg_client_blob_delete(c, repo, b.layer, NULL));
        CHECK_STATUS(ocireg_client_blob_head(c, repo, b.layer, NULL, &size), OCIREG_ERR_NOT_FOUND);
    }
    ocireg_client_free(c);
}

/* Pushes an artifact manifest whose subject is `img`; its digest to `out`. */
static void push_artifact(ocireg_client *c, const char *repo, const struct image *img,
                          const char *type, unsigned seed, char out[72])
{
    uint8_t *payload = pattern(100 + seed, seed);
    char json[2048], ref[512], *dg = NULL;
    size_t n;
    CHECK_OK(ocireg_client_blob_push(c, repo, payload, 100 + seed, NULL, &dg));
    n = manifest_json(json, sizeof json, type, img->config, img->config_len, dg, 100 + seed,
                      img->manifest, img->manifest_len);
    ocireg_string_free(dg);
    free(payload);
    sha256_digest((const uint8_t *)json, n, out);
    snprintf(ref, sizeof ref, "%s@%s", repo, out);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, n, OCI_MANIFEST, NULL, &dg));
    CHECK_STREQ(dg, out);
    ocireg_string_free(dg);
}

/* Referrers, listed with and without an artifact-type filter. */
static void test_referrers(void)
{
    const struct reg *regs = registries();
    ocireg_client *c = make_client(NULL);
    struct image img;
    ocireg_descriptor_list *d = NULL;
    char repo[256], ref[512], sig[72], sbom[72];
    size_t k;
    int i;
    FOR_EACH_REG(i) {
        repo_ref(repo, sizeof repo, &regs[i], "ctest/referrers");
        push_image(c, repo, "app", 13, &img);
        snprintf(ref, sizeof ref, "%s:app", repo);
        CHECK_OK(ocireg_client_referrers(c, ref, NULL, NULL, &d));
        CHECK(ocireg_descriptor_list_len(d) == 0);
        ocireg_descriptor_list_free(d);
        push_artifact(c, repo, &img, "application/vnd.example.signature", 1, sig);
        push_artifact(c, repo, &img, "application/vnd.example.sbom", 2, sbom);
        CHECK_OK(ocireg_client_referrers(c, ref, NULL, NULL, &d));
        CHECK(ocireg_descriptor_list_len(d) == 2);
        for (k = 0; k < 2; k++) {
            const char *dg = ocireg_descriptor_list_digest(d, k);
            const char *at = ocireg_descriptor_list_artifact_type(d, k);
            CHECK(dg != NULL && at != NULL);
            CHECK((strcmp(dg, sig) == 0 && strcmp(at, "application/vnd.example.signature") == 0) ||
                  (strcmp(dg, sbom) == 0 && strcmp(at, "application/vnd.example.sbom") == 0));
            CHECK_STREQ(ocireg_descriptor_list_media_type(d, k), OCI_MANIFEST);
            CHECK(ocireg_descriptor_list_size(d, k) > 0);
        }
        CHECK(ocireg_descriptor_list_digest(d, 2) == NULL);
        CHECK(ocireg_descriptor_list_media_type(d, 2) == NULL);
        CHECK(ocireg_descriptor_list_artifact_type(d, 2) == NULL);
        CHECK(ocireg_descriptor_list_size(d, 2) == 0);
        ocireg_descriptor_list_free(d);
        snprintf(ref, sizeof ref, "%s@%s", repo, img.manifest);
        CHECK_OK(ocireg_client_referrers(c, ref, "application/vnd.example.sbom", NULL, &d));
        CHECK(ocireg_descriptor_list_len(d) == 1);
        CHECK_STREQ(ocireg_descriptor_list_digest(d, 0), sbom);
        CHECK_STREQ(ocireg_descriptor_list_artifact_type(d, 0), "application/vnd.example.sbom");
        ocireg_descriptor_list_free(d);
        CHECK_OK(ocireg_client_referrers(c, ref, "application/vnd.example.none", NULL, &d));
        CHECK(ocireg_descriptor_list_len(d) == 0);
        ocireg_descriptor_list_free(d);
    }
    ocireg_client_free(c);
}

const struct test roundtrip_tests[] = {
    {"ping_and_credentials", test_ping_and_credentials, NEEDS_ANY},
    {"blob_push_memory", test_blob_push_memory, NEEDS_ANY},
    {"blob_get_callback", test_blob_get_callback, NEEDS_ANY},
    {"blob_reader", test_blob_reader, NEEDS_ANY},
    {"blob_push_from", test_blob_push_from, NEEDS_ANY},
    {"upload_writer", test_upload_writer, NEEDS_ANY},
    {"blob_mount", test_blob_mount, NEEDS_ANY},
    {"upload_suspend_resume", test_upload_suspend_resume, NEEDS_ANY},
    {"upload_abandon", test_upload_abandon, NEEDS_ANY},
    {"manifests", test_manifests, NEEDS_ANY},
    {"deletes", test_deletes, NEEDS_ANY},
    {"referrers", test_referrers, NEEDS_ANY},
    {NULL, NULL, 0},
};
