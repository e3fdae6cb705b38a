/* --verbose: the library's debug log (one line per HTTP request: method,
 * URL, status, time, retry; never a credential) on stderr. */
#include "cli.h"

#include <pthread.h>
#include <stdio.h>

/* Lines come from the library's threads too: one at a time, whole. */
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_line(void *userdata, ocireg_log_level level, const char *message)
{
    static const char *const names[] = {"?", "error", "warn", "info", "debug"};
    (void)userdata;
    pthread_mutex_lock(&stderr_lock);
    fprintf(stderr, "ocireg: %s: %s\n", level <= OCIREG_LOG_DEBUG ? names[level] : "?", message);
    pthread_mutex_unlock(&stderr_lock);
}

int verbose_start(void)
{
    ocireg_status st = ocireg_set_log_callback(OCIREG_LOG_DEBUG, log_line, NULL);
    return st == OCIREG_OK ? 0 : fail(st);
}
