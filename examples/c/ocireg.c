/*
 * ocireg: a crane-like command-line tool over the ocireg C API.
 *
 *   ocireg [OPTIONS] COMMAND ARGS...
 *
 * Every command makes one client from the options, runs one or two API
 * calls with one cancel signal, prints the result on stdout and exits 0.
 * The whole-image commands (pull, push, copy, inspect, save) are one call
 * each with an ocireg_image_options; their --progress display is drawn
 * from the image progress callback, which runs on this (the calling)
 * thread, so it needs no locking.
 * A failure prints `ocireg: STATUS_NAME: message` on stderr and exits with
 * the status value (capped to 1..125); a usage error exits 2.
 *
 * Ctrl-C and SIGTERM: SIGINT and SIGTERM are blocked in every thread (the
 * library's runtime threads included, as they are created after the mask
 * is set) and a dedicated thread waits for them with sigwait(), then calls
 * ocireg_cancel_cancel(); the running call returns OCIREG_ERR_CANCELLED
 * and removes its temporary files. A second signal exits at once with
 * 128 + its number (for a process stuck outside the library, e.g. reading
 * a terminal).
 *
 * Build: cc -std=c99 -Iinclude examples/c/ocireg.c -Lbuild/lib -locireg
 *        -lpthread -Wl,-rpath,'$ORIGIN/../lib'   (see mk/cli.mk)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ocireg.h"

#define EXIT_USAGE 2
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
/* Manifests are bounded at 4 MiB (the library refuses larger ones). */
#define MANIFEST_MAX (4u * 1024u * 1024u)
#define MAX_INSECURE 64
#define MAX_MOUNT_FROM 64

static const char usage_text[] =
    "usage: ocireg [OPTIONS] COMMAND ARGS...\n"
    "\n"
    "Commands:\n"
    "  version                      print the library version\n"
    "  ping HOST                    check that HOST speaks the registry API v2\n"
    "  login HOST                   check the credentials for HOST\n"
    "  catalog HOST                 list the repositories of HOST\n"
    "  tags REPO                    list the tags of REPO\n"
    "  digest REF                   print the digest of manifest REF\n"
    "  manifest REF                 write manifest REF, byte for byte, to stdout\n"
    "  config REF                   write the image config of REF to stdout\n"
    "                               (through an index: the --platform image)\n"
    "  blob REPO@DIGEST             write the blob, verified, to stdout\n"
    "  push-blob REPO FILE          upload FILE (- for stdin); print its digest\n"
    "  put-manifest REF FILE        upload manifest FILE (- for stdin) as REF;\n"
    "       [--media-type T]        print its digest (default type: OCI manifest)\n"
    "  tag REF NEWTAG               tag manifest REF as NEWTAG; print its digest\n"
    "  delete REF                   delete manifest REF (every tag of it)\n"
    "  referrers REF                list manifests whose subject is REF:\n"
    "       [--artifact-type T]     DIGEST ARTIFACT_TYPE SIZE per line\n"
    "\n"
    "Whole images (pull, push, copy and save print the digest of what they moved):\n"
    "  pull REF DIR[:NAME]          pull into the OCI image layout DIR as NAME\n"
    "       [--all]                 (default: REF's tag); --all: the whole index\n"
    "  push DIR[:NAME] REF          push image NAME of layout DIR (default: its\n"
    "       [--all]                 only image); --all: a whole index;\n"
    "       [--mount-from REPO]...  mount blobs from REPO (same registry) first\n"
    "  copy SRC DST [--all]         registry to registry; blobs are mounted\n"
    "                               within one registry\n"
    "  inspect REF [--tags]         the image's facts as JSON (skopeo inspect's\n"
    "                               fields); --tags adds the repository's tags\n"
    "  save REF FILE                write the image as a docker-archive tarball\n"
    "  DIR[:NAME] splits at the first ':', as skopeo's oci: transport does.\n"
    "\n"    "Options (before or after the command):\n"
    "  --insecure-registry HOST[:PORT]  allow plain HTTP / unverified TLS (repeatable)\n"
    "  --ca-file PATH               trust the CA certificates in PATH too\n"
    "  -u USER --password-stdin     credentials for the command's registry (push\n"
    "                               and copy: the destination's), the password\n"
    "                               read from stdin, trailing newline stripped\n"
    "  -u USER -p PASS              the same with the password as an argument:\n"
    "                               avoid it, other users may read it (ps,\n"
    "                               /proc/PID/cmdline) until ocireg wipes it\n"
    "  --auth-file PATH             docker config.json / containers auth.json to use\n"
    "  --platform OS/ARCH[/VARIANT] the image to pick from an index (default: this\n"
    "                               machine's; config and the whole-image commands)\n"
    "  -j N                         blobs moved at once by whole-image operations\n"
    "  --progress                   show transfer progress on stderr (blob,\n"
    "                               push-blob and the whole-image commands)\n"
    "  -h, --help                   show this help\n"
    "\n"
    "Errors print `ocireg: STATUS: message` on stderr and exit with the status\n"
    "code; a blob written to stdout is only good when the exit status is 0.\n";

/* Which argument names the registry that -u/-p apply to: none, the first
 * (a host or a reference), or the second (push DIR REF, copy SRC DST). */
enum target { TARGET_NONE, TARGET_HOST, TARGET_REF, TARGET_REF2 };

struct cli;
typedef int (*command_fn)(struct cli *cli);

struct command {
    const char *name;
    int nargs; /* positional arguments after the command name */
    enum target target;
    command_fn run;
    const char *synopsis;
};

struct cli {
    /* options */
    const char *insecure[MAX_INSECURE];
    size_t insecure_count;
    const char *ca_file;
    const char *user;
    const char *pass;
    int password_stdin;
    const char *auth_file;
    const char *platform;
    uint32_t jobs;
    int progress;
    const char *artifact_type;
    const char *media_type;
    int all;  /* --all */
    int tags; /* --tags */
    const char *mount_from[MAX_MOUNT_FROM];
    size_t mount_from_count;
    /* the command */
    const struct command *command;
    const char *args[2];
    /* state */
    char *password_copy; /* malloc'd (from stdin or -p); wiped and freed at exit */
    ocireg_client *client;
    ocireg_cancel *cancel;
};

/* ---- errors ---------------------------------------------------------- */

/* Prints the last library error and returns the exit code for `status`. */
static int fail(ocireg_status status)
{
    const char *name = ocireg_status_str(status);
    const char *message = ocireg_last_error_message();
    if (message == NULL)
        message = "(no detail)";
    fprintf(stderr, "ocireg: %s: %s\n", name, message);
    if (status < 1)
        return 1;
    return status > 125 ? 125 : (int)status;
}

/* A local failure reported like a library one (`ocireg: IO: ...`). */
static int fail_local(ocireg_status status, const char *what, int err)
{
    if (err != 0)
        fprintf(stderr, "ocireg: %s: %s: %s\n", ocireg_status_str(status), what,
                strerror(err));
    else
        fprintf(stderr, "ocireg: %s: %s\n", ocireg_status_str(status), what);
    return status > 125 ? 125 : (int)status;
}

static int usage_error(const char *message, const char *detail)
{
    if (detail != NULL)
        fprintf(stderr, "ocireg: %s: %s\n", message, detail);
    else
        fprintf(stderr, "ocireg: %s\n", message);
    fprintf(stderr, "Run 'ocireg --help' for usage.\n");
    return EXIT_USAGE;
}

/* Flushes stdout; a failed write (full disk, closed pipe) is an error. */
static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return fail_local(OCIREG_ERR_IO, "writing to stdout", errno);
    return 0;
}

/* ---- progress -------------------------------------------------------- */

struct progress {
    int enabled;
    uint64_t total; /* the size, from the library or (uploads) from stat */
    double start;
    double last_print;
    int printed;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t cap, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (bytes >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%.0f %s", bytes, units[u]);
    else
        snprintf(buf, cap, "%.1f %s", bytes, units[u]);
}

static void progress_start(struct progress *p, int enabled, uint64_t total)
{
    p->enabled = enabled;
    p->total = total;
    p->start = now_seconds();
    p->last_print = 0.0;
    p->printed = 0;
}

static void progress_print(struct progress *p, uint64_t done, uint64_t total, int final)
{
    char d[32], t[32], r[32];
    double t_now = now_seconds();
    double elapsed = t_now - p->start;
    if (total != 0)
        p->total = total;
    if (!final && p->printed && t_now - p->last_print < 0.1)
        return;
    p->last_print = t_now;
    p->printed = 1;
    if (total == 0)
        total = p->total;
    human(d, sizeof d, (double)done);
    human(r, sizeof r, elapsed > 0.0 ? (double)done / elapsed : 0.0);
    if (total > 0) {
        human(t, sizeof t, (double)total);
        fprintf(stderr, "\r%s / %s (%3d%%) %s/s   ", d, t,
                (int)(done >= total ? 100 : (done * 100) / total), r);
    } else {
        fprintf(stderr, "\r%s %s/s   ", d, r);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The library's progress callback. */
static int on_progress(void *userdata, uint64_t done, uint64_t total)
{
    progress_print(userdata, done, total, 0);
    return 0;
}

static void progress_end(struct progress *p, uint64_t done, int ok)
{
    if (!p->enabled)
        return;
    if (ok)
        progress_print(p, done, 0, 1);
    else if (p->printed)
        fputc('\n', stderr); /* keep the error message on its own line */
}

/* ---- streaming callbacks --------------------------------------------- */

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

/* Reads all of `fd` (at most `max` bytes) into a malloc'd buffer. */
static int slurp(int fd, size_t max, uint8_t **data_out, size_t *len_out, int *err_out)
{
    size_t cap = 64 * 1024, len = 0;
    uint8_t *data = malloc(cap);
    if (data == NULL) {
        *err_out = ENOMEM;
        return -1;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            uint8_t *bigger;
            if (cap > max) {
                free(data);
                *err_out = EFBIG;
                return -1;
            }
            cap *= 2;
            bigger = realloc(data, cap);
            if (bigger == NULL) {
                free(data);
                *err_out = ENOMEM;
                return -1;
            }
            data = bigger;
        }
        n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *err_out = errno;
            free(data);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max) {
        free(data);
        *err_out = EFBIG;
        return -1;
    }
    *data_out = data;
    *len_out = len;
    return 0;
}

/* Opens FILE for reading, `-` being stdin; -1 with errno on failure. */
static int open_input(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDIN_FILENO;
    return open(path, O_RDONLY);
}

static void close_input(int fd)
{
    if (fd != STDIN_FILENO && fd >= 0)
        close(fd);
}

/* ---- references ------------------------------------------------------ */

/*
 * The registry of a reference, as the library normalizes it: the first
 * `/`-separated component when it contains `.` or `:`, is `localhost`, or
 * has an upper-case letter; otherwise Docker Hub.
 */
static void registry_of(const char *ref, char *buf, size_t cap)
{
    const char *slash = strchr(ref, '/');
    size_t len, i;
    int is_host = 0;
    if (slash != NULL) {
        len = (size_t)(slash - ref);
        if (len == 9 && strncmp(ref, "localhost", 9) == 0)
            is_host = 1;
        for (i = 0; i < len && !is_host; i++)
            if (ref[i] == '.' || ref[i] == ':' || (ref[i] >= 'A' && ref[i] <= 'Z'))
                is_host = 1;
        if (is_host && len < cap) {
            memcpy(buf, ref, len);
            buf[len] = '\0';
            return;
        }
    }
    snprintf(buf, cap, "docker.io");
}

/* ---- commands -------------------------------------------------------- */

static int print_list(ocireg_string_list *list)
{
    size_t i, n = ocireg_string_list_len(list);
    for (i = 0; i < n; i++)
        puts(ocireg_string_list_get(list, i));
    ocireg_string_list_free(list);
    return finish_stdout();
}

/* Writes the raw bytes of a content to stdout and frees it. */
static int print_content(ocireg_content *content)
{
    size_t len = 0;
    const uint8_t *bytes = ocireg_content_bytes(content, &len);
    int rc = 0;
    if (len > 0 && fwrite(bytes, 1, len, stdout) != len)
        rc = fail_local(OCIREG_ERR_IO, "writing to stdout", errno);
    ocireg_content_free(content);
    return rc != 0 ? rc : finish_stdout();
}

/* Prints a digest the library returned and frees it. */
static int print_digest(char *digest)
{
    puts(digest);
    ocireg_string_free(digest);
    return finish_stdout();
}

static int cmd_version(struct cli *cli)
{
    (void)cli;
    puts(ocireg_version());
    return finish_stdout();
}

static int cmd_ping(struct cli *cli)
{
    ocireg_status st = ocireg_client_ping(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    puts("OK");
    return finish_stdout();
}

static int cmd_login(struct cli *cli)
{
    ocireg_status st =
        ocireg_client_check_credentials(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    puts("Login Succeeded");
    return finish_stdout();
}

static int cmd_catalog(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    ocireg_status st = ocireg_client_catalog(cli->client, cli->args[0], cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    return print_list(list);
}

static int cmd_tags(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    ocireg_status st = ocireg_client_tags(cli->client, cli->args[0], cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    return print_list(list);
}

static int cmd_digest(struct cli *cli)
{
    char *digest = NULL;
    ocireg_status st = ocireg_client_manifest_head(cli->client, cli->args[0], cli->cancel,
                                                   &digest, NULL, NULL);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(digest);
}

static int cmd_manifest(struct cli *cli)
{
    ocireg_content *manifest = NULL;
    ocireg_status st =
        ocireg_client_manifest_get(cli->client, cli->args[0], cli->cancel, &manifest);
    if (st != OCIREG_OK)
        return fail(st);
    return print_content(manifest);
}

static int cmd_config(struct cli *cli)
{
    ocireg_content *config = NULL;
    ocireg_status st = ocireg_client_config_get(cli->client, cli->args[0], cli->platform,
                                                cli->cancel, &config);
    if (st != OCIREG_OK)
        return fail(st);
    return print_content(config);
}

static int cmd_blob(struct cli *cli)
{
    const char *arg = cli->args[0];
    const char *at = strrchr(arg, '@');
    struct sink sink = {NULL, 0, 0};
    struct progress progress;
    char *repo;
    ocireg_status st;
    if (at == NULL || at == arg || at[1] == '\0')
        return usage_error("blob wants REPO@DIGEST, got", arg);
    repo = malloc((size_t)(at - arg) + 1);
    if (repo == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    memcpy(repo, arg, (size_t)(at - arg));
    repo[at - arg] = '\0';
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

static int cmd_push_blob(struct cli *cli)
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
    return print_digest(digest);
}

static int cmd_put_manifest(struct cli *cli)
{
    const char *media_type = cli->media_type != NULL ? cli->media_type : OCI_MANIFEST;
    uint8_t *data = NULL;
    size_t len = 0;
    char *digest = NULL;
    ocireg_status st;
    int err = 0, fd = open_input(cli->args[1]);
    if (fd < 0)
        return fail_local(OCIREG_ERR_IO, cli->args[1], errno);
    if (slurp(fd, MANIFEST_MAX, &data, &len, &err) != 0) {
        close_input(fd);
        if (err == EFBIG)
            return fail_local(OCIREG_ERR_SIZE_EXCEEDED,
                              "the manifest is larger than 4 MiB", 0);
        return fail_local(OCIREG_ERR_IO, cli->args[1], err);
    }
    close_input(fd);
    st = ocireg_client_manifest_put(cli->client, cli->args[0], data, len, media_type,
                                    cli->cancel, &digest);
    free(data);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(digest);
}

static int cmd_tag(struct cli *cli)
{
    ocireg_content *manifest = NULL;
    const uint8_t *bytes;
    size_t len = 0;
    char *digest = NULL;
    const char *tags[1];
    ocireg_status st =
        ocireg_client_manifest_get(cli->client, cli->args[0], cli->cancel, &manifest);
    if (st != OCIREG_OK)
        return fail(st);
    bytes = ocireg_content_bytes(manifest, &len);
    tags[0] = cli->args[1];
    /* The repository of REF (its tag or digest ignored), one new tag. */
    st = ocireg_client_manifest_put_tags(cli->client, cli->args[0], tags, 1, bytes, len,
                                         ocireg_content_media_type(manifest), cli->cancel,
                                         &digest);
    ocireg_content_free(manifest);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(digest);
}

static int cmd_delete(struct cli *cli)
{
    ocireg_status st = ocireg_client_manifest_delete(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    return finish_stdout();
}

static int cmd_referrers(struct cli *cli)
{
    ocireg_descriptor_list *list = NULL;
    size_t i, n;
    ocireg_status st = ocireg_client_referrers(cli->client, cli->args[0], cli->artifact_type,
                                               cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    n = ocireg_descriptor_list_len(list);
    for (i = 0; i < n; i++) {
        const char *type = ocireg_descriptor_list_artifact_type(list, i);
        printf("%s %s %" PRIu64 "\n", ocireg_descriptor_list_digest(list, i),
               type != NULL ? type : "-", ocireg_descriptor_list_size(list, i));
    }
    ocireg_descriptor_list_free(list);
    return finish_stdout();
}

/* ---- whole images ---------------------------------------------------- */

/*
 * The live display of --progress for whole-image operations, driven by the
 * image progress callback (called on this thread). On a terminal: one line
 * per blob in flight (at most PROGRESS_BLOB_LINES) above a total line,
 * redrawn in place; elsewhere: the total line alone, redrawn with \r.
 * Redraws at most every 100 ms; the last one shows the final total.
 */
#define PROGRESS_BLOB_LINES 6
#define PROGRESS_INTERVAL 0.1

struct blob_progress {
    char digest[80];
    uint64_t done, total;
};

struct image_progress {
    int enabled;
    int tty;
    struct blob_progress *blobs;
    size_t count, cap;
    uint64_t done, total;
    double start, last_draw;
    int drawn;      /* something is on the screen */
    int blob_lines; /* blob lines above the total line (tty) */
};

static void image_progress_start(struct image_progress *p, int enabled)
{
    const char *term = getenv("TERM");
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->tty = isatty(STDERR_FILENO) && term != NULL && strcmp(term, "dumb") != 0;
    p->start = now_seconds();
}

/* The entry of blob `digest`, added if new; NULL when out of memory. */
static struct blob_progress *image_progress_blob(struct image_progress *p, const char *digest)
{
    size_t i;
    /* The most recent blobs are the likeliest: search from the end. */
    for (i = p->count; i > 0; i--)
        if (strcmp(p->blobs[i - 1].digest, digest) == 0)
            return &p->blobs[i - 1];
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 16 : p->cap * 2;
        struct blob_progress *bigger = realloc(p->blobs, cap * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        p->blobs = bigger;
        p->cap = cap;
    }
    memset(&p->blobs[p->count], 0, sizeof p->blobs[p->count]);
    snprintf(p->blobs[p->count].digest, sizeof p->blobs[p->count].digest, "%s", digest);
    return &p->blobs[p->count++];
}

static int percent(uint64_t done, uint64_t total)
{
    if (total == 0)
        return 100;
    return (int)(done >= total ? 100 : (done * 100) / total);
}

/* A digest for display: `sha256:` and the first 12 hex digits. */
static void short_digest(char *buf, size_t cap, const char *digest)
{
    const char *colon = strchr(digest, ':');
    size_t algo = colon != NULL ? (size_t)(colon - digest) + 1 : 0;
    snprintf(buf, cap, "%.*s%.12s", (int)algo, digest, digest + algo);
}

static void image_progress_draw(struct image_progress *p, int final)
{
    char d[32], t[32], r[32], b[32], bt[32], name[40];
    double elapsed = now_seconds() - p->start;
    size_t i, active = 0, finished = 0, shown = 0;
    for (i = 0; i < p->count; i++) {
        if (p->blobs[i].done >= p->blobs[i].total)
            finished++;
        else
            active++;
    }
    human(d, sizeof d, (double)p->done);
    human(t, sizeof t, (double)p->total);
    human(r, sizeof r, elapsed > 0.0 ? (double)p->done / elapsed : 0.0);
    if (!p->tty) {
        fprintf(stderr, "\r%s / %s (%3d%%) %s/s, blobs: %zu done, %zu in flight   ", d, t,
                percent(p->done, p->total), r, finished, active);
        p->drawn = 1;
        fflush(stderr);
        return;
    }
    if (p->blob_lines > 0)
        fprintf(stderr, "\r\033[%dA", p->blob_lines);
    else
        fputc('\r', stderr);
    p->blob_lines = 0;
    for (i = 0; i < p->count && !final; i++) {
        const struct blob_progress *blob = &p->blobs[i];
        if (blob->done >= blob->total)
            continue;
        if (shown == PROGRESS_BLOB_LINES) {
            fprintf(stderr, "  ... and %zu more\033[K\n", active - shown);
            p->blob_lines++;
            break;
        }
        short_digest(name, sizeof name, blob->digest);
        human(b, sizeof b, (double)blob->done);
        human(bt, sizeof bt, (double)blob->total);
        fprintf(stderr, "  %s  %10s / %-10s %3d%%\033[K\n", name, b, bt,
                percent(blob->done, blob->total));
        p->blob_lines++;
        shown++;
    }
    fprintf(stderr, "%s / %s (%3d%%) %s/s, blobs: %zu done, %zu in flight\033[K\033[J", d, t,
            percent(p->done, p->total), r, finished, active);
    p->drawn = 1;
    fflush(stderr);
}

/* The library's image progress callback: records, and redraws when due. */
static int on_image_progress(void *userdata, const char *digest, uint64_t blob_done,
                             uint64_t blob_total, uint64_t done, uint64_t total)
{
    struct image_progress *p = userdata;
    struct blob_progress *blob = image_progress_blob(p, digest);
    double t_now;
    if (blob != NULL) {
        blob->done = blob_done;
        blob->total = blob_total;
    }
    p->done = done;
    p->total = total;
    t_now = now_seconds();
    if (!p->drawn || t_now - p->last_draw >= PROGRESS_INTERVAL) {
        p->last_draw = t_now;
        image_progress_draw(p, 0);
    }
    return 0;
}

/* Shows the final state (on success) and leaves the cursor on a new line. */
static void image_progress_end(struct image_progress *p, int ok)
{
    if (p->enabled && (ok || p->drawn)) {
        if (ok)
            p->done = p->total > p->done ? p->total : p->done;
        image_progress_draw(p, ok);
        fputc('\n', stderr);
        fflush(stderr);
    }
    free(p->blobs);
    p->blobs = NULL;
}

/*
 * Image options from the command line: --platform, --all, --mount-from,
 * the layout name (NULL for the default) and --progress into `progress`.
 */
static int image_options(struct cli *cli, const char *layout_name,
                         struct image_progress *progress, ocireg_image_options **out)
{
    ocireg_image_options *o = ocireg_image_options_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    if (o == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create image options", 0);
    if (cli->platform != NULL)
        st = ocireg_image_options_set_platform(o, cli->platform);
    if (st == OCIREG_OK && cli->all)
        st = ocireg_image_options_set_all_platforms(o, 1);
    if (st == OCIREG_OK && layout_name != NULL)
        st = ocireg_image_options_set_layout_name(o, layout_name);
    for (i = 0; i < cli->mount_from_count && st == OCIREG_OK; i++)
        st = ocireg_image_options_add_mount_from(o, cli->mount_from[i]);
    if (st == OCIREG_OK && progress != NULL && progress->enabled)
        st = ocireg_image_options_set_progress(o, on_image_progress, progress);
    if (st != OCIREG_OK) {
        int rc = fail(st);
        ocireg_image_options_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

/*
 * DIR[:NAME], split at the first ':' as skopeo's oci: transport does:
 * `*dir_out` (malloc'd) and `*name_out` (in `arg`, NULL when absent).
 */
static int split_layout(const char *arg, char **dir_out, const char **name_out)
{
    const char *colon = strchr(arg, ':');
    size_t len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
    if (len == 0 || (colon != NULL && colon[1] == '\0'))
        return usage_error("wanted DIR or DIR:NAME, got", arg);
    *dir_out = malloc(len + 1);
    if (*dir_out == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    memcpy(*dir_out, arg, len);
    (*dir_out)[len] = '\0';
    *name_out = colon != NULL ? colon + 1 : NULL;
    return 0;
}

enum image_op { OP_PULL, OP_PUSH, OP_COPY, OP_SAVE };

/* pull, push, copy and save: one call, with progress; prints the digest. */
static int run_image_op(struct cli *cli, enum image_op op)
{
    struct image_progress progress;
    ocireg_image_options *options = NULL;
    char *dir = NULL, *digest = NULL;
    const char *name = NULL;
    ocireg_status st;
    int rc;
    if (op == OP_PULL && (rc = split_layout(cli->args[1], &dir, &name)) != 0)
        return rc;
    if (op == OP_PUSH && (rc = split_layout(cli->args[0], &dir, &name)) != 0)
        return rc;
    image_progress_start(&progress, cli->progress);
    if ((rc = image_options(cli, name, &progress, &options)) != 0) {
        free(dir);
        return rc;
    }
    switch (op) {
    case OP_PULL:
        st = ocireg_client_image_pull(cli->client, cli->args[0], dir, options, cli->cancel,
                                      &digest);
        break;
    case OP_PUSH:
        st = ocireg_client_image_push(cli->client, dir, cli->args[1], options, cli->cancel,
                                      &digest);
        break;
    case OP_COPY:
        st = ocireg_client_image_copy(cli->client, cli->args[0], cli->args[1], options,
                                      cli->cancel, &digest);
        break;
    default:
        st = ocireg_client_image_save(cli->client, cli->args[0], cli->args[1], options,
                                      cli->cancel, &digest);
        break;
    }
    image_progress_end(&progress, st == OCIREG_OK);
    ocireg_image_options_free(options);
    free(dir);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(digest);
}

static int cmd_pull(struct cli *cli) { return run_image_op(cli, OP_PULL); }
static int cmd_push(struct cli *cli) { return run_image_op(cli, OP_PUSH); }
static int cmd_copy(struct cli *cli) { return run_image_op(cli, OP_COPY); }
static int cmd_save(struct cli *cli) { return run_image_op(cli, OP_SAVE); }

static int cmd_inspect(struct cli *cli)
{
    ocireg_image_options *options = NULL;
    char *json = NULL;
    ocireg_status st;
    int rc = image_options(cli, NULL, NULL, &options);
    if (rc != 0)
        return rc;
    st = ocireg_client_image_inspect(cli->client, cli->args[0], options, cli->tags,
                                     cli->cancel, &json);
    ocireg_image_options_free(options);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(json); /* a line, like a digest */
}

static const struct command commands[] = {
    {"version", 0, TARGET_NONE, cmd_version, "version"},
    {"ping", 1, TARGET_HOST, cmd_ping, "ping HOST"},
    {"login", 1, TARGET_HOST, cmd_login, "login HOST"},
    {"catalog", 1, TARGET_HOST, cmd_catalog, "catalog HOST"},
    {"tags", 1, TARGET_REF, cmd_tags, "tags REPO"},
    {"digest", 1, TARGET_REF, cmd_digest, "digest REF"},
    {"manifest", 1, TARGET_REF, cmd_manifest, "manifest REF"},
    {"config", 1, TARGET_REF, cmd_config, "config REF"},
    {"blob", 1, TARGET_REF, cmd_blob, "blob REPO@DIGEST"},
    {"push-blob", 2, TARGET_REF, cmd_push_blob, "push-blob REPO FILE"},
    {"put-manifest", 2, TARGET_REF, cmd_put_manifest,
     "put-manifest REF FILE [--media-type T]"},
    {"tag", 2, TARGET_REF, cmd_tag, "tag REF NEWTAG"},
    {"delete", 1, TARGET_REF, cmd_delete, "delete REF"},
    {"referrers", 1, TARGET_REF, cmd_referrers, "referrers REF [--artifact-type T]"},
    {"pull", 2, TARGET_REF, cmd_pull, "pull REF DIR[:NAME] [--all]"},
    {"push", 2, TARGET_REF2, cmd_push, "push DIR[:NAME] REF [--all] [--mount-from REPO]..."},
    {"copy", 2, TARGET_REF2, cmd_copy, "copy SRC DST [--all]"},
    {"inspect", 1, TARGET_REF, cmd_inspect, "inspect REF [--tags]"},
    {"save", 2, TARGET_REF, cmd_save, "save REF FILE"},
};

/* ---- Ctrl-C and SIGTERM ---------------------------------------------- */

struct signals {
    sigset_t set; /* SIGINT, SIGTERM, and SIGUSR1 for "the command is over" */
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping;
    const ocireg_cancel *cancel;
};

static void *signal_thread(void *arg)
{
    struct signals *s = arg;
    int interrupts = 0;
    for (;;) {
        int sig = 0, stopping;
        if (sigwait(&s->set, &sig) != 0)
            continue;
        pthread_mutex_lock(&s->lock);
        stopping = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (sig == SIGUSR1 && stopping)
            return NULL;
        if (sig == SIGINT || sig == SIGTERM) {
            if (interrupts++ > 0)
                _exit(128 + sig); /* a second signal: stop now */
            ocireg_cancel_cancel(s->cancel);
        }
    }
}

/* Blocks SIGINT, SIGTERM and SIGUSR1 in this thread (and every thread made
 * later). */
static int block_signals(struct signals *s)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    /* A shell starts background jobs with SIGINT ignored; kill -INT should
     * still cancel, so the disposition is reset (it is blocked anyway). */
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigemptyset(&s->set);
    sigaddset(&s->set, SIGINT);
    sigaddset(&s->set, SIGTERM);
    sigaddset(&s->set, SIGUSR1);
    return pthread_sigmask(SIG_BLOCK, &s->set, NULL);
}

static int start_signal_thread(struct signals *s, const ocireg_cancel *cancel)
{
    s->cancel = cancel;
    s->stopping = 0;
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        return -1;
    if (pthread_create(&s->thread, NULL, signal_thread, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    return 0;
}

static void stop_signal_thread(struct signals *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    pthread_kill(s->thread, SIGUSR1);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
}

/* ---- options --------------------------------------------------------- */

/*
 * `--name VALUE` or `--name=VALUE` (`-n VALUE` or `-nVALUE` for a short
 * option) at argv[*i]: stores VALUE and returns 1; 0 when argv[*i] is
 * another option; -1 when VALUE is missing.
 */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (name[1] != '-' && arg[n] != '\0') {
        *value = arg + n;
        return 1;
    }
    if (name[1] == '-' && arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int parse_jobs(const char *text, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 1024 || text[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Parses argv into `cli`; returns 0, EXIT_USAGE, or -1 for --help. */
static int parse_args(struct cli *cli, int argc, char **argv)
{
    const char *positional[4];
    int npos = 0, i, only_positional = 0;
    size_t c;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int r;
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (npos == (int)(sizeof positional / sizeof positional[0]))
                return usage_error("too many arguments", NULL);
            positional[npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            return -1;
        } else if (strcmp(arg, "--progress") == 0) {
            cli->progress = 1;
        } else if (strcmp(arg, "--password-stdin") == 0) {
            cli->password_stdin = 1;
        } else if (strcmp(arg, "--all") == 0) {
            cli->all = 1;
        } else if (strcmp(arg, "--tags") == 0) {
            cli->tags = 1;
        } else if ((r = option_value(argc, argv, &i, "--mount-from", &v)) != 0) {
            if (r < 0)
                return usage_error("missing value for", arg);
            if (cli->mount_from_count == MAX_MOUNT_FROM)
                return usage_error("too many --mount-from options", NULL);
            cli->mount_from[cli->mount_from_count++] = v;
        } else if ((r = option_value(argc, argv, &i, "--insecure-registry", &v)) != 0) {
            if (r < 0)
                return usage_error("missing value for", arg);
            if (cli->insecure_count == MAX_INSECURE)
                return usage_error("too many --insecure-registry options", NULL);
            cli->insecure[cli->insecure_count++] = v;
        } else if ((r = option_value(argc, argv, &i, "--ca-file", &cli->ca_file)) != 0 ||
                   (r = option_value(argc, argv, &i, "--auth-file", &cli->auth_file)) != 0 ||
                   (r = option_value(argc, argv, &i, "--platform", &cli->platform)) != 0 ||
                   (r = option_value(argc, argv, &i, "--artifact-type",
                                     &cli->artifact_type)) != 0 ||
                   (r = option_value(argc, argv, &i, "--media-type", &cli->media_type)) != 0 ||
                   (r = option_value(argc, argv, &i, "-u", &cli->user)) != 0 ||
                   (r = option_value(argc, argv, &i, "-p", &cli->pass)) != 0) {
            if (r < 0)
                return usage_error("missing value for", arg);
        } else if ((r = option_value(argc, argv, &i, "-j", &v)) != 0) {
            if (r < 0)
                return usage_error("missing value for", arg);
            if (parse_jobs(v, &cli->jobs) != 0)
                return usage_error("-j wants a number from 1 to 1024, got", v);
        } else {
            return usage_error("unknown option", arg);
        }
    }
    if (npos == 0)
        return usage_error("no command given", NULL);
    for (c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(commands[c].name, positional[0]) == 0)
            cli->command = &commands[c];
    if (cli->command == NULL)
        return usage_error("unknown command", positional[0]);
    if (npos - 1 != cli->command->nargs) {
        fprintf(stderr, "ocireg: usage: ocireg [OPTIONS] %s\n", cli->command->synopsis);
        return EXIT_USAGE;
    }
    for (i = 1; i < npos; i++)
        cli->args[i - 1] = positional[i];
    if (cli->artifact_type != NULL && cli->command->run != cmd_referrers)
        return usage_error("--artifact-type only goes with", "referrers");
    if (cli->media_type != NULL && cli->command->run != cmd_put_manifest)
        return usage_error("--media-type only goes with", "put-manifest");
    if (cli->all && cli->command->run != cmd_pull && cli->command->run != cmd_push &&
        cli->command->run != cmd_copy)
        return usage_error("--all only goes with", "pull, push and copy");
    if (cli->all && cli->platform != NULL)
        return usage_error("--all and --platform exclude each other", NULL);
    if (cli->tags && cli->command->run != cmd_inspect)
        return usage_error("--tags only goes with", "inspect");
    if (cli->mount_from_count > 0 && cli->command->run != cmd_push)
        return usage_error("--mount-from only goes with", "push");
    if (cli->pass != NULL && cli->password_stdin)
        return usage_error("-p and --password-stdin exclude each other", NULL);
    if ((cli->pass != NULL || cli->password_stdin) && cli->user == NULL)
        return usage_error("a password needs a user name (-u)", NULL);
    if (cli->user != NULL && cli->pass == NULL && !cli->password_stdin)
        return usage_error("-u needs -p PASS or --password-stdin", NULL);
    if (cli->password_stdin && cli->command->nargs == 2 && strcmp(cli->args[1], "-") == 0 &&
        cli->command->run != cmd_tag)
        return usage_error("--password-stdin and FILE - both want stdin", NULL);
    return 0;
}

/* Zeroes n bytes at p: a memset before free() may be dropped as a dead
 * store; stores through a volatile pointer may not. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n-- > 0)
        *b++ = 0;
}

/* Reads the password from stdin: all of it, without trailing newlines. */
static int read_password(struct cli *cli)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int err = 0;
    if (slurp(STDIN_FILENO, 4096, &data, &len, &err) != 0)
        return fail_local(OCIREG_ERR_IO, "reading the password from stdin", err);
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (len == 0 || memchr(data, '\0', len) != NULL) {
        free(data);
        return usage_error("--password-stdin read no usable password", NULL);
    }
    cli->password_copy = malloc(len + 1);
    if (cli->password_copy != NULL) {
        memcpy(cli->password_copy, data, len);
        cli->password_copy[len] = '\0';
    }
    wipe(data, len);
    free(data);
    if (cli->password_copy == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    cli->pass = cli->password_copy;
    return 0;
}

/*
 * Copies the password of -p and overwrites it in argv: other users can read
 * a process's arguments (ps, /proc/PID/cmdline) for as long as it runs.
 * This only narrows the window to the start-up; --password-stdin closes it.
 */
static int wipe_password_arg(struct cli *cli)
{
    /* cli->pass points into argv, which is the process's to write. */
    char *arg = (char *)cli->pass;
    size_t len = strlen(arg);
    cli->password_copy = malloc(len + 1);
    if (cli->password_copy == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    memcpy(cli->password_copy, arg, len + 1);
    wipe(arg, len);
    cli->pass = cli->password_copy;
    return 0;
}

/* Makes the client from the options. */
static int make_client(struct cli *cli)
{
    ocireg_options *options = ocireg_options_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    if (options == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create options", 0);
    for (i = 0; i < cli->insecure_count && st == OCIREG_OK; i++)
        st = ocireg_options_add_insecure_registry(options, cli->insecure[i]);
    if (st == OCIREG_OK && cli->ca_file != NULL)
        st = ocireg_options_add_ca_file(options, cli->ca_file);
    if (st == OCIREG_OK && cli->auth_file != NULL)
        st = ocireg_options_set_auth_file(options, cli->auth_file);
    if (st == OCIREG_OK && cli->jobs > 0)
        st = ocireg_options_set_concurrency(options, cli->jobs);
    if (st == OCIREG_OK && cli->user != NULL && cli->command->target != TARGET_NONE) {
        char registry[256];
        if (cli->command->target == TARGET_HOST)
            snprintf(registry, sizeof registry, "%s", cli->args[0]);
        else if (cli->command->target == TARGET_REF2)
            registry_of(cli->args[1], registry, sizeof registry);
        else
            registry_of(cli->args[0], registry, sizeof registry);
        st = ocireg_options_set_credentials(options, registry, cli->user, cli->pass);
    }
    if (st == OCIREG_OK)
        st = ocireg_client_new(options, &cli->client);
    ocireg_options_free(options);
    return st == OCIREG_OK ? 0 : fail(st);
}

int main(int argc, char **argv)
{
    struct cli cli;
    struct signals signals;
    int rc;

    memset(&cli, 0, sizeof cli);
    /* Before any library call: the runtime threads inherit this mask. */
    if (block_signals(&signals) != 0)
        return fail_local(OCIREG_ERR_INTERNAL, "blocking SIGINT", errno);

    rc = parse_args(&cli, argc, argv);
    if (rc == -1) {
        fputs(usage_text, stdout);
        return finish_stdout();
    }
    if (rc != 0)
        return rc;
    if (cli.password_stdin && (rc = read_password(&cli)) != 0)
        return rc;
    if (!cli.password_stdin && cli.pass != NULL && (rc = wipe_password_arg(&cli)) != 0)
        return rc;
    if (cli.command->target == TARGET_NONE) {
        rc = cli.command->run(&cli);
    } else if ((rc = make_client(&cli)) == 0) {
        cli.cancel = ocireg_cancel_new();
        if (cli.cancel == NULL) {
            rc = fail_local(OCIREG_ERR_PANIC, "could not create a cancel signal", 0);
        } else if (start_signal_thread(&signals, cli.cancel) != 0) {
            rc = fail_local(OCIREG_ERR_INTERNAL, "starting the signal thread", errno);
        } else {
            rc = cli.command->run(&cli);
            stop_signal_thread(&signals);
        }
        ocireg_cancel_free(cli.cancel);
        ocireg_client_free(cli.client);
    }
    if (cli.password_copy != NULL) {
        wipe(cli.password_copy, strlen(cli.password_copy));
        free(cli.password_copy);
    }
    return rc;
}
