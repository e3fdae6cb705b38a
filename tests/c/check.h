/* check.h: the tiny assertion kit and shared helpers of the C tests.
 *
 * Every CHECK counts one passed check; the first failed one prints
 * file:line, the expression, the status name and ocireg_last_error_message()
 * of this thread, prints the tally and exits with status 1. */
#ifndef OCIREG_TEST_CHECK_H
#define OCIREG_TEST_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ocireg.h"

void check_pass(void);
void check_fail(const char *file, int line, const char *expr, int has_status,
                ocireg_status status, const char *extra);
void check_report(void);
unsigned check_count(void);

/* `cond` holds. */
#define CHECK(cond)                                                         \
    do {                                                                    \
        if (cond) check_pass();                                             \
        else check_fail(__FILE__, __LINE__, #cond, 0, OCIREG_OK, NULL);     \
    } while (0)

/* `call` returns `want`. */
#define CHECK_STATUS(call, want)                                            \
    do {                                                                    \
        ocireg_status check_st_ = (call);                                   \
        if (check_st_ == (ocireg_status)(want)) check_pass();               \
        else check_fail(__FILE__, __LINE__, #call " == " #want, 1,          \
                        check_st_, NULL);                                   \
    } while (0)

/* `call` succeeds. */
#define CHECK_OK(call) CHECK_STATUS(call, OCIREG_OK)

/* Two C strings are both non-NULL and equal. */
#define CHECK_STREQ(a, b)                                                   \
    do {                                                                    \
        const char *check_a_ = (a), *check_b_ = (b);                        \
        if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0)        \
            check_pass();                                                   \
        else check_fail(__FILE__, __LINE__, #a " == " #b, 0, OCIREG_OK,     \
                        check_a_ ? check_a_ : "(null)");                    \
    } while (0)

/* ---- registries and clients ------------------------------------------ */

/* A registry of the harness (tests/harness/test_registry.rs). */
struct reg {
    const char *name; /* "plain", "tls", "token" */
    const char *host; /* host:port */
};

/* The environment variable `name`; exits if unset. */
const char *env_req(const char *name);
/* The three registries, in the order plain, tls, token. */
const struct reg *registries(void);
/* Whether registry `i` is in this run (OCIREG_C_REGISTRIES, a comma list
 * of plain, tls and token; all by default). */
int reg_enabled(int i);
/* Registry number `n` (modulo their count) among those in this run. */
const struct reg *reg_pick(int n);
/* Runs the statement that follows once per registry in this run. */
#define FOR_EACH_REG(i) for ((i) = 0; (i) < 3; (i)++) if (reg_enabled(i))
/* A client that knows all three registries: plain marked insecure, the
 * test CA trusted, the test credentials (or `password` when not NULL) set
 * for the TLS and token registries. */
ocireg_client *make_client(const char *password);
/* Options like make_client's, for callers that add more. */
ocireg_options *make_options(const char *password);

/* ---- bytes --------------------------------------------------------- */

/* A growing byte buffer; `buf_write` is an ocireg_write_cb appending to it. */
struct buf {
    uint8_t *data;
    size_t len, cap;
    int calls;
};
int buf_write(void *userdata, const uint8_t *data, size_t len);
void buf_free(struct buf *b);

/* Deterministic bytes from `seed`, in a new malloc'ed buffer. */
uint8_t *pattern(size_t len, unsigned seed);
/* "sha256:<hex>" of `data` into `out` (72 bytes). */
void sha256_digest(const uint8_t *data, size_t len, char out[72]);

/* A progress recorder: a ocireg_progress_cb that keeps the last values. */
struct progress {
    int calls;
    uint64_t done, total;
    int abort_at; /* abort on this call number (1-based); 0: never */
};
int progress_cb(void *userdata, uint64_t done, uint64_t total);

/* A read source: an ocireg_read_cb serving `data` in `step`-byte pieces. */
struct source {
    const uint8_t *data;
    size_t len, pos, step;
    int calls;
    int abort_at; /* abort on this call number (1-based); 0: never */
};
int source_read(void *userdata, uint8_t *buf, size_t cap, size_t *len_out);

/* A repository reference "host/name" into `out`. */
void repo_ref(char *out, size_t cap, const struct reg *r, const char *name);
/* Whether string list `l` holds `s`. */
int list_has(const ocireg_string_list *l, const char *s);
/* Milliseconds of a monotonic clock. */
uint64_t now_ms(void);

/* ---- images ------------------------------------------------------ */

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

/* An image pushed by push_image: a config, one layer, a manifest. */
struct image {
    char config[72], layer[72], manifest[72];
    size_t config_len, layer_len, manifest_len;
    char json[2048];
};
/* Writes an OCI image manifest into `out` (with `artifact_type` and a
 * `subject` when not NULL); returns its length. */
size_t manifest_json(char *out, size_t cap, const char *artifact_type,
                     const char *config, size_t config_len,
                     const char *layer, size_t layer_len,
                     const char *subject, size_t subject_len);
/* Pushes a small image to `repo` (a repository reference) under `tag`
 * (NULL: by digest), checking each step. */
void push_image(ocireg_client *c, const char *repo, const char *tag,
                unsigned seed, struct image *out);

/* ---- the test groups ------------------------------------------------ */
typedef void (*test_fn)(void);
/* A test; `needs` is a mask of the registries it talks to (1 plain,
 * 2 tls, 4 token; 0 for none): it runs when one of them is in the run. */
#define NEEDS_PLAIN 1
#define NEEDS_TLS 2
#define NEEDS_ANY 7
struct test {
    const char *name;
    test_fn fn;
    int needs;
};
extern const struct test errors_tests[];
extern const struct test roundtrip_tests[];
extern const struct test failures_tests[];
extern const struct test images_tests[];
extern const struct test threads_tests[];
extern const struct test reference_tests[];
extern const struct test fork_tests[];
extern const struct test sigchld_tests[];
extern const struct test options_tests[];
extern const struct test platforms_tests[];
extern const struct test log_tests[];
extern const struct test artifacts_tests[];
extern const struct test request_tests[];
extern const struct test referrers_tests[];
extern const struct test login_search_tests[];
extern const struct test registries_conf_tests[];
extern const struct test conf_names_tests[];
extern const struct test signatures_tests[];
extern const struct test image_source_tests[];
extern const struct test index_tests[];

#endif
