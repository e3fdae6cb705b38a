/*
 * request METHOD HOST PATH: a raw request to a path on a registry (vendor
 * APIs beside the registry API) with the tool's credentials, TLS and
 * proxy. -H 'Name: value' adds headers, --scope asks for a token scope,
 * --data-file F (- for stdin) streams the body, -i/--include prints the
 * status line and headers on stderr. The body goes to stdout; an HTTP
 * status of 400 or more exits 1 after it, naming the status on stderr.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct out {
    uint64_t written;
    int err; /* errno of a failed write */
};

static int write_stdout(void *userdata, const uint8_t *data, size_t len)
{
    struct out *o = userdata;
    if (fwrite(data, 1, len, stdout) != len) {
        o->err = errno != 0 ? errno : EIO;
        return 1;
    }
    o->written += len;
    return 0;
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
    struct out out = {0, 0};
    ocireg_status st;
    size_t i;
    int rc;

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
        if (body.err != 0)
            return fail_local(OCIREG_ERR_IO, cli->data_file, body.err);
        if (out.err != 0)
            return fail_local(OCIREG_ERR_IO, "writing to stdout", out.err);
        return fail(st);
    }
    if (cli->include)
        print_head(resp);
    rc = finish_stdout();
    if (rc == 0 && ocireg_response_status(resp) >= 400) {
        fprintf(stderr, "ocireg: request: HTTP %u\n", (unsigned)ocireg_response_status(resp));
        rc = 1;
    }
    ocireg_response_free(resp);
    return rc;
}
