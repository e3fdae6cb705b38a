/*
 * request METHOD HOST PATH: a raw request to a path on a registry (vendor
 * APIs beside the registry API) with the tool's credentials, TLS and
 * proxy. -H 'Name: value' adds headers, --scope asks for a token scope,
 * --data-file F (- for stdin) streams the body, -i/--include prints the
 * status line and headers on stderr. The body goes to stdout; an HTTP
 * status of 400 or more exits 1 after it, naming the status on stderr.
 * With --format json, stdout gets one document instead: the status, the
 * headers and the body as a string (at most REQUEST_JSON_MAX bytes).
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest body --format json holds (it is written as one string). */
#define REQUEST_JSON_MAX (16u * 1024u * 1024u)

struct out {
    uint64_t written;
    int err; /* errno of a failed write */
    /* --format json: the body, kept for the document */
    int keep;
    uint8_t *kept;
    size_t len, cap;
};

/* Keeps `data` for the JSON document; EFBIG past REQUEST_JSON_MAX. */
static int keep_body(struct out *o, const uint8_t *data, size_t len)
{
    if (len > REQUEST_JSON_MAX - o->len)
        return EFBIG;
    if (o->len + len > o->cap) {
        size_t cap = o->cap == 0 ? 64 * 1024 : o->cap;
        uint8_t *bigger;
        while (cap < o->len + len)
            cap *= 2;
        bigger = realloc(o->kept, cap);
        if (bigger == NULL)
            return ENOMEM;
        o->kept = bigger;
        o->cap = cap;
    }
    memcpy(o->kept + o->len, data, len);
    o->len += len;
    return 0;
}

static int write_stdout(void *userdata, const uint8_t *data, size_t len)
{
    struct out *o = userdata;
    if (o->keep) {
        o->err = keep_body(o, data, len);
        if (o->err != 0)
            return 1;
    } else if (fwrite(data, 1, len, stdout) != len) {
        o->err = errno != 0 ? errno : EIO;
        return 1;
    }
    o->written += len;
    return 0;
}

/* `{"status", "headers": [{"name", "value"}...], "body"}`. */
static void print_json(const ocireg_response *resp, const struct out *o)
{
    size_t i, n = ocireg_response_header_count(resp);
    struct json j;
    json_start(&j);
    json_object(&j);
    json_member_uint(&j, "status", ocireg_response_status(resp));
    json_key(&j, "headers");
    json_array(&j);
    for (i = 0; i < n; i++) {
        json_object(&j);
        json_member_string(&j, "name", ocireg_response_header_name(resp, i));
        json_member_string(&j, "value", ocireg_response_header_value(resp, i));
        json_object_end(&j);
    }
    json_array_end(&j);
    json_key(&j, "body");
    json_string_n(&j, o->kept != NULL ? (const char *)o->kept : "", o->len);
    json_object_end(&j);
    json_end(&j);
}

struct body {
    int fd;
    int err; /* errno of a failed read */
};

static int read_body(void *userdata, uint8_t *buf, size_t cap, size_t *len_out)
{
    struct body *b = userdata;
    for (;;) {
        ssize_t n = read(b->fd, buf, cap);
        if (n >= 0) {
            *len_out = (size_t)n;
            return 0;
        }
        if (errno != EINTR) {
            b->err = errno;
            return 1;
        }
    }
}

/* Adds `line` ("Name: value") to `r`. */
static ocireg_status add_header_line(ocireg_request *r, const char *line)
{
    const char *colon = strchr(line, ':');
    const char *value;
    char *name;
    ocireg_status st;
    if (colon == NULL || colon == line)
        return OCIREG_ERR_INVALID_ARGUMENT;
    name = malloc((size_t)(colon - line) + 1);
    if (name == NULL)
        return OCIREG_ERR_INTERNAL;
    memcpy(name, line, (size_t)(colon - line));
    name[colon - line] = '\0';
    value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    st = ocireg_request_add_header(r, name, value);
    free(name);
    return st;
}

/* The status line and headers, on stderr (the body is on stdout). */
static void print_head(const ocireg_response *resp)
{
    size_t i, n = ocireg_response_header_count(resp);
    fprintf(stderr, "HTTP %u\n", (unsigned)ocireg_response_status(resp));
    for (i = 0; i < n; i++)
        fprintf(stderr, "%s: %s\n", ocireg_response_header_name(resp, i),
                ocireg_response_header_value(resp, i));
}

int cmd_request(struct cli *cli)
{
    ocireg_request *r = NULL;
    ocireg_response *resp = NULL;
    struct body body = {-1, 0};
    struct out out = {0, 0, 0, NULL, 0, 0};
    ocireg_status st;
    size_t i;
    int rc;

    out.keep = cli->json;
    st = ocireg_request_new(cli->args[0], cli->args[2], &r);
    if (st != OCIREG_OK)
        return fail(st);
    for (i = 0; i < cli->header_count && st == OCIREG_OK; i++) {
        st = add_header_line(r, cli->headers[i]);
        if (st == OCIREG_ERR_INVALID_ARGUMENT && strchr(cli->headers[i], ':') == NULL) {
            ocireg_request_free(r);
            return usage_error("-H wants 'Name: value', got", cli->headers[i]);
        }
    }
    for (i = 0; i < cli->scope_count && st == OCIREG_OK; i++)
        st = ocireg_request_add_scope(r, cli->scopes[i]);
    if (st == OCIREG_OK && cli->data_file != NULL) {
        struct stat sb;
        uint64_t len = OCIREG_UNKNOWN_LENGTH;
        body.fd = open_input(cli->data_file);
        if (body.fd < 0) {
            ocireg_request_free(r);
            return fail_local(OCIREG_ERR_IO, cli->data_file, errno);
        }
        if (fstat(body.fd, &sb) == 0 && S_ISREG(sb.st_mode))
            len = (uint64_t)sb.st_size;
        st = ocireg_request_set_body_reader(r, read_body, &body, len);
    }
    if (st == OCIREG_OK)
        st = ocireg_client_request(cli->client, cli->args[1], r, write_stdout, &out, cli->cancel,
                                   &resp);
    ocireg_request_free(r);
    if (body.fd >= 0)
        close_input(body.fd);
    if (st != OCIREG_OK) {
        free(out.kept);
        if (body.err != 0)
            return fail_local(OCIREG_ERR_IO, cli->data_file, body.err);
        if (out.err == EFBIG)
            return fail_local(OCIREG_ERR_SIZE_EXCEEDED,
                              "the body is over 16 MiB: too large for --format json", 0);
        if (out.err != 0)
            return fail_local(OCIREG_ERR_IO, out.keep ? "keeping the body" : "writing to stdout",
                              out.err);
        return fail(st);
    }
    if (cli->include)
        print_head(resp);
    if (cli->json)
        print_json(resp, &out);
    free(out.kept);
    rc = finish_stdout();
    if (rc == 0 && ocireg_response_status(resp) >= 400) {
        fprintf(stderr, "ocireg: request: HTTP %u\n", (unsigned)ocireg_response_status(resp));
        rc = 1;
    }
    ocireg_response_free(resp);
    return rc;
}
