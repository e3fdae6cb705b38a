/* load.c: the C boundary under load (issue 7).
 *
 * LOAD_THREADS (16) worker threads share ONE ocireg_client and run LOAD_OPS
 * (200) mixed operations each: blob push from memory, through the writer
 * handle (with suspend/resume) and through a read callback; blob head, get
 * (callback), reader handle, range get, mount (mounted, and not mounted
 * with the fallback upload session), delete; manifest put (one tag or
 * several), get, head, delete; tags; referrers. Each thread has its own
 * repositories and bytes and checks every result (digests with the
 * independent SHA-256 of tests/c/sha256.c).
 *
 * Odd-numbered threads also cancel some of their calls through an
 * ocireg_cancel that their own helper thread cancels after a random delay:
 * the call must end OCIREG_OK (checked like any other) or
 * OCIREG_ERR_CANCELLED (a race either way); a signal cancelled before the
 * call must give OCIREG_ERR_CANCELLED.
 *
 * The last error is per thread: every thread remembers the last failure it
 * provoked (a NOT_FOUND naming its own repository, or a CANCELLED) and checks
 * after EVERY operation that ocireg_last_error_* still report exactly that,
 * while the other threads succeed and fail with other errors meanwhile.
 *
 * Environment: the OCIREG_TEST_* of tests/harness/test_registry.rs;
 * LOAD_REGISTRIES (comma list of plain, tls, token; default "plain,token"):
 * thread i works on registry i modulo their count; LOAD_OPS, LOAD_THREADS;
 * LOAD_RUN salts the bytes so that runs against the same registries differ;
 * LOAD_CANCEL_MAX_US (50000), the largest delay before a helper cancels.
 *
 * Prints per-kind operation counts and "N passed, 0 failed"; the first
 * failed check prints the thread, the operation and the last error, then
 * "N passed, 1 failed", and exits 1. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocireg.h"

/* tests/c/sha256.c */
void sha256_digest(const uint8_t *data, size_t len, char out[72]);

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MAX_BLOBS 48
#define MAX_MANIFESTS 24
#define MAX_REFERRERS 512
#define MAX_THREADS 64

enum op {
    OP_PUSH_MEM, OP_PUSH_WRITER, OP_PUSH_FROM, OP_HEAD, OP_GET, OP_READER,
    OP_RANGE, OP_TAGS, OP_MPUT, OP_MGET, OP_MHEAD, OP_MOUNT, OP_REFERRERS,
    OP_MDELETE, OP_BDELETE, OP_NOT_FOUND, OP_CANCEL, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
    "push_mem", "push_writer", "push_from", "blob_head", "blob_get",
    "blob_reader", "range_get", "tags", "manifest_put", "manifest_get",
    "manifest_head", "mount", "referrers", "manifest_delete", "blob_delete",
    "not_found", "cancel"};
/* Relative weights of the operations (OP_CANCEL only on cancelling threads). */
static const unsigned op_weight[OP_COUNT] = {
    10, 7, 4, 8, 8, 6, 6, 5, 9, 8, 6, 5, 4, 4, 3, 5, 10};

struct blob {
    char digest[72];
    size_t len;
    unsigned seed;
    int alive;
};

struct manifest {
    char digest[72];
    char tags[2][40];
    int ntags;
    size_t len;
    char json[1024];
    int alive; /* 1 live; 0 deleted (its tags must be gone); -1 unused */
};

struct helper {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state; /* 0 idle, 1 armed, 2 done, 3 quit */
    const ocireg_cancel *cancel;
    long delay_us;
};

struct worker {
    ocireg_client *client;
    int id;
    const char *reg_name, *host;
    int cancels; /* this thread cancels some calls */
    unsigned ops;
    uint32_t rng;
    char repo[256];  /* host/load/tNN */
    char path[64];   /* load/tNN */
    char mrepo[256]; /* host/load/tNN-m: the mount target */
    char config[72];
    size_t config_len;
    struct blob blobs[MAX_BLOBS];
    int nblobs, next_blob;
    struct manifest mans[MAX_MANIFESTS];
    int next_man;
    struct manifest subject; /* what the referrers refer to */
    char referrers[MAX_REFERRERS][72];
    int referrer_type[MAX_REFERRERS];
    int nreferrers, nreferrers_type0;
    /* The last error this thread provoked: what ocireg_last_error_* must say. */
    ocireg_status want_status;
    char want_marker[128];
    uint16_t want_http;
    char want_code[64];
    /* Cancelling threads: the helper and a larger blob to cancel reads of. */
    struct helper helper;
    uint8_t *big;
    size_t big_len;
    char big_digest[72];
    /* Tallies. */
    unsigned passed;
    unsigned count[OP_COUNT];
    unsigned cancelled, completed;
    unsigned long long bytes_up, bytes_down;
    /* For the failure report. */
    unsigned cur_op;
    enum op cur_kind;
    int done;
};

/* ---- the check kit --------------------------------------------------- */

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker *all_workers;
static int nworkers;

static unsigned total_passed(void)
{
    unsigned n = 0;
    int i;
    for (i = 0; i < nworkers; i++) n += all_workers[i].passed;
    return n;
}

static void fail(struct worker *w, const char *file, int line, const char *expr,
                 int has_status, ocireg_status st, const char *extra)
{
    const char *msg = ocireg_last_error_message();
    const char *code = ocireg_last_error_registry_code();
    pthread_mutex_lock(&report_lock);
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    if (w->id >= 0)
        fprintf(stderr, "  thread %d (%s, %s), operation %u (%s)\n", w->id,
                w->reg_name, w->repo, w->cur_op, op_names[w->cur_kind]);
    if (has_status)
        fprintf(stderr, "  status: %s (%u)\n", ocireg_status_str(st), (unsigned)st);
    if (extra) fprintf(stderr, "  value: %s\n", extra);
    fprintf(stderr, "  last error: %s [%s, http %u, code %s]\n",
            *msg ? msg : "(none)", ocireg_status_str(ocireg_last_error_status()),
            (unsigned)ocireg_last_error_http_status(), code ? code : "(none)");
    /* Racy sum on purpose: we are about to exit. */
    printf("%u passed, 1 failed\n", total_passed());
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (cond) w->passed++;                                              \
        else fail(w, __FILE__, __LINE__, #cond, 0, OCIREG_OK, NULL);        \
    } while (0)

#define CHECK_STATUS(call, want)                                            \
    do {                                                                    \
        ocireg_status st_ = (call);                                         \
        if (st_ == (ocireg_status)(want)) w->passed++;                      \
        else fail(w, __FILE__, __LINE__, #call " == " #want, 1, st_, NULL); \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, OCIREG_OK)

#define CHECK_STREQ(a, b)                                                   \
    do {                                                                    \
        const char *a_ = (a), *b_ = (b);                                    \
        if (a_ && b_ && strcmp(a_, b_) == 0) w->passed++;                   \
        else fail(w, __FILE__, __LINE__, #a " == " #b, 0, OCIREG_OK,        \
                  a_ ? a_ : "(null)");                                      \
    } while (0)

/* ---- helpers ----------------------------------------------------------- */

static unsigned salt;

static uint32_t rnd(struct worker *w)
{
    uint32_t x = w->rng;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return w->rng = x;
}

static unsigned below(struct worker *w, unsigned n)
{
    return n ? rnd(w) % n : 0;
}

/* Deterministic bytes from `seed`, in a new malloc'ed buffer. */
static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = (uint8_t *)malloc(len ? len : 1);
    uint32_t x = (seed + salt * 104729u) * 2654435761u + 1;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

static void sleep_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000L;
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    return v && *v ? atol(v) : def;
}

static const char *env_req(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run under "
                        "`cargo run --example test_registry -- ...`\n", name);
        exit(2);
    }
    return v;
}

/* A growing buffer; `buf_write` is an ocireg_write_cb appending to it. */
struct buf {
    uint8_t *data;
    size_t len, cap;
};

static int buf_write(void *userdata, const uint8_t *data, size_t len)
{
    struct buf *b = (struct buf *)userdata;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;
        while (cap < b->len + len) cap *= 2;
        p = (uint8_t *)realloc(b->data, cap);
        if (!p) return 1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* An ocireg_read_cb serving `data` in pieces of at most `step` bytes. */
struct source {
    const uint8_t *data;
    size_t len, pos, step;
};

static int source_read(void *userdata, uint8_t *buf, size_t cap, size_t *len_out)
{
    struct source *s = (struct source *)userdata;
    size_t n = s->len - s->pos;
    if (n > cap) n = cap;
    if (s->step && n > s->step) n = s->step;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *len_out = n;
    return 0;
}

struct progress {
    uint64_t done, total;
    int calls;
};

static int progress_cb(void *userdata, uint64_t done, uint64_t total)
{
    struct progress *p = (struct progress *)userdata;
    p->calls++;
    p->done = done;
    p->total = total;
    return 0;
}

static int list_has(const ocireg_string_list *l, const char *s)
{
    size_t i, n = ocireg_string_list_len(l);
    for (i = 0; i < n; i++)
        if (strcmp(ocireg_string_list_get(l, i), s) == 0) return 1;
    return 0;
}

/* ---- the last error of this thread ------------------------------------ */

/* Checks that ocireg_last_error_* report this thread's own last failure. */
static void check_last_error(struct worker *w)
{
    const char *msg = ocireg_last_error_message();
    const char *code = ocireg_last_error_registry_code();
    CHECK(ocireg_last_error_status() == w->want_status);
    CHECK(msg != NULL); /* never NULL: empty when there is no error */
    if (w->want_status == OCIREG_OK) {
        CHECK_STREQ(msg, "");
        return;
    }
    CHECK(msg[0] != '\0');
    if (w->want_marker[0]) CHECK(msg && strstr(msg, w->want_marker) != NULL);
    CHECK(ocireg_last_error_http_status() == w->want_http);
    if (w->want_code[0]) CHECK_STREQ(code, w->want_code);
    else CHECK(code == NULL);
}

static void expect_error(struct worker *w, ocireg_status st, const char *marker,
                         uint16_t http, const char *code)
{
    w->want_status = st;
    snprintf(w->want_marker, sizeof w->want_marker, "%s", marker ? marker : "");
    w->want_http = http;
    snprintf(w->want_code, sizeof w->want_code, "%s", code ? code : "");
    check_last_error(w);
}

/* ---- the cancelling helper thread ------------------------------------- */

static void *helper_main(void *arg)
{
    struct helper *h = (struct helper *)arg;
    for (;;) {
        const ocireg_cancel *c;
        long delay;
        pthread_mutex_lock(&h->mu);
        while (h->state == 0 || h->state == 2) pthread_cond_wait(&h->cv, &h->mu);
        if (h->state == 3) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        c = h->cancel;
        delay = h->delay_us;
        pthread_mutex_unlock(&h->mu);
        if (delay > 0) sleep_us(delay);
        ocireg_cancel_cancel(c);
        pthread_mutex_lock(&h->mu);
        h->state = 2;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
}

static long cancel_max_us;

/* A new signal that the helper cancels after a random delay. */
static ocireg_cancel *arm_cancel(struct worker *w)
{
    ocireg_cancel *c = ocireg_cancel_new();
    long delay;
    CHECK(c != NULL);
    switch (below(w, 4)) {
    case 0: delay = 0; break;
    case 1: delay = (long)below(w, 1000); break;
    default: delay = (long)below(w, (unsigned)cancel_max_us + 1); break;
    }
    pthread_mutex_lock(&w->helper.mu);
    w->helper.cancel = c;
    w->helper.delay_us = delay;
    w->helper.state = 1;
    pthread_cond_broadcast(&w->helper.cv);
    pthread_mutex_unlock(&w->helper.mu);
    return c;
}

/* Waits until the helper has cancelled `c`, then frees it. */
static void disarm_cancel(struct worker *w, ocireg_cancel *c)
{
    pthread_mutex_lock(&w->helper.mu);
    while (w->helper.state != 2) pthread_cond_wait(&w->helper.cv, &w->helper.mu);
    w->helper.state = 0;
    w->helper.cancel = NULL;
    pthread_mutex_unlock(&w->helper.mu);
    ocireg_cancel_free(c);
}

/* A call that may have been cancelled: OK (go on checking) or CANCELLED.
 * Returns whether it completed. */
static int cancel_outcome(struct worker *w, ocireg_status st)
{
    if (st == OCIREG_OK) {
        w->completed++;
        w->passed++;
        return 1;
    }
    CHECK_STATUS(st, OCIREG_ERR_CANCELLED);
    w->cancelled++;
    expect_error(w, OCIREG_ERR_CANCELLED, NULL, 0, NULL);
    return 0;
}

/* ---- blobs ------------------------------------------------------------- */

static struct blob *pick_blob(struct worker *w)
{
    int tries;
    if (!w->nblobs) return NULL;
    for (tries = 0; tries < 8; tries++) {
        struct blob *b = &w->blobs[below(w, (unsigned)w->nblobs)];
        if (b->alive) return b;
    }
    return NULL;
}

static struct blob *add_blob(struct worker *w, const char *digest, size_t len, unsigned seed)
{
    struct blob *b = &w->blobs[w->next_blob];
    w->next_blob = (w->next_blob + 1) % MAX_BLOBS;
    if (w->nblobs < MAX_BLOBS) w->nblobs++;
    snprintf(b->digest, sizeof b->digest, "%s", digest);
    b->len = len;
    b->seed = seed;
    b->alive = 1;
    return b;
}

/* A fresh seed and size for a new blob of this thread. */
static unsigned new_seed(struct worker *w)
{
    return (unsigned)w->id * 1000003u + w->cur_op * 7u + 1u + below(w, 5);
}

static size_t new_len(struct worker *w)
{
    switch (below(w, 8)) {
    case 0: return 1 + below(w, 64);
    case 1: return 100000 + below(w, 100000);
    default: return 1000 + below(w, 40000);
    }
}

static void op_push_mem(struct worker *w)
{
    unsigned seed = new_seed(w);
    size_t len = new_len(w);
    uint8_t *data = pattern(len, seed);
    char want[72], *dg = NULL;
    uint64_t size = 0;
    sha256_digest(data, len, want);
    CHECK_OK(ocireg_client_blob_push(w->client, w->repo, data, len, NULL, &dg));
    CHECK_STREQ(dg, want);
    ocireg_string_free(dg);
    CHECK_OK(ocireg_client_blob_head(w->client, w->repo, want, NULL, &size));
    CHECK(size == len);
    w->bytes_up += len;
    add_blob(w, want, len, seed);
    free(data);
}

/* The writer handle: pieces of random size, sometimes a suspend and a
 * resume in the middle, commit with or without the digest. */
static void op_push_writer(struct worker *w)
{
    unsigned seed = new_seed(w);
    size_t len = new_len(w), pos = 0, cut = below(w, 2) ? below(w, (unsigned)len) : len;
    uint8_t *data = pattern(len, seed);
    char want[72], *dg = NULL, *loc = NULL;
    ocireg_upload *u = NULL;
    uint64_t off = 0, size = 0;
    sha256_digest(data, len, want);
    CHECK_OK(ocireg_client_upload_start(w->client, w->repo, NULL, &u));
    CHECK(u != NULL);
    CHECK(ocireg_upload_location(u) != NULL);
    while (pos < cut) {
        size_t n = 1 + below(w, 9000);
        if (n > cut - pos) n = cut - pos;
        CHECK_OK(ocireg_upload_write(u, data + pos, n));
        pos += n;
    }
    if (cut < len) {
        CHECK_OK(ocireg_upload_suspend(u, &loc, &off));
        CHECK(loc != NULL && off == cut);
        ocireg_upload_free(u);
        u = NULL;
        CHECK_OK(ocireg_client_upload_resume(w->client, w->repo, loc, NULL, &u));
        ocireg_string_free(loc);
        if (ocireg_upload_offset(u) != cut) {
            char v[96];
            snprintf(v, sizeof v, "offset %llu, written %lu of %lu",
                     (unsigned long long)ocireg_upload_offset(u), (unsigned long)cut,
                     (unsigned long)len);
            fail(w, __FILE__, __LINE__, "ocireg_upload_offset(u) == cut", 0, OCIREG_OK, v);
        }
        w->passed++;
        while (pos < len) {
            size_t n = 1 + below(w, 20000);
            if (n > len - pos) n = len - pos;
            CHECK_OK(ocireg_upload_write(u, data + pos, n));
            pos += n;
        }
        CHECK_OK(ocireg_upload_commit(u, want, &dg));
    } else {
        CHECK_OK(ocireg_upload_commit(u, below(w, 2) ? want : NULL, &dg));
    }
    CHECK_STREQ(dg, want);
    ocireg_string_free(dg);
    ocireg_upload_free(u);
    CHECK_OK(ocireg_client_blob_head(w->client, w->repo, want, NULL, &size));
    CHECK(size == len);
    w->bytes_up += len;
    add_blob(w, want, len, seed);
    free(data);
}

static void op_push_from(struct worker *w)
{
    unsigned seed = new_seed(w);
    size_t len = new_len(w);
    uint8_t *data = pattern(len, seed);
    char want[72], *dg = NULL;
    struct source s;
    struct progress p;
    memset(&p, 0, sizeof p);
    s.data = data;
    s.len = len;
    s.pos = 0;
    s.step = 1 + below(w, 30000);
    sha256_digest(data, len, want);
    CHECK_OK(ocireg_client_blob_push_from(w->client, w->repo, source_read, &s,
                                          progress_cb, &p, NULL, &dg));
    CHECK_STREQ(dg, want);
    CHECK(s.pos == len);
    CHECK(p.calls >= 1 && p.done == len);
    ocireg_string_free(dg);
    w->bytes_up += len;
    add_blob(w, want, len, seed);
    free(data);
}

static void op_head(struct worker *w)
{
    struct blob *b = pick_blob(w);
    uint64_t size = 0;
    if (!b) { op_push_mem(w); return; }
    CHECK_OK(ocireg_client_blob_head(w->client, w->repo, b->digest, NULL, &size));
    CHECK(size == b->len);
}

static void op_get(struct worker *w)
{
    struct blob *b = pick_blob(w);
    struct buf got = {0};
    struct progress p;
    uint8_t *want;
    if (!b) { op_push_mem(w); return; }
    memset(&p, 0, sizeof p);
    want = pattern(b->len, b->seed);
    CHECK_OK(ocireg_client_blob_get(w->client, w->repo, b->digest, buf_write, &got,
                                    below(w, 2) ? progress_cb : NULL, &p, NULL));
    CHECK(got.len == b->len && memcmp(got.data, want, b->len) == 0);
    if (p.calls) CHECK(p.done == b->len);
    w->bytes_down += got.len;
    free(got.data);
    free(want);
}

static void op_reader(struct worker *w)
{
    struct blob *b = pick_blob(w);
    ocireg_blob_reader *r = NULL;
    size_t cap, total = 0, n = 1;
    uint8_t *want, *buf, *got;
    if (!b) { op_push_mem(w); return; }
    cap = below(w, 2) ? 1 + below(w, 4096) : 65536 + below(w, 200000);
    want = pattern(b->len, b->seed);
    buf = (uint8_t *)malloc(cap);
    got = (uint8_t *)malloc(b->len + 1);
    CHECK_OK(ocireg_client_blob_open(w->client, w->repo, b->digest, NULL, &r));
    CHECK(r != NULL);
    CHECK(ocireg_blob_reader_size(r) == b->len);
    while (n > 0) {
        n = (size_t)-1;
        CHECK_OK(ocireg_blob_reader_read(r, buf, cap, &n));
        CHECK(n <= cap && total + n <= b->len);
        memcpy(got + total, buf, n);
        total += n;
    }
    CHECK(total == b->len && memcmp(got, want, b->len) == 0);
    w->bytes_down += total;
    ocireg_blob_reader_free(r);
    free(buf);
    free(got);
    free(want);
}

static void op_range(struct worker *w)
{
    struct blob *b = pick_blob(w);
    struct buf got = {0};
    uint64_t off, len, expect;
    uint8_t *want;
    if (!b) { op_push_mem(w); return; }
    off = below(w, (unsigned)b->len);
    len = below(w, 3) ? below(w, (unsigned)(b->len - off)) + 1 : 0;
    expect = len ? len : b->len - off;
    want = pattern(b->len, b->seed);
    CHECK_OK(ocireg_client_blob_get_range(w->client, w->repo, b->digest, off, len,
                                          buf_write, &got, NULL));
    CHECK(got.len == expect && memcmp(got.data, want + off, (size_t)expect) == 0);
    w->bytes_down += got.len;
    free(got.data);
    free(want);
}

static void op_mount(struct worker *w)
{
    struct blob *b = pick_blob(w);
    int mounted = 42;
    ocireg_upload *u = NULL;
    uint64_t size = 0;
    if (!b) { op_push_mem(w); return; }
    if (below(w, 3)) {
        /* A blob of this repository: mounted. */
        CHECK_OK(ocireg_client_blob_mount(w->client, w->mrepo, b->digest, w->path,
                                          NULL, &mounted, &u));
        CHECK(mounted == 1 && u == NULL);
        CHECK_OK(ocireg_client_blob_head(w->client, w->mrepo, b->digest, NULL, &size));
        CHECK(size == b->len);
    } else {
        /* Bytes nobody pushed: not mounted; upload them through the session. */
        unsigned seed = new_seed(w) ^ 0x5a5a5a5au;
        size_t len = 1 + below(w, 20000);
        uint8_t *data = pattern(len, seed);
        char want[72], *dg = NULL;
        sha256_digest(data, len, want);
        CHECK_OK(ocireg_client_blob_mount(w->client, w->mrepo, want, w->path,
                                          NULL, &mounted, &u));
        CHECK(mounted == 0 && u != NULL);
        CHECK_OK(ocireg_upload_write(u, data, len));
        CHECK_OK(ocireg_upload_commit(u, want, &dg));
        CHECK_STREQ(dg, want);
        ocireg_string_free(dg);
        ocireg_upload_free(u);
        CHECK_OK(ocireg_client_blob_head(w->client, w->mrepo, want, NULL, &size));
        CHECK(size == len);
        free(data);
    }
}

static void op_bdelete(struct worker *w)
{
    struct blob *b = pick_blob(w);
    uint64_t size = 4242;
    char marker[128];
    if (!b) { op_push_mem(w); return; }
    CHECK_OK(ocireg_client_blob_delete(w->client, w->repo, b->digest, NULL));
    b->alive = 0;
    CHECK_STATUS(ocireg_client_blob_head(w->client, w->repo, b->digest, NULL, &size),
                 OCIREG_ERR_NOT_FOUND);
    CHECK(size == 4242);
    snprintf(marker, sizeof marker, "%s", w->path);
    expect_error(w, OCIREG_ERR_NOT_FOUND, marker, 404, NULL);
}

/* ---- manifests --------------------------------------------------------- */

/* An OCI image manifest of this thread's config and `layer`, unique by its
 * annotation, with a subject when `subject` is not NULL. */
static size_t manifest_json(struct worker *w, char *out, size_t cap, const char *artifact_type,
                            const struct blob *layer, const struct manifest *subject)
{
    char at[160] = "", sub[256] = "";
    int n;
    if (artifact_type)
        snprintf(at, sizeof at, "\"artifactType\":\"%s\",", artifact_type);
    if (subject)
        snprintf(sub, sizeof sub,
                 ",\"subject\":{\"mediaType\":\"" OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":%lu}",
                 subject->digest, (unsigned long)subject->len);
    n = snprintf(out, cap,
                 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST "\",%s"
                 "\"config\":{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"%s\",\"size\":%lu},"
                 "\"layers\":[{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"%s\",\"size\":%lu}],"
                 "\"annotations\":{\"load\":\"t%d-op%u-run%u\"}%s}",
                 at, w->config, (unsigned long)w->config_len, layer->digest,
                 (unsigned long)layer->len, w->id, w->cur_op, salt, sub);
    CHECK(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void put_manifest(struct worker *w, struct manifest *m, const struct blob *layer,
                         int ntags)
{
    char ref[512], *dg = NULL;
    int k;
    m->len = manifest_json(w, m->json, sizeof m->json, NULL, layer, NULL);
    sha256_digest((const uint8_t *)m->json, m->len, m->digest);
    m->ntags = ntags;
    for (k = 0; k < ntags; k++)
        snprintf(m->tags[k], sizeof m->tags[k], "m%u-%c", w->cur_op, 'a' + k);
    if (ntags == 1) {
        snprintf(ref, sizeof ref, "%s:%s", w->repo, m->tags[0]);
        CHECK_OK(ocireg_client_manifest_put(w->client, ref, (const uint8_t *)m->json, m->len,
                                            OCI_MANIFEST, NULL, &dg));
    } else {
        const char *tags[2];
        tags[0] = m->tags[0];
        tags[1] = m->tags[1];
        CHECK_OK(ocireg_client_manifest_put_tags(w->client, w->repo, tags, (size_t)ntags,
                                                 (const uint8_t *)m->json, m->len,
                                                 OCI_MANIFEST, NULL, &dg));
    }
    CHECK_STREQ(dg, m->digest);
    ocireg_string_free(dg);
    m->alive = 1;
}

static void op_mput(struct worker *w)
{
    struct blob *layer = pick_blob(w);
    struct manifest *m = &w->mans[w->next_man];
    if (!layer) { op_push_mem(w); return; }
    w->next_man = (w->next_man + 1) % MAX_MANIFESTS;
    put_manifest(w, m, layer, below(w, 4) ? 1 : 2);
}

static struct manifest *pick_manifest(struct worker *w)
{
    int tries;
    for (tries = 0; tries < 8; tries++) {
        struct manifest *m = &w->mans[below(w, MAX_MANIFESTS)];
        if (m->alive == 1) return m;
    }
    return NULL;
}

/* A reference to `m`: by one of its tags or by digest. */
static void manifest_ref(struct worker *w, const struct manifest *m, char *out, size_t cap)
{
    unsigned k = below(w, (unsigned)m->ntags + 1);
    if (k < (unsigned)m->ntags) snprintf(out, cap, "%s:%s", w->repo, m->tags[k]);
    else snprintf(out, cap, "%s@%s", w->repo, m->digest);
}

static void op_mget(struct worker *w)
{
    struct manifest *m = pick_manifest(w);
    ocireg_content *c = NULL;
    const uint8_t *bytes;
    size_t len = 0;
    char ref[512];
    if (!m) { op_mput(w); return; }
    manifest_ref(w, m, ref, sizeof ref);
    CHECK_OK(ocireg_client_manifest_get(w->client, ref, NULL, &c));
    bytes = ocireg_content_bytes(c, &len);
    CHECK(len == m->len && bytes && memcmp(bytes, m->json, len) == 0);
    CHECK_STREQ(ocireg_content_media_type(c), OCI_MANIFEST);
    CHECK_STREQ(ocireg_content_digest(c), m->digest);
    ocireg_content_free(c);
}

static void op_mhead(struct worker *w)
{
    struct manifest *m = pick_manifest(w);
    char ref[512], *dg = NULL, *mt = NULL;
    uint64_t size = 0;
    if (!m) { op_mput(w); return; }
    manifest_ref(w, m, ref, sizeof ref);
    CHECK_OK(ocireg_client_manifest_head(w->client, ref, NULL, &dg, &size, &mt));
    CHECK_STREQ(dg, m->digest);
    CHECK_STREQ(mt, OCI_MANIFEST);
    CHECK(size == m->len);
    ocireg_string_free(dg);
    ocireg_string_free(mt);
}

static void op_mdelete(struct worker *w)
{
    struct manifest *m = pick_manifest(w);
    char ref[512];
    if (!m) { op_mput(w); return; }
    snprintf(ref, sizeof ref, "%s@%s", w->repo, m->digest);
    CHECK_OK(ocireg_client_manifest_delete(w->client, ref, NULL));
    m->alive = 0;
    CHECK_STATUS(ocireg_client_manifest_head(w->client, ref, NULL, NULL, NULL, NULL),
                 OCIREG_ERR_NOT_FOUND);
    expect_error(w, OCIREG_ERR_NOT_FOUND, w->path, 404, NULL);
}

static void op_tags(struct worker *w)
{
    ocireg_string_list *l = NULL;
    int i, k;
    CHECK_OK(ocireg_client_tags(w->client, w->repo, NULL, &l));
    CHECK(l != NULL);
    CHECK(list_has(l, "subject"));
    for (i = 0; i < MAX_MANIFESTS; i++) {
        const struct manifest *m = &w->mans[i];
        for (k = 0; m->alive >= 0 && k < m->ntags; k++)
            CHECK(list_has(l, m->tags[k]) == (m->alive == 1));
    }
    CHECK(ocireg_string_list_get(l, ocireg_string_list_len(l)) == NULL);
    ocireg_string_list_free(l);
}

#define TYPE0 "application/vnd.load.signature"
#define TYPE1 "application/vnd.load.sbom"

static void op_referrers(struct worker *w)
{
    ocireg_descriptor_list *d = NULL;
    char ref[512], json[1024], *dg = NULL;
    struct blob *layer = pick_blob(w);
    int type = (int)below(w, 2), i, n;
    size_t k, len;
    if (w->nreferrers < MAX_REFERRERS && layer) {
        /* A new referrer of the subject. */
        char *out = w->referrers[w->nreferrers];
        len = manifest_json(w, json, sizeof json, type ? TYPE1 : TYPE0, layer, &w->subject);
        sha256_digest((const uint8_t *)json, len, out);
        snprintf(ref, sizeof ref, "%s@%s", w->repo, out);
        CHECK_OK(ocireg_client_manifest_put(w->client, ref, (const uint8_t *)json, len,
                                            OCI_MANIFEST, NULL, &dg));
        CHECK_STREQ(dg, out);
        ocireg_string_free(dg);
        w->referrer_type[w->nreferrers++] = type;
        if (!type) w->nreferrers_type0++;
    }
    snprintf(ref, sizeof ref, "%s@%s", w->repo, w->subject.digest);
    if (below(w, 2)) {
        CHECK_OK(ocireg_client_referrers(w->client, ref, NULL, NULL, &d));
        n = w->nreferrers;
    } else {
        CHECK_OK(ocireg_client_referrers(w->client, ref, TYPE0, NULL, &d));
        n = w->nreferrers_type0;
    }
    CHECK(ocireg_descriptor_list_len(d) == (size_t)n);
    for (k = 0; k < ocireg_descriptor_list_len(d); k++) {
        const char *rdg = ocireg_descriptor_list_digest(d, k);
        const char *at = ocireg_descriptor_list_artifact_type(d, k);
        int found = 0;
        for (i = 0; i < w->nreferrers && !found; i++)
            found = rdg && at && strcmp(rdg, w->referrers[i]) == 0 &&
                    strcmp(at, w->referrer_type[i] ? TYPE1 : TYPE0) == 0;
        CHECK(found);
        CHECK_STREQ(ocireg_descriptor_list_media_type(d, k), OCI_MANIFEST);
    }
    ocireg_descriptor_list_free(d);
}

/* A failure that names this thread: a blob or a manifest it never pushed. */
static void op_not_found(struct worker *w)
{
    char ref[512], dg[72], seedtext[64];
    uint64_t size = 4242;
    ocireg_content *c = (ocireg_content *)&size;
    snprintf(seedtext, sizeof seedtext, "missing t%d op%u run%u", w->id, w->cur_op, salt);
    sha256_digest((const uint8_t *)seedtext, strlen(seedtext), dg);
    switch (below(w, 3)) {
    case 0:
        CHECK_STATUS(ocireg_client_blob_head(w->client, w->repo, dg, NULL, &size),
                     OCIREG_ERR_NOT_FOUND);
        CHECK(size == 4242);
        expect_error(w, OCIREG_ERR_NOT_FOUND, dg + 7, 404, NULL);
        break;
    case 1:
        snprintf(ref, sizeof ref, "%s:missing-t%d-%u", w->repo, w->id, w->cur_op);
        CHECK_STATUS(ocireg_client_manifest_get(w->client, ref, NULL, &c), OCIREG_ERR_NOT_FOUND);
        CHECK(c == (ocireg_content *)&size);
        snprintf(ref, sizeof ref, "missing-t%d-%u", w->id, w->cur_op);
        expect_error(w, OCIREG_ERR_NOT_FOUND, ref, 404, "MANIFEST_UNKNOWN");
        break;
    default: {
        struct buf got = {0};
        CHECK_STATUS(ocireg_client_blob_get(w->client, w->repo, dg, buf_write, &got,
                                            NULL, NULL, NULL), OCIREG_ERR_NOT_FOUND);
        CHECK(got.len == 0);
        free(got.data);
        expect_error(w, OCIREG_ERR_NOT_FOUND, dg + 7, 404, "BLOB_UNKNOWN");
        break;
    }
    }
}

/* ---- cancellation ------------------------------------------------------- */

static void op_cancel(struct worker *w)
{
    ocireg_cancel *c;
    ocireg_status st;
    unsigned kind = below(w, 6);
    if (kind == 0) {
        /* Cancelled before the call: always CANCELLED. */
        uint64_t size = 4242;
        c = ocireg_cancel_new();
        CHECK(c != NULL);
        ocireg_cancel_cancel(c);
        CHECK_STATUS(ocireg_client_blob_head(w->client, w->repo, w->big_digest, c, &size),
                     OCIREG_ERR_CANCELLED);
        CHECK(size == 4242);
        w->cancelled++;
        expect_error(w, OCIREG_ERR_CANCELLED, NULL, 0, NULL);
        ocireg_cancel_free(c);
        return;
    }
    c = arm_cancel(w);
    switch (kind) {
    case 1: { /* a download through the callback */
        struct buf got = {0};
        st = ocireg_client_blob_get(w->client, w->repo, w->big_digest, buf_write, &got,
                                    NULL, NULL, c);
        if (cancel_outcome(w, st))
            CHECK(got.len == w->big_len && memcmp(got.data, w->big, w->big_len) == 0);
        free(got.data);
        break;
    }
    case 2: { /* a download through the reader */
        ocireg_blob_reader *r = NULL;
        uint8_t *buf = (uint8_t *)malloc(65536);
        size_t total = 0, n = 1;
        st = ocireg_client_blob_open(w->client, w->repo, w->big_digest, c, &r);
        while (st == OCIREG_OK && n > 0) {
            st = ocireg_blob_reader_read(r, buf, 65536, &n);
            if (st == OCIREG_OK) {
                CHECK(total + n <= w->big_len && memcmp(buf, w->big + total, n) == 0);
                total += n;
            }
        }
        if (cancel_outcome(w, st)) CHECK(total == w->big_len);
        ocireg_blob_reader_free(r);
        free(buf);
        break;
    }
    case 3: { /* a push from memory of new bytes */
        unsigned seed = new_seed(w) ^ 0xc0ffeeu;
        size_t len = 50000 + below(w, 150000);
        uint8_t *data = pattern(len, seed);
        char want[72], *dg = NULL;
        sha256_digest(data, len, want);
        st = ocireg_client_blob_push(w->client, w->repo, data, len, c, &dg);
        if (cancel_outcome(w, st)) {
            CHECK_STREQ(dg, want);
            add_blob(w, want, len, seed);
        } else {
            CHECK(dg == NULL);
        }
        ocireg_string_free(dg);
        free(data);
        break;
    }
    case 4: { /* a push through the writer handle */
        unsigned seed = new_seed(w) ^ 0xbeefu;
        size_t len = 50000 + below(w, 150000), pos = 0;
        uint8_t *data = pattern(len, seed);
        char want[72], *dg = NULL;
        ocireg_upload *u = NULL;
        sha256_digest(data, len, want);
        st = ocireg_client_upload_start(w->client, w->repo, c, &u);
        while (st == OCIREG_OK && pos < len) {
            size_t n = 1 + below(w, 30000);
            if (n > len - pos) n = len - pos;
            st = ocireg_upload_write(u, data + pos, n);
            pos += n;
        }
        if (st == OCIREG_OK) st = ocireg_upload_commit(u, NULL, &dg);
        if (cancel_outcome(w, st)) {
            CHECK_STREQ(dg, want);
            add_blob(w, want, len, seed);
        }
        ocireg_string_free(dg);
        ocireg_upload_free(u);
        free(data);
        break;
    }
    default: { /* a manifest read */
        ocireg_content *m = NULL;
        char ref[512];
        snprintf(ref, sizeof ref, "%s:subject", w->repo);
        st = ocireg_client_manifest_get(w->client, ref, c, &m);
        if (cancel_outcome(w, st)) {
            size_t len = 0;
            const uint8_t *b = ocireg_content_bytes(m, &len);
            CHECK(len == w->subject.len && memcmp(b, w->subject.json, len) == 0);
        }
        ocireg_content_free(m);
        break;
    }
    }
    disarm_cancel(w, c);
}

/* ---- the workers --------------------------------------------------------- */

static unsigned ops_per_thread;

static void setup(struct worker *w)
{
    static const char empty_digest[] =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    char cfg[256], *dg = NULL;
    uint8_t *layer;
    size_t n;
    struct blob *b;
    n = (size_t)snprintf(cfg, sizeof cfg,
                         "{\"architecture\":\"amd64\",\"os\":\"linux\",\"load\":\"t%d-run%u\"}",
                         w->id, salt);
    sha256_digest((const uint8_t *)cfg, n, w->config);
    w->config_len = n;
    CHECK_OK(ocireg_client_blob_push(w->client, w->repo, (const uint8_t *)cfg, n, NULL, &dg));
    CHECK_STREQ(dg, w->config);
    ocireg_string_free(dg);
    /* The empty blob. */
    CHECK_OK(ocireg_client_blob_push(w->client, w->repo, (const uint8_t *)"", 0, NULL, &dg));
    CHECK_STREQ(dg, empty_digest);
    ocireg_string_free(dg);
    /* The subject image of the referrers, tagged "subject". */
    layer = pattern(3000, (unsigned)w->id * 31u + 7u);
    b = add_blob(w, "", 3000, (unsigned)w->id * 31u + 7u);
    sha256_digest(layer, 3000, b->digest);
    CHECK_OK(ocireg_client_blob_push(w->client, w->repo, layer, 3000, NULL, NULL));
    free(layer);
    w->subject.len = manifest_json(w, w->subject.json, sizeof w->subject.json, NULL, b, NULL);
    sha256_digest((const uint8_t *)w->subject.json, w->subject.len, w->subject.digest);
    {
        char ref[512];
        snprintf(ref, sizeof ref, "%s:subject", w->repo);
        CHECK_OK(ocireg_client_manifest_put(w->client, ref, (const uint8_t *)w->subject.json,
                                            w->subject.len, OCI_MANIFEST, NULL, &dg));
        CHECK_STREQ(dg, w->subject.digest);
        ocireg_string_free(dg);
    }
    b->alive = 0; /* keep the subject's layer out of the deletions */
    if (w->cancels) {
        w->big_len = 400000;
        w->big = pattern(w->big_len, (unsigned)w->id * 977u + 3u);
        sha256_digest(w->big, w->big_len, w->big_digest);
        CHECK_OK(ocireg_client_blob_push(w->client, w->repo, w->big, w->big_len, NULL, &dg));
        CHECK_STREQ(dg, w->big_digest);
        ocireg_string_free(dg);
    }
}

static enum op choose(struct worker *w)
{
    unsigned total = 0, r, i;
    for (i = 0; i < OP_COUNT; i++)
        if (i != OP_CANCEL || w->cancels) total += op_weight[i];
    r = below(w, total);
    for (i = 0; i < OP_COUNT; i++) {
        if (i == OP_CANCEL && !w->cancels) continue;
        if (r < op_weight[i]) return (enum op)i;
        r -= op_weight[i];
    }
    return OP_HEAD;
}

static void *work(void *arg)
{
    struct worker *w = (struct worker *)arg;
    unsigned i;
    check_last_error(w); /* nothing failed on this new thread yet */
    if (w->cancels) {
        pthread_mutex_init(&w->helper.mu, NULL);
        pthread_cond_init(&w->helper.cv, NULL);
        w->helper.state = 0;
        CHECK(pthread_create(&w->helper.thread, NULL, helper_main, &w->helper) == 0);
    }
    setup(w);
    check_last_error(w);
    for (i = 0; i < ops_per_thread; i++) {
        enum op k = choose(w);
        w->cur_op = i;
        w->cur_kind = k;
        switch (k) {
        case OP_PUSH_MEM: op_push_mem(w); break;
        case OP_PUSH_WRITER: op_push_writer(w); break;
        case OP_PUSH_FROM: op_push_from(w); break;
        case OP_HEAD: op_head(w); break;
        case OP_GET: op_get(w); break;
        case OP_READER: op_reader(w); break;
        case OP_RANGE: op_range(w); break;
        case OP_TAGS: op_tags(w); break;
        case OP_MPUT: op_mput(w); break;
        case OP_MGET: op_mget(w); break;
        case OP_MHEAD: op_mhead(w); break;
        case OP_MOUNT: op_mount(w); break;
        case OP_REFERRERS: op_referrers(w); break;
        case OP_MDELETE: op_mdelete(w); break;
        case OP_BDELETE: op_bdelete(w); break;
        case OP_NOT_FOUND: op_not_found(w); break;
        case OP_CANCEL: op_cancel(w); break;
        default: break;
        }
        w->count[k]++;
        w->ops++;
        /* Whatever the other threads did meanwhile, this thread's last
         * error is still its own. */
        check_last_error(w);
    }
    if (w->cancels) {
        pthread_mutex_lock(&w->helper.mu);
        w->helper.state = 3;
        pthread_cond_broadcast(&w->helper.cv);
        pthread_mutex_unlock(&w->helper.mu);
        CHECK(pthread_join(w->helper.thread, NULL) == 0);
        pthread_mutex_destroy(&w->helper.mu);
        pthread_cond_destroy(&w->helper.cv);
    }
    free(w->big);
    w->big = NULL;
    w->done = 1;
    return NULL;
}

static ocireg_client *make_client(struct worker *w)
{
    const char *user = env_req("OCIREG_TEST_USER"), *pass = env_req("OCIREG_TEST_PASS");
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    CHECK(o != NULL);
    CHECK_OK(ocireg_options_add_insecure_registry(o, env_req("OCIREG_TEST_PLAIN")));
    CHECK_OK(ocireg_options_add_ca_file(o, env_req("OCIREG_TEST_CA")));
    CHECK_OK(ocireg_options_set_credentials(o, env_req("OCIREG_TEST_TLS"), user, pass));
    CHECK_OK(ocireg_options_set_credentials(o, env_req("OCIREG_TEST_TOKEN"), user, pass));
    /* Small chunks: the writer handle sends several PATCHes per blob. */
    CHECK_OK(ocireg_options_set_upload_chunk_size(o, 16384));
    /* Generous: under valgrind 16 threads crawl. */
    CHECK_OK(ocireg_options_set_request_timeout_ms(o, 600000));
    CHECK_OK(ocireg_options_set_read_timeout_ms(o, 300000));
    CHECK_OK(ocireg_client_new(o, &c));
    CHECK(c != NULL);
    ocireg_options_free(o);
    return c;
}

int main(void)
{
    static const char *const names[3] = {"plain", "tls", "token"};
    const char *hosts[3], *regs_env = getenv("LOAD_REGISTRIES");
    int on[3], non = 0, i, k, nthreads;
    struct worker mainw;
    pthread_t threads[MAX_THREADS];
    unsigned totals[OP_COUNT], total_ops = 0, cancelled = 0, completed = 0;
    unsigned long long up = 0, down = 0;
    uint64_t start = now_ms();
    ocireg_client *client;

    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&mainw, 0, sizeof mainw);
    mainw.id = -1;
    hosts[0] = env_req("OCIREG_TEST_PLAIN");
    hosts[1] = env_req("OCIREG_TEST_TLS");
    hosts[2] = env_req("OCIREG_TEST_TOKEN");
    if (!regs_env || !*regs_env) regs_env = "plain,token";
    for (i = 0; i < 3; i++)
        if (strstr(regs_env, names[i])) on[non++] = i;
    if (!non) {
        fprintf(stderr, "LOAD_REGISTRIES names none of plain, tls, token\n");
        return 2;
    }
    nthreads = (int)env_long("LOAD_THREADS", 16);
    if (nthreads < 1 || nthreads > MAX_THREADS) nthreads = 16;
    ops_per_thread = (unsigned)env_long("LOAD_OPS", 200);
    salt = (unsigned)env_long("LOAD_RUN", 0);
    cancel_max_us = env_long("LOAD_CANCEL_MAX_US", 50000);
    if (cancel_max_us < 0) cancel_max_us = 0;

    {
        struct worker *w = &mainw;
        client = make_client(w);
        check_last_error(w);
    }
    all_workers = (struct worker *)calloc((size_t)nthreads, sizeof *all_workers);
    nworkers = nthreads;
    printf("load: %d threads x %u operations on one client; registries %s; run %u\n",
           nthreads, ops_per_thread, regs_env, salt);
    for (i = 0; i < nthreads; i++) {
        struct worker *w = &all_workers[i];
        int r = on[i % non];
        w->client = client;
        w->id = i;
        w->reg_name = names[r];
        w->host = hosts[r];
        w->cancels = i % 2;
        w->rng = 0x9e3779b9u ^ ((unsigned)i * 2654435761u) ^ (salt * 40503u);
        if (!w->rng) w->rng = 1;
        snprintf(w->path, sizeof w->path, "load/t%02d", i);
        snprintf(w->repo, sizeof w->repo, "%s/%s", w->host, w->path);
        snprintf(w->mrepo, sizeof w->mrepo, "%s/load/t%02d-m", w->host, i);
        for (k = 0; k < MAX_MANIFESTS; k++) w->mans[k].alive = -1;
        w->want_status = OCIREG_OK;
    }
    for (i = 0; i < nthreads; i++) {
        struct worker *w = &mainw;
        CHECK(pthread_create(&threads[i], NULL, work, &all_workers[i]) == 0);
    }
    memset(totals, 0, sizeof totals);
    for (i = 0; i < nthreads; i++) {
        struct worker *w = &mainw;
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(all_workers[i].done && all_workers[i].ops == ops_per_thread);
        for (k = 0; k < OP_COUNT; k++) totals[k] += all_workers[i].count[k];
        total_ops += all_workers[i].ops;
        cancelled += all_workers[i].cancelled;
        completed += all_workers[i].completed;
        up += all_workers[i].bytes_up;
        down += all_workers[i].bytes_down;
    }
    ocireg_client_free(client);
    /* The main thread never failed a call. */
    {
        struct worker *w = &mainw;
        check_last_error(w);
    }
    printf("operations: %u in %.1f s;", total_ops, (double)(now_ms() - start) / 1000.0);
    for (k = 0; k < OP_COUNT; k++) printf(" %s %u", op_names[k], totals[k]);
    printf("\ncancellable calls: %u cancelled, %u completed; %llu bytes up, %llu down\n",
           cancelled, completed, up, down);
    printf("%u passed, 0 failed\n", total_passed() + mainw.passed);
    free(all_workers);
    return 0;
}
