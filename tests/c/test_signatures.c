/* test_signatures.c: image signatures through the C API: the signature
 * list (built for a put, read back after a get: kind, bytes with length,
 * MIME type, annotations), and a put then get on distribution 2.8.2 with a
 * registries.d that puts simple-signing signatures in a file:// lookaside
 * and sigstore ones in the image's .sig attachment, then a copy that
 * carries them (ocireg_image_options_set_signatures). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define COSIGN_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_SIG "dev.cosignproject.cosign/signature"

/* Removes `path` and everything under it (no symlinks are followed). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char child[1024];
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void test_list_building_and_bad_input(void)
{
    static const uint8_t simple[] = {0xA3, 0x01, 'a', 'b'};
    static const uint8_t payload[] = "{\"critical\":{}}";
    ocireg_signature_list *l = ocireg_signature_list_new();
    const uint8_t *bytes;
    size_t len = 0;
    uint8_t *huge;
    CHECK(l != NULL);
    CHECK_OK(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIMPLE_SIGNING, NULL, simple,
                                       sizeof simple));
    CHECK_OK(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIGSTORE, NULL, payload,
                                       sizeof payload - 1));
    CHECK_OK(ocireg_signature_list_annotate(l, 1, COSIGN_SIG, "MEUC"));
    CHECK_OK(ocireg_signature_list_annotate(l, 1, "a.first", "x"));
    CHECK(ocireg_signature_list_len(l) == 2);
    CHECK(ocireg_signature_list_kind(l, 0) == OCIREG_SIGNATURE_SIMPLE_SIGNING);
    CHECK(ocireg_signature_list_kind(l, 1) == OCIREG_SIGNATURE_SIGSTORE);
    CHECK(ocireg_signature_list_kind(l, 2) == OCIREG_SIGNATURE_NONE);
    bytes = ocireg_signature_list_bytes(l, 0, &len);
    CHECK(bytes != NULL && len == sizeof simple && memcmp(bytes, simple, len) == 0);
    CHECK(ocireg_signature_list_mime_type(l, 0) == NULL);
    CHECK_STREQ(ocireg_signature_list_mime_type(l, 1), COSIGN_TYPE);
    CHECK(ocireg_signature_list_annotations_len(l, 0) == 0);
    CHECK(ocireg_signature_list_annotations_len(l, 1) == 2);
    CHECK_STREQ(ocireg_signature_list_annotation_key(l, 1, 0), "a.first");
    CHECK_STREQ(ocireg_signature_list_annotation_value(l, 1, 1), "MEUC");
    CHECK(ocireg_signature_list_annotation_key(l, 1, 2) == NULL);
    CHECK(ocireg_signature_list_bytes(l, 5, &len) == NULL);
    CHECK(ocireg_signature_list_bytes(l, 0, NULL) == NULL);

    CHECK_STATUS(ocireg_signature_list_add(l, 7, NULL, simple, sizeof simple),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIMPLE_SIGNING, "text/plain",
                                           simple, sizeof simple),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIMPLE_SIGNING, NULL, NULL, 0),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIMPLE_SIGNING, NULL, NULL, 3),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_annotate(l, 0, "k", "v"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_annotate(l, 9, "k", "v"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_signature_list_annotate(l, 1, "", "v"), OCIREG_ERR_INVALID_ARGUMENT);
    huge = calloc(5u << 20, 1);
    CHECK(huge != NULL);
    huge[0] = 0xA3;
    CHECK_STATUS(ocireg_signature_list_add(l, OCIREG_SIGNATURE_SIMPLE_SIGNING, NULL, huge,
                                           5u << 20),
                 OCIREG_ERR_SIZE_EXCEEDED);
    free(huge);
    CHECK(ocireg_signature_list_len(l) == 2);
    ocireg_signature_list_free(l);
    ocireg_signature_list_free(NULL);
    CHECK(ocireg_signature_list_len(NULL) == 0);
    CHECK(ocireg_signature_list_kind(NULL, 0) == OCIREG_SIGNATURE_NONE);
    CHECK_STREQ(ocireg_signature_kind_str(OCIREG_SIGNATURE_SIMPLE_SIGNING), "simple-signing");
    CHECK_STREQ(ocireg_signature_kind_str(OCIREG_SIGNATURE_SIGSTORE), "sigstore");
    CHECK_STREQ(ocireg_signature_kind_str(99), "none");
}

static void test_put_then_get(void)
{
    static const uint8_t simple[] = {0xA3, 0x01, 'c', 't'};
    static const uint8_t payload[] = "{\"critical\":{\"c\":1}}";
    const char *host = registries()[0].host;
    const char *run = getenv("OCIREG_C_RUN");
    ocireg_options *o = make_options(NULL);
    ocireg_client *c = NULL;
    ocireg_signature_list *put = ocireg_signature_list_new(), *got = NULL;
    struct image img;
    char tmp[] = "/tmp/ocireg-c-sigs-XXXXXX", conf[256], yaml[512], repo[256], ref[512];
    char path[1024];
    const uint8_t *bytes;
    size_t len = 0, added = 0;
    FILE *f;
    char *hex;

    CHECK(mkdtemp(tmp) != NULL);
    snprintf(conf, sizeof conf, "%s/registries.d", tmp);
    CHECK(mkdir(conf, 0700) == 0);
    snprintf(path, sizeof path, "%s/test.yaml", conf);
    snprintf(yaml, sizeof yaml,
             "default-docker:\n  lookaside: file://%s/staging\n"
             "  use-sigstore-attachments: true\n", tmp);
    f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(yaml, f);
    fclose(f);

    CHECK_OK(ocireg_options_add_insecure_registry(o, host));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/ctest/sigs%s", host, run ? run : "");
    push_image(c, repo, "v1", 41, &img);
    snprintf(ref, sizeof ref, "%s:v1", repo);

    /* Nothing yet. */
    CHECK_OK(ocireg_client_signatures(c, ref, conf, NULL, &got));
    CHECK(ocireg_signature_list_len(got) == 0);
    ocireg_signature_list_free(got);

    CHECK_OK(ocireg_signature_list_add(put, OCIREG_SIGNATURE_SIMPLE_SIGNING, NULL, simple,
                                       sizeof simple));
    CHECK_OK(ocireg_signature_list_add(put, OCIREG_SIGNATURE_SIGSTORE, NULL, payload,
                                       sizeof payload - 1));
    CHECK_OK(ocireg_signature_list_annotate(put, 1, COSIGN_SIG, "MEUCsig"));
    CHECK_OK(ocireg_client_signatures_put(c, ref, conf, put, NULL, &added));
    CHECK(added == 2);
    /* Again: nothing new. */
    CHECK_OK(ocireg_client_signatures_put(c, ref, conf, put, NULL, NULL));
    CHECK_OK(ocireg_client_signatures_put(c, ref, conf, put, NULL, &added));
    CHECK(added == 0);

    /* The lookaside file is where containers/image looks. */
    hex = strchr(img.manifest, ':') + 1;
    snprintf(path, sizeof path, "%s/staging/ctest/sigs%s@sha256=%s/signature-1", tmp,
             run ? run : "", hex);
    CHECK(access(path, R_OK) == 0);

    CHECK_OK(ocireg_client_signatures(c, ref, conf, NULL, &got));
    CHECK(ocireg_signature_list_len(got) == 2);
    CHECK(ocireg_signature_list_kind(got, 0) == OCIREG_SIGNATURE_SIMPLE_SIGNING);
    bytes = ocireg_signature_list_bytes(got, 0, &len);
    CHECK(len == sizeof simple && memcmp(bytes, simple, len) == 0);
    CHECK(ocireg_signature_list_kind(got, 1) == OCIREG_SIGNATURE_SIGSTORE);
    bytes = ocireg_signature_list_bytes(got, 1, &len);
    CHECK(len == sizeof payload - 1 && memcmp(bytes, payload, len) == 0);
    CHECK_STREQ(ocireg_signature_list_mime_type(got, 1), COSIGN_TYPE);
    CHECK(ocireg_signature_list_annotations_len(got, 1) == 1);
    CHECK_STREQ(ocireg_signature_list_annotation_key(got, 1, 0), COSIGN_SIG);
    CHECK_STREQ(ocireg_signature_list_annotation_value(got, 1, 0), "MEUCsig");
    ocireg_signature_list_free(got);

    /* A malformed registries.d: the file and the line in the error. */
    snprintf(path, sizeof path, "%s/bad.yaml", conf);
    f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("docker:\n  x:\n    lookaside: [oops\n", f);
    fclose(f);
    CHECK_STATUS(ocireg_client_signatures(c, ref, conf, NULL, &got),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ocireg_last_error_message(), "bad.yaml") != NULL);
    CHECK(strstr(ocireg_last_error_message(), "line 3") != NULL);
    CHECK_STATUS(ocireg_client_signatures_put(c, ref, conf, NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK(remove(path) == 0);

    /* Copy with the signatures: the copy has the same two; into a layout
     * the option is refused before anything is written. */
    {
        ocireg_image_options *io = ocireg_image_options_new();
        char target[600], layout[1100], *digest = NULL;
        struct stat st;
        CHECK(io != NULL);
        CHECK_STATUS(ocireg_image_options_set_signatures(NULL, 1, conf),
                     OCIREG_ERR_NULL_ARGUMENT);
        CHECK_OK(ocireg_image_options_set_signatures(io, 1, conf));
        snprintf(target, sizeof target, "%s-copy:v1", repo);
        CHECK_OK(ocireg_client_image_copy(c, ref, target, io, NULL, &digest));
        ocireg_string_free(digest);
        CHECK_OK(ocireg_client_signatures(c, target, conf, NULL, &got));
        CHECK(ocireg_signature_list_len(got) == 2);
        bytes = ocireg_signature_list_bytes(got, 0, &len);
        CHECK(len == sizeof simple && memcmp(bytes, simple, len) == 0);
        ocireg_signature_list_free(got);
        snprintf(layout, sizeof layout, "oci:%s/layout", tmp);
        CHECK_STATUS(ocireg_client_image_copy(c, ref, layout, io, NULL, &digest),
                     OCIREG_ERR_INVALID_ARGUMENT);
        CHECK(stat(layout + 4, &st) != 0);
        ocireg_image_options_free(io);
    }

    ocireg_signature_list_free(put);
    ocireg_client_free(c);
    remove_tree(tmp);
}

const struct test signatures_tests[] = {
    {"signature_list", test_list_building_and_bad_input, 0},
    {"signatures_put_get", test_put_then_get, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
