/*
 * The --progress displays on stderr: one transfer (blob, push-blob) as a
 * line redrawn with \r, and whole-image operations with a line per blob in
 * flight. Both are driven by library callbacks that run on the calling
 * thread, so they need no locking.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Redraws at most every 100 ms; the last one shows the final total. */
#define PROGRESS_INTERVAL 0.1

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

static int percent(uint64_t done, uint64_t total)
{
    if (total == 0)
        return 100;
    return (int)(done >= total ? 100 : (done * 100) / total);
}

/* ---- one transfer ---------------------------------------------------- */

void progress_start(struct progress *p, int enabled, uint64_t total)
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
    if (!final && p->printed && t_now - p->last_print < PROGRESS_INTERVAL)
        return;
    p->last_print = t_now;
    p->printed = 1;
    if (total == 0)
        total = p->total;
    human(d, sizeof d, (double)done);
    human(r, sizeof r, elapsed > 0.0 ? (double)done / elapsed : 0.0);
    if (total > 0) {
        human(t, sizeof t, (double)total);
        fprintf(stderr, "\r%s / %s (%3d%%) %s/s   ", d, t, percent(done, total), r);
    } else {
        fprintf(stderr, "\r%s %s/s   ", d, r);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The library's progress callback. */
int on_progress(void *userdata, uint64_t done, uint64_t total)
{
    progress_print(userdata, done, total, 0);
    return 0;
}

void progress_end(struct progress *p, uint64_t done, int ok)
{
    if (!p->enabled)
        return;
    if (ok)
        progress_print(p, done, 0, 1);
    else if (p->printed)
        fputc('\n', stderr); /* keep the error message on its own line */
}

/* ---- whole images ---------------------------------------------------- */

/*
 * On a terminal: one line per blob in flight (at most PROGRESS_BLOB_LINES)
 * above a total line, redrawn in place; elsewhere: the total line alone,
 * redrawn with \r.
 */
#define PROGRESS_BLOB_LINES 6

struct blob_progress {
    char digest[80];
    uint64_t done, total;
};

void image_progress_start(struct image_progress *p, int enabled)
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

/* A digest for display: `sha256:` and the first 12 hex digits. */
static void short_digest(char *buf, size_t cap, const char *digest)
{
    const char *colon = strchr(digest, ':');
    size_t algo = colon != NULL ? (size_t)(colon - digest) + 1 : 0;
    snprintf(buf, cap, "%.*s%.12s", (int)algo, digest, digest + algo);
}

/* The lines of the `active` blobs in flight, above the total line (tty). */
static void image_progress_draw_blobs(struct image_progress *p, size_t active)
{
    char b[32], bt[32], name[40];
    size_t i, shown = 0;
    for (i = 0; i < p->count; i++) {
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
}

static void image_progress_draw(struct image_progress *p, int final)
{
    char d[32], t[32], r[32];
    double elapsed = now_seconds() - p->start;
    size_t i, active = 0, finished = 0;
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
    if (!final)
        image_progress_draw_blobs(p, active);
    fprintf(stderr, "%s / %s (%3d%%) %s/s, blobs: %zu done, %zu in flight\033[K\033[J", d, t,
            percent(p->done, p->total), r, finished, active);
    p->drawn = 1;
    fflush(stderr);
}

/* The library's image progress callback: records, and redraws when due. */
int on_image_progress(void *userdata, const char *digest, uint64_t blob_done,
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
void image_progress_end(struct image_progress *p, int ok)
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
