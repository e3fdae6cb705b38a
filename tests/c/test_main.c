/* test_main.c: the check kit, shared helpers and the test runner.
 *
 * Runs under tests/harness/test_registry.rs, which provides the registries in
 * OCIREG_TEST_* variables. `ocireg_c_tests [FILTER]` runs the tests whose
 * name contains FILTER (all by default). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned passed;

void check_pass(void)
{
    pthread_mutex_lock(&check_lock);
    passed++;
    pthread_mutex_unlock(&check_lock);
}

unsigned check_count(void)
{
    unsigned n;
    pthread_mutex_lock(&check_lock);
    n = passed;
    pthread_mutex_unlock(&check_lock);
    return n;
}

void check_fail(const char *file, int line, const char *expr, int has_status,
                ocireg_status status, const char *extra)
{
    const char *msg = ocireg_last_error_message();
    pthread_mutex_lock(&check_lock);
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    if (has_status)
        fprintf(stderr, "  status: %s (%u)\n", ocireg_status_str(status),
                (unsigned)status);
    if (extra) fprintf(stderr, "  value: %s\n", extra);
    fprintf(stderr, "  last error: %s [%s, http %u]\n", *msg ? msg : "(none)",
            ocireg_status_str(ocireg_last_error_status()),
            (unsigned)ocireg_last_error_http_status());
    printf("%u passed, 1 failed\n", passed);
    fflush(stdout);
    exit(1);
}

const char *env_req(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "%s is not set: run the tests under "
                        "`cargo run --example test_registry -- ...`\n", name);
        exit(2);
    }
    return v;
}

const struct reg *registries(void)
{
    static struct reg regs[3];
    regs[0].name = "plain"; regs[0].host = env_req("OCIREG_TEST_PLAIN");
    regs[1].name = "tls";   regs[1].host = env_req("OCIREG_TEST_TLS");
    regs[2].name = "token"; regs[2].host = env_req("OCIREG_TEST_TOKEN");
    return regs;
}

int reg_enabled(int i)
{
    const char *only = getenv("OCIREG_C_REGISTRIES");
    return !only || !*only || strstr(only, registries()[i].name) != NULL;
}

const struct reg *reg_pick(int n)
{
    int on[3], count = 0, i;
    FOR_EACH_REG(i) on[count++] = i;
    return &registries()[on[n % count]];
}

static int run_wanted(int needs)
{
    int i;
    if (!needs) return 1;
    FOR_EACH_REG(i) if (needs & (1 << i)) return 1;
    return 0;
}

ocireg_options *make_options(const char *password)
{
    const struct reg *r = registries();
    const char *user = env_req("OCIREG_TEST_USER");
    const char *pass = password ? password : env_req("OCIREG_TEST_PASS");
    ocireg_options *o = ocireg_options_new();
    CHECK(o != NULL);
    CHECK_OK(ocireg_options_add_insecure_registry(o, r[0].host));
    CHECK_OK(ocireg_options_add_ca_file(o, env_req("OCIREG_TEST_CA")));
    CHECK_OK(ocireg_options_set_credentials(o, r[1].host, user, pass));
    CHECK_OK(ocireg_options_set_credentials(o, r[2].host, user, pass));
    return o;
}

ocireg_client *make_client(const char *password)
{
    ocireg_client *c = NULL;
    ocireg_options *o = make_options(password);
    CHECK_OK(ocireg_client_new(o, &c));
    CHECK(c != NULL);
    ocireg_options_free(o);
    return c;
}

int buf_write(void *userdata, const uint8_t *data, size_t len)
{
    struct buf *b = (struct buf *)userdata;
    b->calls++;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) cap *= 2;
        b->data = (uint8_t *)realloc(b->data, cap);
        if (!b->data) return 1;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* OCIREG_C_RUN: another run, other bytes (set in main, before threads). */
static unsigned salt;

uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = (uint8_t *)malloc(len ? len : 1);
    uint32_t x;
    size_t i;
    x = (seed + salt * 7919u) * 2654435761u + 1;
    for (i = 0; i < len; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

int progress_cb(void *userdata, uint64_t done, uint64_t total)
{
    struct progress *p = (struct progress *)userdata;
    p->calls++;
    p->done = done;
    p->total = total;
    return p->abort_at && p->calls >= p->abort_at;
}

int source_read(void *userdata, uint8_t *buf, size_t cap, size_t *len_out)
{
    struct source *s = (struct source *)userdata;
    size_t n = s->len - s->pos;
    s->calls++;
    if (s->abort_at && s->calls >= s->abort_at) return 1;
    if (n > cap) n = cap;
    if (s->step && n > s->step) n = s->step;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *len_out = n;
    return 0;
}

void repo_ref(char *out, size_t cap, const struct reg *r, const char *name)
{
    snprintf(out, cap, "%s/%s", r->host, name);
}

int list_has(const ocireg_string_list *l, const char *s)
{
    size_t i, n = ocireg_string_list_len(l);
    for (i = 0; i < n; i++)
        if (strcmp(ocireg_string_list_get(l, i), s) == 0) return 1;
    return 0;
}

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_group(const struct test *tests, const char *filter)
{
    for (; tests->name; tests++) {
        uint64_t start;
        unsigned before;
        if (filter && !strstr(tests->name, filter)) continue;
        if (!run_wanted(tests->needs)) continue;
        start = now_ms();
        before = check_count();
        tests->fn();
        printf("ok %-40s %4u checks %6lu ms\n", tests->name,
               check_count() - before, (unsigned long)(now_ms() - start));
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *run = getenv("OCIREG_C_RUN");
    salt = 1 + (unsigned)(run ? atoi(run) : 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    run_group(errors_tests, filter);
    run_group(reference_tests, filter);
    run_group(roundtrip_tests, filter);
    run_group(failures_tests, filter);
    run_group(options_tests, filter);
    run_group(images_tests, filter);
    run_group(platforms_tests, filter);
    run_group(log_tests, filter);
    run_group(artifacts_tests, filter);
    run_group(threads_tests, filter);
    run_group(fork_tests, filter);
    run_group(sigchld_tests, filter);
    run_group(request_tests, filter);
    run_group(referrers_tests, filter);
    run_group(login_search_tests, filter);
    run_group(registries_conf_tests, filter);
    run_group(signatures_tests, filter);
    run_group(conf_names_tests, filter);
    run_group(image_source_tests, filter);
    run_group(index_tests, filter);
    printf("%u passed, 0 failed\n", check_count());
    return 0;
}
