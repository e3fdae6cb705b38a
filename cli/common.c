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

/* Prints the last library error and returns the exit code for `status`. */
int fail(ocireg_status status)
{
    const char *name = ocireg_status_str(status);
    const char *message = ocireg_last_error_message();
    if (*message == '\0')
        message = "(no detail)";
    fprintf(stderr, "ocireg: %s: %s\n", name, message);
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

/* Prints the strings of a list, one a line, and frees it. */
int print_list(ocireg_status st, ocireg_string_list *list)
{
    size_t i, n;
    if (st != OCIREG_OK)
        return fail(st);
    n = ocireg_string_list_len(list);
    for (i = 0; i < n; i++)
        puts(ocireg_string_list_get(list, i));
    ocireg_string_list_free(list);
    return finish_stdout();
}

/* Writes the raw bytes of a content to stdout and frees it. */
int print_content(ocireg_status st, ocireg_content *content)
{
    size_t len = 0;
    const uint8_t *bytes;
    int rc = 0;
    if (st != OCIREG_OK)
        return fail(st);
    bytes = ocireg_content_bytes(content, &len);
    if (len > 0 && fwrite(bytes, 1, len, stdout) != len)
        rc = fail_local(OCIREG_ERR_IO, "writing to stdout", errno);
    ocireg_content_free(content);
    return rc != 0 ? rc : finish_stdout();
}

/* Prints a digest the library returned and frees it. */
int print_digest(ocireg_status st, char *digest)
{
    if (st != OCIREG_OK)
        return fail(st);
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

/* Writes `text` as a JSON string, or `null` for NULL. */
void put_json_string(const char *text)
{
    const unsigned char *c;
    if (text == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (c = (const unsigned char *)text; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if (*c < 0x20)
            printf("\\u%04x", *c);
        else
            putchar(*c);
    }
    putchar('"');
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
