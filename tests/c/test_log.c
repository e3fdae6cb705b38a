/* test_log.c: the log callback. Debug lines name each HTTP request
 * (method, URL, status, time, retry) and never a credential; levels filter;
 * a NULL callback turns logging off; bad levels are refused. The callback
 * is process-wide: each test sets it back to NULL before it returns. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define MAX_LINES 4096

struct log {
    pthread_mutex_t lock;
    int count, dropped, bad_level;
    char *lines[MAX_LINES];
};

/* An ocireg_log_cb keeping every line; called from any thread. */
static void collect(void *userdata, ocireg_log_level level, const char *message)
{
    struct log *l = (struct log *)userdata;
    pthread_mutex_lock(&l->lock);
    if (level < OCIREG_LOG_ERROR || level > OCIREG_LOG_DEBUG) l->bad_level++;
    if (l->count < MAX_LINES) l->lines[l->count++] = strdup(message);
    else l->dropped++;
    pthread_mutex_unlock(&l->lock);
}

static void log_init(struct log *l)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
}

static void log_free(struct log *l)
{
    int i;
    for (i = 0; i < l->count; i++) free(l->lines[i]);
    pthread_mutex_destroy(&l->lock);
}

/* Whether some line holds both `a` and `b`. */
static int log_has(struct log *l, const char *a, const char *b)
{
    int i, found = 0;
    pthread_mutex_lock(&l->lock);
    for (i = 0; i < l->count && !found; i++)
        found = strstr(l->lines[i], a) && (!b || strstr(l->lines[i], b));
    pthread_mutex_unlock(&l->lock);
    return found;
}

/* Some work on registry `r`: a push, a get, an unknown tag, the tags. */
static void traffic(ocireg_client *c, const struct reg *r)
{
    struct image img;
    ocireg_content *m = NULL;
    ocireg_string_list *tags = NULL;
    char repo[512], ref[600];
    repo_ref(repo, sizeof repo, r, "c/log");
    push_image(c, repo, "v1", 41, &img);
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    ocireg_content_free(m);
    m = NULL;
    snprintf(ref, sizeof ref, "%s:nope", repo);
    CHECK_STATUS(ocireg_client_manifest_get(c, ref, NULL, &m), OCIREG_ERR_NOT_FOUND);
    CHECK_OK(ocireg_client_tags(c, repo, NULL, &tags));
    ocireg_string_list_free(tags);
}

static void test_log_debug_lines(void)
{
    struct log l;
    ocireg_client *c;
    const char *pass = env_req("OCIREG_TEST_PASS");
    char want[700];
    int i, j;
    log_init(&l);
    CHECK_OK(ocireg_set_log_callback(OCIREG_LOG_DEBUG, collect, &l));
    c = make_client(NULL);
    FOR_EACH_REG(i) {
        const struct reg *r = &registries()[i];
        const char *scheme = i == 0 ? "http" : "https";
        traffic(c, r);
        snprintf(want, sizeof want, "GET %s://%s/v2/c/log/manifests/v1 -> 200 in ", scheme, r->host);
        CHECK(log_has(&l, want, " ms (retry 0)"));
        snprintf(want, sizeof want, "GET %s://%s/v2/c/log/manifests/nope -> 404 in ", scheme, r->host);
        CHECK(log_has(&l, want, NULL));
        snprintf(want, sizeof want, "PUT %s://%s/v2/c/log/manifests/v1 -> 201 in ", scheme, r->host);
        CHECK(log_has(&l, want, NULL));
        if (i > 0) {
            /* The registry's challenge: the first contact's 401 (or a ping's). */
            snprintf(want, sizeof want, " https://%s/v2/", r->host);
            CHECK(log_has(&l, want, " -> 401 in "));
        }
    }
    CHECK_OK(ocireg_set_log_callback(OCIREG_LOG_DEBUG, NULL, NULL));
    ocireg_client_free(c);
    CHECK(l.count > 0 && l.dropped == 0 && l.bad_level == 0);
    /* No credential in any line: not the password, no auth header, no
     * token (a JWT starts with "eyJ"). */
    for (j = 0; j < l.count; j++) {
        CHECK(strstr(l.lines[j], pass) == NULL);
        CHECK(strstr(l.lines[j], "Bearer") == NULL);
        CHECK(strstr(l.lines[j], "Basic") == NULL);
        CHECK(strstr(l.lines[j], "eyJ") == NULL);
        CHECK(strstr(l.lines[j], "uthorization") == NULL);
    }
    log_free(&l);
}

static void test_log_levels_and_off(void)
{
    struct log l;
    ocireg_client *c;
    int count;
    log_init(&l);
    /* Error level: requests are below it. */
    CHECK_OK(ocireg_set_log_callback(OCIREG_LOG_ERROR, collect, &l));
    c = make_client(NULL);
    traffic(c, reg_pick(0));
    CHECK(l.count == 0);
    /* Debug, then off: nothing after the NULL callback. */
    CHECK_OK(ocireg_set_log_callback(OCIREG_LOG_DEBUG, collect, &l));
    CHECK_OK(ocireg_client_ping(c, reg_pick(0)->host, NULL));
    CHECK(l.count > 0);
    CHECK_OK(ocireg_set_log_callback(OCIREG_LOG_DEBUG, NULL, NULL));
    pthread_mutex_lock(&l.lock);
    count = l.count;
    pthread_mutex_unlock(&l.lock);
    traffic(c, reg_pick(0));
    CHECK(l.count == count);
    /* Unknown levels are refused and leave logging as it was (off). */
    CHECK_STATUS(ocireg_set_log_callback(0, collect, &l), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_set_log_callback(5, collect, &l), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "log level 5") != NULL);
    CHECK_OK(ocireg_client_ping(c, reg_pick(0)->host, NULL));
    CHECK(l.count == count);
    ocireg_client_free(c);
    log_free(&l);
}

const struct test log_tests[] = {
    {"log_debug_lines", test_log_debug_lines, NEEDS_ANY},
    {"log_levels_and_off", test_log_levels_and_off, NEEDS_ANY},
    {NULL, NULL, 0},
};
