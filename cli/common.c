/*
 * The helpers every command shares: errors (`ocireg: STATUS: message` on
 * stderr and the exit code), results on stdout, and reading input files.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ---------------------------------------------------------- */

/*
 * After a rate-limited call, what the registry said, on its own line:
 * `ocireg: rate limited: 0 of 100 left in 21600 s window, retry after
 * 30 s (source 192.0.2.7)`, each part only when the registry sent it.
 */
static void print_rate_limit(void)
{
    int64_t limit = ocireg_last_error_rate_limit_limit();
    int64_t remaining = ocireg_last_error_rate_limit_remaining();
    int64_t window = ocireg_last_error_rate_limit_remaining_window_s();
    uint64_t retry_ms = ocireg_last_error_retry_after_ms();
    const char *source = ocireg_last_error_rate_limit_source();
    if (window < 0)
        window = ocireg_last_error_rate_limit_limit_window_s();
    if (limit < 0 && remaining < 0 && source == NULL && retry_ms == 0)
        return;
    fputs("ocireg: rate limited:", stderr);
    if (remaining >= 0 && limit >= 0)
        fprintf(stderr, " %lld of %lld left", (long long)remaining, (long long)limit);
    else if (remaining >= 0)
        fprintf(stderr, " %lld left", (long long)remaining);
    else if (limit >= 0)
        fprintf(stderr, " limit %lld", (long long)limit);
    if (window >= 0 && (remaining >= 0 || limit >= 0))
        fprintf(stderr, " in %lld s window", (long long)window);
    if (retry_ms > 0)
        fprintf(stderr, "%s retry after %llu s", remaining >= 0 || limit >= 0 ? "," : "",
                (unsigned long long)((retry_ms + 999) / 1000));
    if (source != NULL)
        fprintf(stderr, " (source %s)", source);
    fputc('\n', stderr);
}

/* Prints the last library error and returns the exit code for `status`. */
int fail(ocireg_status status)
{
    const char *name = ocireg_status_str(status);
    const char *message = ocireg_last_error_message();
    if (*message == '\0')
        message = "(no detail)";
    fprintf(stderr, "ocireg: %s: %s\n", name, message);
    if (status == OCIREG_ERR_TOO_MANY_REQUESTS)
        print_rate_limit();
    if (status < 1)
        return 1;
    return status > 125 ? 125 : (int)status;
}

/* A local failure reported like a library one (`ocireg: IO: ...`). */
int fail_local(ocireg_status status, const char *what, int err)
{
    if (err != 0)
        fprintf(stderr, "ocireg: %s: %s: %s\n", ocireg_status_str(status), what,
                strerror(err));
    else
        fprintf(stderr, "ocireg: %s: %s\n", ocireg_status_str(status), what);
    return status > 125 ? 125 : (int)status;
}

int usage_error(const char *message, const char *detail)
{
    if (detail != NULL)
        fprintf(stderr, "ocireg: %s: %s\n", message, detail);
    else
        fprintf(stderr, "ocireg: %s\n", message);
    fprintf(stderr, "Run 'ocireg --help' for usage.\n");
    return EXIT_USAGE;
}

/* Flushes stdout; a failed write (full disk, closed pipe) is an error. */
int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return fail_local(OCIREG_ERR_IO, "writing to stdout", errno);
    return 0;
}

/* ---- results: of a call that returned `st`, or else its error -------- */

/* Prints the strings of a list, one a line (JSON: `{"KEY": [...]}`),
 * and frees it. */
int print_list(const struct cli *cli, ocireg_status st, ocireg_string_list *list,
               const char *key)
{
    size_t i, n;
    if (st != OCIREG_OK)
        return fail(st);
    n = ocireg_string_list_len(list);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_key(&j, key);
        json_inline_array(&j);
        for (i = 0; i < n; i++)
            json_string(&j, ocireg_string_list_get(list, i));
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
    } else {
        for (i = 0; i < n; i++)
            puts(ocireg_string_list_get(list, i));
    }
    ocireg_string_list_free(list);
    return finish_stdout();
}

/* Writes the raw bytes of a content to stdout (JSON: its digest, media
 * type, size and the bytes as a string) and frees it. */
int print_content(const struct cli *cli, ocireg_status st, ocireg_content *content)
{
    size_t len = 0;
    const uint8_t *bytes;
    int rc = 0;
    if (st != OCIREG_OK)
        return fail(st);
    bytes = ocireg_content_bytes(content, &len);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "digest", ocireg_content_digest(content));
        json_member_string(&j, "media_type", ocireg_content_media_type(content));
        json_member_uint(&j, "size", (uint64_t)len);
        json_key(&j, "content");
        json_string_n(&j, (const char *)bytes, len);
        json_object_end(&j);
        json_end(&j);
    } else if (len > 0 && fwrite(bytes, 1, len, stdout) != len) {
        rc = fail_local(OCIREG_ERR_IO, "writing to stdout", errno);
    }
    ocireg_content_free(content);
    return rc != 0 ? rc : finish_stdout();
}

/* Prints a digest the library returned (JSON: `{"digest": ...}`) and
 * frees it. */
int print_digest(const struct cli *cli, ocireg_status st, char *digest)
{
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json)
        json_print_one("digest", digest);
    else
        puts(digest);
    ocireg_string_free(digest);
    return finish_stdout();
}

/* ---- input ----------------------------------------------------------- */

/* Doubles the buffer of slurp; EFBIG once it holds more than `max`. */
static int grow(uint8_t **data, size_t *cap, size_t max)
{
    uint8_t *bigger;
    if (*cap > max)
        return EFBIG;
    bigger = realloc(*data, *cap * 2);
    if (bigger == NULL)
        return ENOMEM;
    *data = bigger;
    *cap *= 2;
    return 0;
}

/* Reads all of `fd` (at most `max` bytes) into a malloc'd buffer. */
int slurp(int fd, size_t max, uint8_t **data_out, size_t *len_out, int *err_out)
{
    size_t cap = 64 * 1024, len = 0;
    uint8_t *data = malloc(cap);
    int err = data == NULL ? ENOMEM : 0;
    while (err == 0) {
        ssize_t n;
        if (len == cap && (err = grow(&data, &cap, max)) != 0)
            break;
        n = read(fd, data + len, cap - len);
        if (n == 0)
            break;
        if (n > 0)
            len += (size_t)n;
        else if (errno != EINTR)
            err = errno;
    }
    if (err == 0 && len > max)
        err = EFBIG;
    if (err != 0) {
        free(data);
        *err_out = err;
        return -1;
    }
    *data_out = data;
    *len_out = len;
    return 0;
}

/* Opens FILE for reading, `-` being stdin; -1 with errno on failure. */
int open_input(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDIN_FILENO;
    return open(path, O_RDONLY);
}

void close_input(int fd)
{
    if (fd != STDIN_FILENO && fd >= 0)
        close(fd);
}

/* ---- the client options every command takes ---------------------------- */

/* The library's longest timeout: 30 days, in seconds. */
#define MAX_TIMEOUT_S 2592000ull

/*
 * A whole decimal number from `min` to `max`: 0 and the value, or a usage
 * error that names the flag and what it wants.
 */
static int parse_number(const char *flag, const char *text, uint64_t min, uint64_t max,
                        uint64_t *out)
{
    char want[128];
    const char *c = text;
    uint64_t v = 0;
    if (*c == '\0')
        goto bad;
    for (; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            goto bad;
        if (v > (max - (uint64_t)(*c - '0')) / 10)
            goto bad;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    if (v < min)
        goto bad;
    *out = v;
    return 0;
bad:
    snprintf(want, sizeof want, "%s wants a whole number from %llu to %llu, got", flag,
             (unsigned long long)min, (unsigned long long)max);
    return usage_error(want, text);
}

/* A time in seconds (0: none), as milliseconds. */
static int parse_seconds(const char *flag, const char *text, int *has, uint64_t *ms)
{
    uint64_t s;
    int rc = parse_number(flag, text, 0, MAX_TIMEOUT_S, &s);
    if (rc != 0)
        return rc;
    *ms = s * 1000;
    *has = 1;
    return 0;
}

/*
 * The client option at argv[*i] (--timeout, --connect-timeout,
 * --read-timeout, --retries, --max-list, --page-size, each with a value):
 * 1 when it was one (parsed and checked), 0 when argv[*i] is another
 * option, EXIT_USAGE when it is wrong.
 */
int parse_global_option(struct cli *cli, int argc, char **argv, int *i)
{
    struct limits *l = &cli->limits;
    const char *v = NULL, *arg = argv[*i];
    uint64_t n = 0;
    int r, rc;
    if ((r = option_value(argc, argv, i, "--timeout", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_seconds("--timeout", v, &l->has_timeout, &l->timeout_ms);
    } else if ((r = option_value(argc, argv, i, "--connect-timeout", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_seconds("--connect-timeout", v, &l->has_connect_timeout,
                                   &l->connect_timeout_ms);
    } else if ((r = option_value(argc, argv, i, "--read-timeout", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_seconds("--read-timeout", v, &l->has_read_timeout,
                                   &l->read_timeout_ms);
    } else if ((r = option_value(argc, argv, i, "--retries", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_number("--retries", v, 0, 100, &n);
        l->retries = (uint32_t)n;
        l->has_retries = 1;
    } else if ((r = option_value(argc, argv, i, "--max-list", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_number("--max-list", v, 1, 100000000, &l->max_list);
        l->has_max_list = 1;
    } else if ((r = option_value(argc, argv, i, "--page-size", &v)) != 0) {
        rc = r < 0 ? usage_error("missing value for", arg)
                   : parse_number("--page-size", v, 0, 1000000, &n);
        l->page_size = (uint32_t)n;
        l->has_page_size = 1;
    } else {
        return 0;
    }
    return rc != 0 ? rc : 1;
}

/* Sets the client options the flags gave. */
ocireg_status apply_limits(const struct limits *l, ocireg_options *o)
{
    ocireg_status st = OCIREG_OK;
    if (st == OCIREG_OK && l->has_timeout)
        st = ocireg_options_set_request_timeout_ms(o, l->timeout_ms);
    if (st == OCIREG_OK && l->has_connect_timeout)
        st = ocireg_options_set_connect_timeout_ms(o, l->connect_timeout_ms);
    if (st == OCIREG_OK && l->has_read_timeout)
        st = ocireg_options_set_read_timeout_ms(o, l->read_timeout_ms);
    if (st == OCIREG_OK && l->has_retries)
        st = ocireg_options_set_max_retries(o, l->retries);
    if (st == OCIREG_OK && l->has_max_list)
        st = ocireg_options_set_max_list_entries(o, l->max_list);
    if (st == OCIREG_OK && l->has_page_size)
        st = ocireg_options_set_page_size(o, l->page_size);
    return st;
}

ocireg_status set_registries_conf(const struct cli *cli, ocireg_options *options)
{
    /* As skopeo: the system's configuration unless told otherwise. */
    if (cli->no_registries_conf)
        return OCIREG_OK;
    if (cli->registries_conf != NULL)
        return ocireg_options_set_registries_conf(options, cli->registries_conf);
    return ocireg_options_use_system_registries_conf(options, 1);
}

/* ---- TLS and token options ------------------------------------------- */

/* --cert-dir (else the system certs.d directories, as skopeo reads them),
 * --oauth2, --offline-token and --oauth2-client-id. */
ocireg_status set_tls_and_token_options(const struct cli *cli, ocireg_options *options)
{
    ocireg_status st;
    if (cli->cert_dir != NULL)
        st = ocireg_options_set_cert_dir(options, cli->cert_dir);
    else
        st = ocireg_options_use_system_certs_d(options);
    if (st == OCIREG_OK && cli->oauth2)
        st = ocireg_options_set_force_oauth2(options, 1);
    if (st == OCIREG_OK && cli->offline_token)
        st = ocireg_options_set_offline_token(options, 1);
    if (st == OCIREG_OK && cli->oauth2_client_id != NULL)
        st = ocireg_options_set_oauth2_client_id(options, cli->oauth2_client_id);
    return st;
}
