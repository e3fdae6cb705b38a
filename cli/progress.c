/*
 * The progress displays on stderr: one transfer (blob, push-blob, with
 * --progress) as a line redrawn with \r, and whole-image operations (pull,
 * push, copy, save: on a terminal unless --quiet, elsewhere with
 * --progress) with bars per blob in flight, or plain lines off a terminal.
 * Both are driven by library callbacks that run on the calling thread, so
 * they need no locking.
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
 * On a terminal (stderr a tty, TERM not dumb): a bar per blob in flight
 * (at most PROGRESS_BLOB_LINES) above a total line with the rate, the ETA
 * and the blob counts, redrawn in place with ANSI sequences at most every
 * 100 ms; at the end the bars go and a summary line stays. Elsewhere
 * (a pipe, a file, TERM=dumb): plain lines, no ANSI: one per finished
 * blob (skipped, mounted or sent) with the totals after it, a total line
 * at most every second between, and the summary.
 */
#define PROGRESS_BLOB_LINES 6
#define PROGRESS_PLAIN_INTERVAL 1.0
#define BAR_WIDTH 24

enum blob_state { BLOB_ACTIVE, BLOB_SKIPPED, BLOB_MOUNTED, BLOB_SENT };

static const char *const state_names[] = {"in flight", "skipped", "mounted", "sent"};

struct blob_progress {
    char digest[80];
    uint64_t done, total;
    enum blob_state state;
};

/* Displayed when asked for (--progress), or by default on a terminal
 * (with bars unless TERM is dumb); never with --quiet. Counted always. */
void image_progress_start(struct image_progress *p, int requested, int quiet, const char *verb)
{
    const char *term = getenv("TERM");
    int terminal = isatty(STDERR_FILENO);
    memset(p, 0, sizeof *p);
    p->verb = verb;
    p->tty = terminal && term != NULL && strcmp(term, "dumb") != 0;
    p->enabled = !quiet && (requested || terminal);
    p->start = now_seconds();
}

/* The entry of blob `digest`, added if new; NULL when out of memory. */
static struct blob_progress *image_progress_blob(struct image_progress *p, const char *digest)
{
    size_t i;
    /* The most recent blobs are the likeliest: search from the end. */
    for (i = p->count; i > 0; i--)
        if (strcmp(p->items[i - 1].digest, digest) == 0)
            return &p->items[i - 1];
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 16 : p->cap * 2;
        struct blob_progress *bigger = realloc(p->items, cap * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        p->items = bigger;
        p->cap = cap;
    }
    memset(&p->items[p->count], 0, sizeof p->items[p->count]);
    snprintf(p->items[p->count].digest, sizeof p->items[p->count].digest, "%s", digest);
    return &p->items[p->count++];
}

/* A digest for display: `sha256:` and the first 12 hex digits. */
static void short_digest(char *buf, size_t cap, const char *digest)
{
    const char *colon = strchr(digest, ':');
    size_t algo = colon != NULL ? (size_t)(colon - digest) + 1 : 0;
    snprintf(buf, cap, "%.*s%.12s", (int)algo, digest, digest + algo);
}

/* A duration for display: `0.4s`, `42s`, `3m07s`, `2h05m`. */
static void duration(char *buf, size_t cap, double seconds)
{
    unsigned long s = seconds < 0.0 ? 0 : (unsigned long)(seconds + 0.5);
    if (seconds < 9.95)
        snprintf(buf, cap, "%.1fs", seconds < 0.0 ? 0.0 : seconds);
    else if (s < 60)
        snprintf(buf, cap, "%lus", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lum%02lus", s / 60, s % 60);
    else
        snprintf(buf, cap, "%luh%02lum", s / 3600, (s / 60) % 60);
}

/* `[#####.....]`: `done` of `total` as a bar BAR_WIDTH wide. */
static void bar(char *buf, uint64_t done, uint64_t total)
{
    int filled = percent(done, total) * BAR_WIDTH / 100, i;
    buf[0] = '[';
    for (i = 0; i < BAR_WIDTH; i++)
        buf[1 + i] = i < filled ? '#' : '.';
    buf[1 + BAR_WIDTH] = ']';
    buf[2 + BAR_WIDTH] = '\0';
}

/* The bars of the blobs in flight, above the total line (tty). */
static void image_progress_draw_blobs(struct image_progress *p)
{
    char b[32], bt[32], name[40], line[BAR_WIDTH + 3];
    size_t i, shown = 0, active = p->blobs_in_flight;
    for (i = 0; i < p->count; i++) {
        const struct blob_progress *blob = &p->items[i];
        if (blob->state != BLOB_ACTIVE)
            continue;
        if (shown == PROGRESS_BLOB_LINES) {
            fprintf(stderr, "  ... and %zu more\033[K\n", active - shown);
            p->blob_lines++;
            break;
        }
        short_digest(name, sizeof name, blob->digest);
        human(b, sizeof b, (double)blob->done);
        human(bt, sizeof bt, (double)blob->total);
        bar(line, blob->done, blob->total);
        fprintf(stderr, "  %-19s %s %10s / %-10s %3d%%\033[K\n", name, line, b, bt,
                percent(blob->done, blob->total));
        p->blob_lines++;
        shown++;
    }
}

/* The total line (no new line): bytes, percentage, rate, ETA and counts;
 * the final one says how long it took instead of the ETA. */
static void image_progress_total(const struct image_progress *p, int final)
{
    char d[32], t[32], r[32], eta[32];
    double elapsed = now_seconds() - p->start;
    double rate = elapsed > 0.0 ? (double)p->done / elapsed : 0.0;
    uint64_t finished = p->skipped + p->mounted + p->sent;
    human(d, sizeof d, (double)p->done);
    human(t, sizeof t, (double)p->total);
    human(r, sizeof r, rate);
    if (final)
        duration(eta, sizeof eta, elapsed);
    else if (rate > 0.0 && p->total >= p->done)
        duration(eta, sizeof eta, (double)(p->total - p->done) / rate);
    else
        snprintf(eta, sizeof eta, "--");
    fprintf(stderr, "%s / %s (%3d%%) %s/s, %s %s; blobs: %llu of %llu done (%llu skipped, "
                    "%llu mounted, %llu sent)",
            d, t, percent(p->done, p->total), r, final ? "in" : "ETA", eta,
            (unsigned long long)finished, (unsigned long long)p->blobs,
            (unsigned long long)p->skipped, (unsigned long long)p->mounted,
            (unsigned long long)p->sent);
    if (!final && p->blobs_in_flight > 0)
        fprintf(stderr, ", %zu in flight", p->blobs_in_flight);
}

static void image_progress_draw(struct image_progress *p)
{
    if (p->blob_lines > 0)
        fprintf(stderr, "\r\033[%dA", p->blob_lines);
    else
        fputc('\r', stderr);
    p->blob_lines = 0;
    image_progress_draw_blobs(p);
    image_progress_total(p, 0);
    fputs("\033[K\033[J", stderr);
    p->drawn = 1;
    fflush(stderr);
}

/* Marks the blob this report finished (its count went up); its state. */
static enum blob_state image_progress_finish_blob(struct image_progress *p,
                                                  struct blob_progress *blob, uint64_t skipped,
                                                  uint64_t mounted, uint64_t sent)
{
    enum blob_state state = BLOB_ACTIVE;
    if (skipped > p->skipped)
        state = BLOB_SKIPPED;
    else if (mounted > p->mounted)
        state = BLOB_MOUNTED;
    else if (sent > p->sent)
        state = BLOB_SENT;
    p->skipped = skipped;
    p->mounted = mounted;
    p->sent = sent;
    if (blob != NULL && state != BLOB_ACTIVE)
        blob->state = state;
    return state;
}

/* Plain mode: the line of a finished blob, with the totals after it. */
static void image_progress_blob_line(struct image_progress *p, const struct blob_progress *blob)
{
    char name[40], size[32];
    short_digest(name, sizeof name, blob->digest);
    human(size, sizeof size, (double)blob->total);
    fprintf(stderr, "%s %s (%s); ", name, state_names[blob->state], size);
    image_progress_total(p, 0);
    fputc('\n', stderr);
    p->last_draw = now_seconds();
    p->drawn = 1;
}

/* The library's image progress callback: records, and redraws when due. */
int on_image_progress(void *userdata, const char *digest, uint64_t blob_done,
                      uint64_t blob_total, uint64_t done, uint64_t total, uint64_t blobs,
                      uint64_t skipped, uint64_t mounted, uint64_t sent)
{
    struct image_progress *p = userdata;
    struct blob_progress *blob = image_progress_blob(p, digest);
    enum blob_state finished;
    double t_now;
    size_t i;
    if (blob != NULL) {
        blob->done = blob_done;
        blob->total = blob_total;
    }
    p->done = done;
    p->total = total;
    p->blobs = blobs;
    finished = image_progress_finish_blob(p, blob, skipped, mounted, sent);
    p->blobs_in_flight = 0;
    for (i = 0; i < p->count; i++)
        if (p->items[i].state == BLOB_ACTIVE)
            p->blobs_in_flight++;
    if (!p->enabled)
        return 0;
    t_now = now_seconds();
    if (!p->tty && finished != BLOB_ACTIVE && blob != NULL) {
        image_progress_blob_line(p, blob);
    } else if (p->tty) {
        if (!p->drawn || t_now - p->last_draw >= PROGRESS_INTERVAL) {
            p->last_draw = t_now;
            image_progress_draw(p);
        }
    } else if (t_now - p->last_draw >= PROGRESS_PLAIN_INTERVAL && done < total) {
        p->last_draw = t_now;
        image_progress_total(p, 0);
        fputc('\n', stderr);
        p->drawn = 1;
    }
    return 0;
}

/* On success: the bars go and the summary line stays. On failure: the
 * last state stays, and the cursor goes to a new line for the error. */
void image_progress_end(struct image_progress *p, int ok)
{
    if (p->enabled && p->tty && p->drawn) {
        if (ok) {
            /* Up to the first bar, and clear from there down. */
            if (p->blob_lines > 0)
                fprintf(stderr, "\r\033[%dA\033[J", p->blob_lines);
            else
                fputs("\r\033[K", stderr);
            p->blob_lines = 0;
        } else {
            image_progress_draw(p);
            fputc('\n', stderr);
        }
    }
    if (p->enabled && ok) {
        fprintf(stderr, "%s: ", p->verb);
        image_progress_total(p, 1);
        fputc('\n', stderr);
    }
    fflush(stderr);
    free(p->items);
    p->items = NULL;
}
