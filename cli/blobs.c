/*
 * Blobs: blob (download to stdout, verified), push-blob (upload a file
 * or stdin), streamed through the library's callbacks, and blob-stat.
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

/* REPO@DIGEST: the repository (malloc'd) and the digest (in `arg`). */
static int split_blob(const char *command, const char *arg, char **repo, const char **digest)
{
    const char *at = strrchr(arg, '@');
    char what[64];
    if (at == NULL || at == arg || at[1] == '\0') {
        snprintf(what, sizeof what, "%s wants REPO@DIGEST, got", command);
        return usage_error(what, arg);
    }
    *repo = strndup(arg, (size_t)(at - arg));
    if (*repo == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    *digest = at + 1;
    return 0;
}

int cmd_blob(struct cli *cli)
{
    struct sink sink = {NULL, 0, 0};
    struct progress progress;
    const char *digest;
    char *repo;
    ocireg_status st;
    int rc = split_blob("blob", cli->args[0], &repo, &digest);
    if (rc != 0)
        return rc;
    sink.out = stdout;
    progress_start(&progress, cli->progress, 0);
    st = ocireg_client_blob_get(cli->client, repo, digest, write_to_file, &sink,
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
    return print_digest(cli, st, digest);
}

/* blob-stat REPO@DIGEST: `DIGEST SIZE` (JSON: `{"digest", "size"}`), from
 * a HEAD. */
int cmd_blob_stat(struct cli *cli)
{
    const char *digest;
    char *repo;
    uint64_t size = 0;
    ocireg_status st;
    int rc = split_blob("blob-stat", cli->args[0], &repo, &digest);
    if (rc != 0)
        return rc;
    st = ocireg_client_blob_head(cli->client, repo, digest, cli->cancel, &size);
    free(repo);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "digest", digest);
        json_member_uint(&j, "size", size);
        json_object_end(&j);
        json_end(&j);
    } else {
        printf("%s %llu\n", digest, (unsigned long long)size);
    }
    return finish_stdout();
}
