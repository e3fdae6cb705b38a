/* Case 6 of the benchmark suite (bench/run.py): one blob through the C
 * ABI, discarding the bytes, in either streaming style.
 *
 * usage: blob_stream callback|reader HOST:PORT REPO DIGEST [BUFSIZE]
 *
 *   callback  ocireg_client_blob_get with a write callback that only
 *             counts the bytes;
 *   reader    ocireg_client_blob_open + ocireg_blob_reader_read into one
 *             BUFSIZE buffer (default 1 MiB) until the verified end.
 *
 * Both verify the digest (the library does). Prints "BYTES SECONDS" (the
 * transfer alone) on stdout; exits 1 on failure. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocireg.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, ocireg_status st) {
    const char *msg = ocireg_last_error_message();
    fprintf(stderr, "blob_stream: %s: %s: %s\n", what, ocireg_status_str(st), msg ? msg : "");
    return 1;
}

static int count_bytes(void *userdata, const uint8_t *data, size_t len) {
    (void)data;
    *(uint64_t *)userdata += len;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: blob_stream callback|reader HOST:PORT REPO DIGEST [BUFSIZE]\n");
        return 2;
    }
    const char *mode = argv[1], *host = argv[2], *repo = argv[3], *digest = argv[4];
    size_t bufsize = argc == 6 ? (size_t)strtoul(argv[5], NULL, 10) : (size_t)1 << 20;
    int use_reader;
    if (strcmp(mode, "callback") == 0) {
        use_reader = 0;
    } else if (strcmp(mode, "reader") == 0) {
        use_reader = 1;
    } else {
        fprintf(stderr, "blob_stream: unknown mode %s\n", mode);
        return 2;
    }

    ocireg_options *options = ocireg_options_new();
    if (options == NULL) return fail("options", OCIREG_ERR_PANIC);
    ocireg_status st = ocireg_options_add_insecure_registry(options, host);
    if (st != OCIREG_OK) return fail("insecure registry", st);
    ocireg_client *client = NULL;
    st = ocireg_client_new(options, &client);
    ocireg_options_free(options);
    if (st != OCIREG_OK) return fail("client", st);

    uint64_t total = 0;
    double t0 = now();
    if (!use_reader) {
        st = ocireg_client_blob_get(client, repo, digest, count_bytes, &total, NULL, NULL, NULL);
        if (st != OCIREG_OK) return fail("blob get", st);
    } else {
        uint8_t *buf = malloc(bufsize);
        if (buf == NULL) return 1;
        ocireg_blob_reader *reader = NULL;
        st = ocireg_client_blob_open(client, repo, digest, NULL, &reader);
        if (st != OCIREG_OK) return fail("blob open", st);
        for (;;) {
            size_t n = 0;
            st = ocireg_blob_reader_read(reader, buf, bufsize, &n);
            if (st != OCIREG_OK) return fail("blob read", st);
            if (n == 0) break;
            total += n;
        }
        ocireg_blob_reader_free(reader);
        free(buf);
    }
    double t1 = now();
    printf("%llu %.6f\n", (unsigned long long)total, t1 - t0);
    ocireg_client_free(client);
    return 0;
}
