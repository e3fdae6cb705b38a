/* test_request.c: raw requests (ocireg_request_*, ocireg_client_request,
 * ocireg_response_*) against the three registries: a blob pushed with raw
 * POST and PUT (the body from bytes, then from a read callback), read back
 * through the write callback, registry errors as statuses, the argument
 * checks and the response-body bound. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A value outputs are pre-set to, to see that failing calls leave them. */
static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

/* `call` fails with NULL_ARGUMENT naming `arg` in the message. */
#define CHECK_NULL_ARG(call, arg)                                           \
    do {                                                                    \
        const char *m_;                                                     \
        CHECK_STATUS(call, OCIREG_ERR_NULL_ARGUMENT);                       \
        m_ = ocireg_last_error_message();                                   \
        CHECK(m_ != NULL && strstr(m_, "`" arg "`") != NULL);               \
    } while (0)

/* The path and query of a Location (absolute or not) into `out`. */
static void location_path(const char *location, char *out, size_t cap)
{
    const char *p = strstr(location, "://");
    if (p) {
        p = strchr(p + 3, '/');
        if (!p) p = "/";
    } else {
        p = location;
    }
    snprintf(out, cap, "%s", p);
}

/* A request of `method` to `path` asking for `scope` (NULL: none). */
static ocireg_request *request(const char *method, const char *path, const char *scope)
{
    ocireg_request *r = NULL;
    CHECK_OK(ocireg_request_new(method, path, &r));
    CHECK(r != NULL);
    if (scope) CHECK_OK(ocireg_request_add_scope(r, scope));
    return r;
}

/* Sends `r` to `host`, the body into `b` (NULL: dropped), and frees `r`. */
static ocireg_response *send_request(ocireg_client *c, const char *host, ocireg_request *r,
                                     struct buf *b)
{
    ocireg_response *resp = NULL;
    CHECK_OK(ocireg_client_request(c, host, r, b ? buf_write : NULL, b, NULL, &resp));
    CHECK(resp != NULL);
    ocireg_request_free(r);
    return resp;
}

/* Pushes `len` bytes as a blob of `name` on registry `reg` with raw
 * requests, the body from a read callback when `streamed`, and checks it
 * reads back whole. */
static void raw_push_and_get(ocireg_client *c, const struct reg *reg, const char *name,
                             int streamed, unsigned seed)
{
    char path[1024], location[900], scope[512], digest[72];
    const char *tokened;
    size_t len = 300000;
    uint8_t *data = pattern(len, seed);
    struct buf b = {0};
    struct source src = {data, len, 0, 70000, 0, 0};
    ocireg_request *r;
    ocireg_response *resp;

    sha256_digest(data, len, digest);
    snprintf(scope, sizeof scope, "repository:%s:pull,push", name);
    tokened = strcmp(reg->name, "token") == 0 ? scope : NULL;

    snprintf(path, sizeof path, "/v2/%s/blobs/uploads/", name);
    resp = send_request(c, reg->host, request("POST", path, tokened), NULL);
    CHECK(ocireg_response_status(resp) == 202);
    CHECK(ocireg_response_header(resp, "LOCATION") != NULL);
    location_path(ocireg_response_header(resp, "location"), location, sizeof location);
    ocireg_response_free(resp);

    snprintf(path, sizeof path, "%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?',
             digest);
    r = request("PUT", path, tokened);
    CHECK_OK(ocireg_request_add_header(r, "Content-Type", "application/octet-stream"));
    if (streamed)
        CHECK_OK(ocireg_request_set_body_reader(r, source_read, &src, len));
    else
        CHECK_OK(ocireg_request_set_body(r, data, len));
    resp = send_request(c, reg->host, r, NULL);
    CHECK(ocireg_response_status(resp) == 201);
    if (streamed) CHECK(src.calls >= 5);
    ocireg_response_free(resp);

    snprintf(path, sizeof path, "/v2/%s/blobs/%s", name, digest);
    resp = send_request(c, reg->host, request("GET", path, tokened), &b);
    CHECK(ocireg_response_status(resp) == 200);
    CHECK(b.len == len && memcmp(b.data, data, len) == 0);
    CHECK(ocireg_response_header_count(resp) > 0);
    CHECK(ocireg_response_header_name(resp, ocireg_response_header_count(resp)) == NULL);
    {
        size_t i, n = ocireg_response_header_count(resp);
        int found = 0;
        for (i = 0; i < n; i++)
            if (strcmp(ocireg_response_header_name(resp, i), "docker-content-digest") == 0)
                found = strcmp(ocireg_response_header_value(resp, i), digest) == 0;
        CHECK(found);
    }
    ocireg_response_free(resp);
    buf_free(&b);

    /* A registry error is a status to read, the error body in the callback. */
    snprintf(path, sizeof path, "/v2/%s/manifests/nope", name);
    resp = send_request(c, reg->host, request("GET", path, tokened), &b);
    CHECK(ocireg_response_status(resp) == 404);
    CHECK(b.len > 0 && memmem(b.data, b.len, "MANIFEST_UNKNOWN", 16) != NULL);
    ocireg_response_free(resp);
    buf_free(&b);
    free(data);
}

static void test_raw_round_trip(void)
{
    ocireg_client *c = make_client(NULL);
    char name[128];
    int i;
    FOR_EACH_REG(i) {
        const struct reg *reg = &registries()[i];
        snprintf(name, sizeof name, "ctest/raw-%s-bytes", reg->name);
        raw_push_and_get(c, reg, name, 0, 70 + (unsigned)i);
        snprintf(name, sizeof name, "ctest/raw-%s-stream", reg->name);
        raw_push_and_get(c, reg, name, 1, 80 + (unsigned)i);
    }
    ocireg_client_free(c);
}

static void test_raw_arguments(void)
{
    ocireg_request *r = (ocireg_request *)SENTINEL;
    ocireg_response *resp = (ocireg_response *)SENTINEL;
    ocireg_client *c = make_client(NULL);
    const struct reg *plain = &registries()[0];
    struct buf b = {0};

    CHECK_STATUS(ocireg_request_new("TRACE", "/v2/", &r), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_request_new("GET", "/v2/../x", &r), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_request_new("GET", "//evil.test/v2/", &r), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_request_new("GET", "http://evil.test/", &r), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(r == (ocireg_request *)SENTINEL);
    CHECK_NULL_ARG(ocireg_request_new(NULL, "/v2/", &r), "method");
    CHECK_NULL_ARG(ocireg_request_new("GET", NULL, &r), "path");
    CHECK_NULL_ARG(ocireg_request_new("GET", "/v2/", NULL), "request_out");
    CHECK_OK(ocireg_request_new("get", "/v2/", &r));
    CHECK_STATUS(ocireg_request_add_header(r, "Authorization", "Bearer x"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_request_add_header(r, "Transfer-Encoding", "chunked"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_request_add_header(r, "X-Secret", "s3cr3t\nvalue"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "s3cr3t") == NULL);
    CHECK_STATUS(ocireg_request_add_scope(r, "has space"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_NULL_ARG(ocireg_request_set_body_reader(r, NULL, NULL, 0), "read");
    CHECK_NULL_ARG(ocireg_client_request(c, plain->host, NULL, NULL, NULL, NULL, &resp), "request");
    CHECK(resp == (ocireg_response *)SENTINEL);

    /* The request survives refusals and is sent as often as wanted. */
    CHECK_OK(ocireg_request_add_header(r, "Accept", "application/json"));
    CHECK_OK(ocireg_client_request(c, plain->host, r, buf_write, &b, NULL, &resp));
    CHECK(ocireg_response_status(resp) == 200);
    ocireg_response_free(resp);
    CHECK_OK(ocireg_client_request(c, plain->host, r, NULL, NULL, NULL, &resp));
    CHECK(ocireg_response_status(resp) == 200);
    ocireg_response_free(resp);
    buf_free(&b);

    /* A body past the caller's bound stops the call. */
    CHECK_OK(ocireg_request_set_max_response_body(r, 1));
    resp = (ocireg_response *)SENTINEL;
    CHECK_STATUS(ocireg_client_request(c, plain->host, r, buf_write, &b, NULL, &resp),
                 OCIREG_ERR_SIZE_EXCEEDED);
    CHECK(resp == (ocireg_response *)SENTINEL && b.len == 0);
    ocireg_request_free(r);
    ocireg_request_free(NULL);
    ocireg_response_free(NULL);
    CHECK(ocireg_response_status(NULL) == 0);
    CHECK(ocireg_response_header_count(NULL) == 0);
    CHECK(ocireg_response_header(NULL, "x") == NULL);
    ocireg_client_free(c);
}

const struct test request_tests[] = {
    {"raw_round_trip", test_raw_round_trip, NEEDS_ANY},
    {"raw_arguments", test_raw_arguments, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
