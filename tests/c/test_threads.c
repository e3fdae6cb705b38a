/* test_threads.c: one client shared by 8 threads, each pushing, heading,
 * fetching and listing its own data on the three registries in turn. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 4

struct worker {
    ocireg_client *client;
    int id;
    int rounds_done;
};

/* One round: push a blob and a tagged manifest, then read them back. */
static void round_trip(struct worker *w, int round)
{
    const struct reg *reg = reg_pick(w->id + round);
    size_t len = 20000 + (size_t)w->id * 1000 + (size_t)round;
    uint8_t *data = pattern(len, (unsigned)(100 + w->id * 10 + round));
    char repo[256], name[64], tag[32], want[72], *dg = NULL;
    struct buf b = {0};
    ocireg_string_list *l = NULL;
    struct image img;
    uint64_t size = 0;
    snprintf(name, sizeof name, "ctest/thread-%d", w->id);
    snprintf(tag, sizeof tag, "round-%d", round);
    repo_ref(repo, sizeof repo, reg, name);
    sha256_digest(data, len, want);
    CHECK_OK(ocireg_client_blob_push(w->client, repo, data, len, NULL, &dg));
    CHECK_STREQ(dg, want);
    ocireg_string_free(dg);
    CHECK_OK(ocireg_client_blob_head(w->client, repo, want, NULL, &size));
    CHECK(size == len);
    CHECK_OK(ocireg_client_blob_get(w->client, repo, want, buf_write, &b, NULL, NULL, NULL));
    CHECK(b.len == len && memcmp(b.data, data, len) == 0);
    buf_free(&b);
    push_image(w->client, repo, tag, (unsigned)(w->id * 10 + round), &img);
    CHECK_OK(ocireg_client_tags(w->client, repo, NULL, &l));
    CHECK(list_has(l, tag));
    ocireg_string_list_free(l);
    /* An error on this thread is this thread's last error. */
    CHECK_STATUS(ocireg_client_blob_head(w->client, repo,
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        NULL, &size), OCIREG_ERR_NOT_FOUND);
    CHECK(ocireg_last_error_status() == OCIREG_ERR_NOT_FOUND);
    free(data);
}

static void *work(void *arg)
{
    struct worker *w = (struct worker *)arg;
    int round;
    CHECK(ocireg_last_error_status() == OCIREG_OK);
    for (round = 0; round < ROUNDS; round++) {
        round_trip(w, round);
        w->rounds_done++;
    }
    return NULL;
}

static void test_shared_client(void)
{
    ocireg_client *c = make_client(NULL);
    struct worker workers[THREADS];
    pthread_t threads[THREADS];
    int i;
    for (i = 0; i < THREADS; i++) {
        workers[i].client = c;
        workers[i].id = i;
        workers[i].rounds_done = 0;
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(workers[i].rounds_done == ROUNDS);
    }
    ocireg_client_free(c);
}

const struct test threads_tests[] = {
    {"shared_client", test_shared_client, NEEDS_ANY},
    {NULL, NULL, 0},
};
