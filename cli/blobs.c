/*
 * Blobs: blob (download to stdout, verified) and push-blob (upload a file
 * or stdin), streamed through the library's callbacks.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sink {
    FILE *out;
    uint64_t written;
    int err; /* errno of a failed write */
};

static int write_to_file(void *userdata, const uint8_t *data, size_t len)
{
    struct sink *s = userdata;
    if (fwrite(data, 1, len, s->out) != len) {
        s->err = errno != 0 ? errno : EIO;
        return 1;
    }
    s->written += len;
    return 0;
}

struct source {
    int fd;
    uint64_t read;
    int err; /* errno of a failed read */
};

static int read_from_fd(void *userdata, uint8_t *buf, size_t cap, size_t *len_out)
{
    struct source *s = userdata;
    for (;;) {
        ssize_t n = read(s->fd, buf, cap);
        if (n >= 0) {
            *len_out = (size_t)n;
            s->read += (uint64_t)n;
            return 0;
        }
        if (errno != EINTR) {
            s->err = errno;
            return 1;
        }
    }
}

int cmd_blob(struct cli *cli)
{
    const char *arg = cli->args[0];
    const char *at = strrchr(arg, '@');
    struct sink sink = {NULL, 0, 0};
    struct progress progress;
    char *repo;
    ocireg_status st;
    if (at == NULL || at == arg || at[1] == '\0')
        return usage_error("blob wants REPO@DIGEST, got", arg);
    repo = strndup(arg, (size_t)(at - arg));
    if (repo == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    sink.out = stdout;
    progress_start(&progress, cli->progress, 0);
    st = ocireg_client_blob_get(cli->client, repo, at + 1, write_to_file, &sink,
                                cli->progress ? on_progress : NULL, &progress, cli->cancel);
    free(repo);
    progress_end(&progress, sink.written, st == OCIREG_OK);
    if (st != OCIREG_OK) {
        if (sink.err != 0)
            return fail_local(OCIREG_ERR_IO, "writing to stdout", sink.err);
        return fail(st);
    }
    return finish_stdout();
}

int cmd_push_blob(struct cli *cli)
{
    struct source source = {-1, 0, 0};
    struct progress progress;
    struct stat info;
    char *digest = NULL;
    ocireg_status st;
    source.fd = open_input(cli->args[1]);
    if (source.fd < 0)
        return fail_local(OCIREG_ERR_IO, cli->args[1], errno);
    progress_start(&progress, cli->progress,
                   fstat(source.fd, &info) == 0 && S_ISREG(info.st_mode)
                       ? (uint64_t)info.st_size
                       : 0);
    st = ocireg_client_blob_push_from(cli->client, cli->args[0], read_from_fd, &source,
                                      cli->progress ? on_progress : NULL, &progress,
                                      cli->cancel, &digest);
    close_input(source.fd);
    progress_end(&progress, source.read, st == OCIREG_OK);
    if (st != OCIREG_OK) {
        if (source.err != 0)
            return fail_local(OCIREG_ERR_IO, cli->args[1], source.err);
        return fail(st);
    }
    return print_digest(st, digest);
}
