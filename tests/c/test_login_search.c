/* test_login_search.c: login that persists and logout, search, the rate
 * limit and the HEAD-only digest, over the C API. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* Reads a whole small file into a static buffer ("" when missing). */
static const char *slurp_file(const char *path)
{
    static char text[8192];
    size_t n = 0;
    FILE *f = fopen(path, "r");
    text[0] = '\0';
    if (f) {
        n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
    }
    text[n] = '\0';
    return text;
}

static void test_login_logout(void)
{
    const struct reg *tls = &registries()[1];
    ocireg_client *c = make_client(NULL);
    char dir[] = "/tmp/ocireg-c-login-XXXXXX", file[256];
    char *where = NULL;
    struct stat st;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(file, sizeof file, "%s/sub/auth.json", dir);

    /* Arguments. */
    CHECK_STATUS(ocireg_client_login(c, tls->host, "u", "p", OCIREG_LOGIN_AUTH_FILE, NULL,
                                     NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_client_login(c, tls->host, "u", "p", OCIREG_LOGIN_DOCKER, file, NULL,
                                     NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_client_login(c, tls->host, "u", "p", 99, NULL, NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_client_login(c, tls->host, NULL, "p", OCIREG_LOGIN_AUTH_FILE, file,
                                     NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);

    /* A refused credential: nothing stored, no secret in the message. */
    CHECK_STATUS(ocireg_client_login(c, tls->host, env_req("OCIREG_TEST_USER"),
                                     "WRONG-SECRET", OCIREG_LOGIN_AUTH_FILE, file, NULL, NULL),
                 OCIREG_ERR_UNAUTHORIZED);
    CHECK(strstr(ocireg_last_error_message(), "WRONG-SECRET") == NULL);
    CHECK(stat(file, &st) != 0);

    CHECK_OK(ocireg_client_login(c, tls->host, env_req("OCIREG_TEST_USER"),
                                 env_req("OCIREG_TEST_PASS"), OCIREG_LOGIN_AUTH_FILE, file,
                                 NULL, &where));
    CHECK_STREQ(where, file);
    ocireg_string_free(where);
    CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(strstr(slurp_file(file), tls->host) != NULL);

    /* A client reading that file alone is logged in. */
    {
        ocireg_options *o = ocireg_options_new();
        ocireg_client *reader = NULL;
        CHECK_OK(ocireg_options_add_ca_file(o, env_req("OCIREG_TEST_CA")));
        CHECK_OK(ocireg_options_set_auth_file(o, file));
        CHECK_OK(ocireg_client_new(o, &reader));
        ocireg_options_free(o);
        CHECK_OK(ocireg_client_check_credentials(reader, tls->host, NULL));
        ocireg_client_free(reader);
    }

    CHECK_OK(ocireg_client_logout(c, tls->host, OCIREG_LOGIN_AUTH_FILE, file, 0, NULL, NULL));
    CHECK(strstr(slurp_file(file), tls->host) == NULL);
    CHECK_STATUS(ocireg_client_logout(c, tls->host, OCIREG_LOGIN_AUTH_FILE, file, 0, NULL, NULL),
                 OCIREG_ERR_NOT_FOUND);
    CHECK_OK(ocireg_client_logout(c, "", OCIREG_LOGIN_AUTH_FILE, file, 1, NULL, NULL));

    unlink(file);
    snprintf(file, sizeof file, "%s/sub", dir);
    rmdir(file);
    rmdir(dir);
    ocireg_client_free(c);
}

static void test_search_rate_limit_digest(void)
{
    const struct reg *plain = &registries()[0];
    ocireg_client *c = make_client(NULL);
    ocireg_search_results *results = NULL;
    ocireg_rate_limit *limit = NULL;
    struct image images[3];
    char repo[256], ref[300], term[32], name[96];
    char *digest = NULL;
    size_t i;

    /* The slash keeps other runs' names (csearch1234/...) out. */
    snprintf(term, sizeof term, "csearch%ld/", (long)getpid());
    for (i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%sr%zu", term, i);
        repo_ref(repo, sizeof repo, plain, name);
        push_image(c, repo, "v1", (unsigned)(40 + i), &images[i]);
    }
    /* distribution has no v1 search: the filtered catalog, limit kept. */
    CHECK_OK(ocireg_client_search(c, plain->host, term, 2, NULL, &results));
    CHECK(ocireg_search_results_len(results) == 2);
    snprintf(name, sizeof name, "%sr0", term);
    CHECK_STREQ(ocireg_search_results_name(results, 0), name);
    CHECK_STREQ(ocireg_search_results_description(results, 0), "");
    CHECK(ocireg_search_results_star_count(results, 1) == 0);
    CHECK(ocireg_search_results_is_official(results, 1) == 0);
    CHECK(ocireg_search_results_name(results, 2) == NULL);
    CHECK(ocireg_search_results_len(NULL) == 0);
    ocireg_search_results_free(results);
    ocireg_search_results_free(NULL);
    CHECK_STATUS(ocireg_client_search(c, plain->host, term, 10001, NULL, &results),
                 OCIREG_ERR_INVALID_ARGUMENT);

    /* No rate-limit headers: unknown, not zero. */
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_OK(ocireg_client_rate_limit(c, ref, NULL, &limit));
    CHECK(ocireg_rate_limit_limit(limit) == -1);
    CHECK(ocireg_rate_limit_limit_window_s(limit) == -1);
    CHECK(ocireg_rate_limit_remaining(limit) == -1);
    CHECK(ocireg_rate_limit_remaining_window_s(limit) == -1);
    CHECK(ocireg_rate_limit_source(limit) == NULL);
    ocireg_rate_limit_free(limit);
    CHECK_OK(ocireg_client_last_rate_limit(c, plain->host, &limit));
    CHECK(ocireg_rate_limit_limit(limit) == -1);
    ocireg_rate_limit_free(limit);
    CHECK(ocireg_rate_limit_remaining(NULL) == -1);
    ocireg_rate_limit_free(NULL);

    CHECK_OK(ocireg_client_digest(c, ref, NULL, &digest));
    CHECK_STREQ(digest, images[2].manifest);
    ocireg_string_free(digest);
    ocireg_client_free(c);
}

/* A scripted plain-HTTP registry on 127.0.0.1: the ping (GET /v2/) is a
 * 200, the first other request gets Docker Hub's 429 (rate-limit headers,
 * Retry-After and an OCI error body), and then it stops. A TLS hello (the
 * client tries https first) is hung up on. */
struct limited_server {
    int listener;
    char host[32];
    pthread_t thread;
};

static const char ping_answer[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";

static const char limited_answer[] =
    "HTTP/1.1 429 Too Many Requests\r\n"
    "ratelimit-limit: 100;w=21600\r\n"
    "ratelimit-remaining: 0;w=21600\r\n"
    "docker-ratelimit-source: 192.0.2.7\r\n"
    "Retry-After: 30\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 63\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"pull limit\"}]}";

static void *limited_serve(void *arg)
{
    struct limited_server *s = (struct limited_server *)arg;
    for (;;) {
        char request[4096];
        const char *answer;
        size_t got = 0;
        int fd = accept(s->listener, NULL, NULL), limited;
        if (fd < 0) break;
        /* Reads the request head (requests here have no body). */
        request[0] = '\0';
        while (got < sizeof request - 1) {
            ssize_t n = read(fd, request + got, sizeof request - 1 - got);
            if (n <= 0 || request[0] == 0x16) break; /* gone, or a TLS hello */
            got += (size_t)n;
            request[got] = '\0';
            if (strstr(request, "\r\n\r\n")) break;
        }
        if (got == 0 || request[0] == 0x16 || !strstr(request, "\r\n\r\n")) {
            close(fd);
            continue;
        }
        limited = strncmp(request, "GET /v2/ ", 9) != 0;
        answer = limited ? limited_answer : ping_answer;
        if (write(fd, answer, strlen(answer)) < 0) {
            /* the client went away: the test's checks report it */
        }
        close(fd);
        if (limited) break;
    }
    return NULL;
}

static void limited_start(struct limited_server *s)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->listener = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s->listener >= 0);
    CHECK(bind(s->listener, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(s->listener, 8) == 0);
    CHECK(getsockname(s->listener, (struct sockaddr *)&addr, &len) == 0);
    snprintf(s->host, sizeof s->host, "127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    CHECK(pthread_create(&s->thread, NULL, limited_serve, s) == 0);
}

/* A 429 leaves its rate limit on the thread's last error. */
static void test_last_error_rate_limit(void)
{
    struct limited_server s;
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    char ref[128];
    char *digest = (char *)"unset";
    limited_start(&s);
    CHECK_OK(ocireg_options_add_insecure_registry(o, s.host));
    CHECK_OK(ocireg_options_set_max_retries(o, 0));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    /* Nothing failed yet on this thread: all unknown. */
    ocireg_last_error_clear();
    CHECK(ocireg_last_error_rate_limit_limit() == -1);
    CHECK(ocireg_last_error_rate_limit_remaining() == -1);
    CHECK(ocireg_last_error_rate_limit_limit_window_s() == -1);
    CHECK(ocireg_last_error_rate_limit_remaining_window_s() == -1);
    CHECK(ocireg_last_error_rate_limit_source() == NULL);

    snprintf(ref, sizeof ref, "%s/library/app:limited", s.host);
    CHECK_STATUS(ocireg_client_digest(c, ref, NULL, &digest), OCIREG_ERR_TOO_MANY_REQUESTS);
    CHECK(pthread_join(s.thread, NULL) == 0);
    close(s.listener);
    CHECK(strcmp(digest, "unset") == 0);
    CHECK(ocireg_last_error_http_status() == 429);
    CHECK(ocireg_last_error_retry_after_ms() == 30000);
    CHECK(ocireg_last_error_rate_limit_limit() == 100);
    CHECK(ocireg_last_error_rate_limit_limit_window_s() == 21600);
    CHECK(ocireg_last_error_rate_limit_remaining() == 0);
    CHECK(ocireg_last_error_rate_limit_remaining_window_s() == 21600);
    CHECK_STREQ(ocireg_last_error_rate_limit_source(), "192.0.2.7");

    /* A failure without a response forgets it. */
    CHECK_STATUS(ocireg_client_digest(c, NULL, NULL, &digest), OCIREG_ERR_NULL_ARGUMENT);
    CHECK(ocireg_last_error_rate_limit_limit() == -1);
    CHECK(ocireg_last_error_rate_limit_source() == NULL);
    ocireg_last_error_clear();
    CHECK(ocireg_last_error_rate_limit_remaining() == -1);
    ocireg_client_free(c);
}

const struct test login_search_tests[] = {
    {"login_logout", test_login_logout, NEEDS_TLS},
    {"search_rate_limit_digest", test_search_rate_limit_digest, NEEDS_PLAIN},
    {"last_error_rate_limit", test_last_error_rate_limit, 0},
    {NULL, NULL, 0},
};
