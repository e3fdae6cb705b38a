/* header_test.c: ocireg.h compiles as C99 and as C++11 with every warning
 * an error, survives being included twice, and its version macros agree
 * with Cargo.toml (CARGO_VERSION, passed by mk/c.mk) and with
 * ocireg_version() at run time. */
#include "ocireg.h"
#include "ocireg.h" /* the include guard makes this a no-op */

#include <stdio.h>
#include <string.h>

#ifndef CARGO_VERSION
#error "build with -DCARGO_VERSION='\"x.y.z\"' (the version in Cargo.toml)"
#endif

#define STR2(x) #x
#define STR(x) STR2(x)

/* Every type and callback type is usable from this language. */
static int on_write(void *u, const uint8_t *d, size_t n) { (void)u; (void)d; (void)n; return 0; }
static int on_read(void *u, uint8_t *b, size_t c, size_t *n) { (void)u; (void)b; (void)c; *n = 0; return 0; }
static int on_progress(void *u, uint64_t d, uint64_t t) { (void)u; (void)d; (void)t; return 0; }
static int on_image(void *u, const char *dg, uint64_t bd, uint64_t bt, uint64_t d, uint64_t t,
                    uint64_t b, uint64_t bs, uint64_t bm, uint64_t bn)
{
    (void)u; (void)dg; (void)bd; (void)bt; (void)d; (void)t; (void)b; (void)bs; (void)bm; (void)bn;
    return 0;
}

int main(void)
{
    const char *macros = STR(OCIREG_VERSION_MAJOR) "." STR(OCIREG_VERSION_MINOR) "."
                         STR(OCIREG_VERSION_PATCH);
    ocireg_write_cb w = on_write;
    ocireg_read_cb r = on_read;
    ocireg_progress_cb p = on_progress;
    ocireg_image_progress_cb ip = on_image;
    ocireg_image_options *image_options = NULL;
    ocireg_status st = OCIREG_OK;
    ocireg_client *client = NULL;
    ocireg_options *options = NULL;
    ocireg_cancel *cancel = NULL;
    ocireg_upload *upload = NULL;
    ocireg_blob_reader *reader = NULL;
    ocireg_string_list *strings = NULL;
    ocireg_descriptor_list *descriptors = NULL;
    ocireg_content *content = NULL;
    int failed = 0;

    (void)w; (void)r; (void)p; (void)ip; (void)image_options;
    (void)client; (void)options; (void)cancel; (void)upload; (void)reader;
    (void)strings; (void)descriptors; (void)content;
    if (sizeof st != 4 || OCIREG_ERR_PANIC != 100) failed = 1;
    if (strcmp(OCIREG_VERSION, CARGO_VERSION) != 0) {
        fprintf(stderr, "OCIREG_VERSION %s != Cargo.toml %s\n", OCIREG_VERSION, CARGO_VERSION);
        failed = 1;
    }
    if (strncmp(macros, OCIREG_VERSION, strlen(macros)) != 0) {
        fprintf(stderr, "MAJOR.MINOR.PATCH %s != OCIREG_VERSION %s\n", macros, OCIREG_VERSION);
        failed = 1;
    }
    if (strcmp(ocireg_version(), OCIREG_VERSION) != 0) {
        fprintf(stderr, "ocireg_version() %s != OCIREG_VERSION %s\n", ocireg_version(),
                OCIREG_VERSION);
        failed = 1;
    }
    printf("%s: header %s, library %s, Cargo.toml %s: %s\n",
#ifdef __cplusplus
           "C++",
#else
           "C",
#endif
           OCIREG_VERSION, ocireg_version(), CARGO_VERSION, failed ? "MISMATCH" : "ok");
    return failed;
}
