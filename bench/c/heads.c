/* Case 5 of the benchmark suite (bench/run.py): COUNT manifest HEADs of
 * REF through one ocireg client, one after another, as a C caller would.
 *
 * usage: heads HOST:PORT REF COUNT     (HOST:PORT is plain HTTP)
 *
 * Prints "COUNT SECONDS" (the loop alone, without process start-up and
 * client creation) on stdout; exits 1 on the first failure. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ocireg.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, ocireg_status st) {
    const char *msg = ocireg_last_error_message();
    fprintf(stderr, "heads: %s: %s: %s\n", what, ocireg_status_str(st), msg ? msg : "");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: heads HOST:PORT REF COUNT\n");
        return 2;
    }
    const char *host = argv[1], *ref = argv[2];
    long count = strtol(argv[3], NULL, 10);

    ocireg_options *options = ocireg_options_new();
    if (options == NULL) return fail("options", OCIREG_ERR_PANIC);
    ocireg_status st = ocireg_options_add_insecure_registry(options, host);
    if (st != OCIREG_OK) return fail("insecure registry", st);
    ocireg_client *client = NULL;
    st = ocireg_client_new(options, &client);
    ocireg_options_free(options);
    if (st != OCIREG_OK) return fail("client", st);

    double t0 = now();
    for (long i = 0; i < count; i++) {
        uint64_t size = 0;
        st = ocireg_client_manifest_head(client, ref, NULL, NULL, &size, NULL);
        if (st != OCIREG_OK) return fail("manifest head", st);
        if (size == 0) {
            fprintf(stderr, "heads: empty manifest size\n");
            return 1;
        }
    }
    double t1 = now();
    printf("%ld %.6f\n", count, t1 - t0);
    ocireg_client_free(client);
    return 0;
}
