/*
 * Untag (distribution 2.8.2 refuses DELETE by tag, v3 accepts it) and
 * artifacts (push files, pull them back; hostile titles refused with
 * nothing written).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* Pushes an image tagged a and b in `repo`; its digest into `digest`. */
static void push_two_tags(ocireg_client *c, const char *repo, unsigned seed, char digest[72])
{
    struct image img;
    const char *tags[] = {"b"};
    char *dg = NULL;
    push_image(c, repo, "a", seed, &img);
    CHECK_OK(ocireg_client_manifest_put_tags(c, repo, tags, 1, (const uint8_t *)img.json,
                                             img.manifest_len, OCI_MANIFEST, NULL, &dg));
    CHECK_STREQ(dg, img.manifest);
    ocireg_string_free(dg);
    strcpy(digest, img.manifest);
}

static void check_only_tag_b(ocireg_client *c, const char *repo)
{
    ocireg_string_list *tags = NULL;
    CHECK_OK(ocireg_client_tags(c, repo, NULL, &tags));
    CHECK(ocireg_string_list_len(tags) == 1);
    CHECK(list_has(tags, "b"));
    ocireg_string_list_free(tags);
}

static void test_untag_distribution_2(void)
{
    ocireg_client *c = make_client(NULL);
    char repo[256], ref[512], digest[72];
    int used = -1;
    ocireg_content *m = NULL;
    repo_ref(repo, sizeof repo, &registries()[0], "c/untag2");
    push_two_tags(c, repo, 31, digest);
    snprintf(ref, sizeof ref, "%s:a", repo);
    CHECK_STATUS(ocireg_client_untag(c, ref, 0, NULL, &used), OCIREG_ERR_UNSUPPORTED);
    CHECK(strstr(ocireg_last_error_message(), "does not delete tags") != NULL);
    CHECK(ocireg_last_error_http_status() == 400);
    CHECK(used == -1); /* outputs are written only on success */
    CHECK_OK(ocireg_client_untag(c, ref, 1, NULL, &used));
    CHECK(used == 1);
    check_only_tag_b(c, repo);
    snprintf(ref, sizeof ref, "%s@%s", repo, digest);
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    ocireg_content_free(m);
    snprintf(ref, sizeof ref, "%s:a", repo);
    CHECK_STATUS(ocireg_client_untag(c, ref, 1, NULL, NULL), OCIREG_ERR_NOT_FOUND);
    CHECK_STATUS(ocireg_client_untag(c, NULL, 1, NULL, NULL), OCIREG_ERR_NULL_ARGUMENT);
    ocireg_client_free(c);
}

static void test_untag_distribution_3(void)
{
    const char *host = env_req("OCIREG_TEST_DIST3");
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    char repo[256], ref[512], digest[72];
    int used = -1;
    CHECK_OK(ocireg_options_add_insecure_registry(o, host));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    snprintf(repo, sizeof repo, "%s/c/untag3", host);
    push_two_tags(c, repo, 32, digest);
    snprintf(ref, sizeof ref, "%s:a", repo);
    CHECK_OK(ocireg_client_untag(c, ref, 0, NULL, &used));
    CHECK(used == 0);
    check_only_tag_b(c, repo);
    ocireg_client_free(c);
}

/* A fresh directory under /tmp into `out`. */
static void temp_dir(char out[64])
{
    strcpy(out, "/tmp/ocireg-c-artifact.XXXXXX");
    CHECK(mkdtemp(out) != NULL);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

static int same_file(const char *path, const uint8_t *data, size_t len)
{
    uint8_t *got = (uint8_t *)malloc(len + 1);
    FILE *f = fopen(path, "rb");
    size_t n;
    int same;
    if (f == NULL) {
        free(got);
        return 0;
    }
    n = fread(got, 1, len + 1, f);
    fclose(f);
    same = n == len && memcmp(got, data, len) == 0;
    free(got);
    return same;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void test_artifact_push_and_pull(void)
{
    ocireg_client *c = make_client(NULL);
    ocireg_artifact_options *o = ocireg_artifact_options_new();
    ocireg_string_list *names = NULL;
    uint8_t *big = pattern(2 * 1024 * 1024 + 3, 33);
    static const uint8_t small[] = "small file\n";
    char src[64], dst[64], repo[256], ref[512], p1[128], p2[128], out[160];
    const char *paths[2], *types[2] = {"", "application/x-big"};
    char *digest = NULL;
    ocireg_content *m = NULL;
    temp_dir(src);
    temp_dir(dst);
    snprintf(p1, sizeof p1, "%s/small.txt", src);
    snprintf(p2, sizeof p2, "%s/big.bin", src);
    write_file(p1, small, sizeof small - 1);
    write_file(p2, big, 2 * 1024 * 1024 + 3);
    paths[0] = p1;
    paths[1] = p2;
    CHECK_OK(ocireg_artifact_options_set_artifact_type(o, "application/x-c-test"));
    CHECK_OK(ocireg_artifact_options_add_annotation(o, "k", "v"));
    CHECK_STATUS(ocireg_artifact_options_add_annotation(o, "", "v"), OCIREG_ERR_INVALID_ARGUMENT);
    repo_ref(repo, sizeof repo, &registries()[0], "c/artifact");
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_STATUS(ocireg_client_artifact_push(c, ref, paths, types, 0, o, NULL, &digest),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_client_artifact_push(c, ref, paths, types, 2, o, NULL, &digest));
    CHECK_OK(ocireg_client_manifest_get(c, ref, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), digest);
    {
        size_t len = 0;
        const uint8_t *bytes = ocireg_content_bytes(m, &len);
        char *text = (char *)malloc(len + 1);
        CHECK(text != NULL);
        memcpy(text, bytes, len);
        text[len] = '\0';
        CHECK(strstr(text, "\"artifactType\":\"application/x-c-test\"") != NULL);
        free(text);
    }
    ocireg_content_free(m);
    ocireg_string_free(digest);

    CHECK_OK(ocireg_client_artifact_pull(c, ref, dst, 0, NULL, &names));
    CHECK(ocireg_string_list_len(names) == 2);
    CHECK(list_has(names, "small.txt") && list_has(names, "big.bin"));
    ocireg_string_list_free(names);
    snprintf(out, sizeof out, "%s/small.txt", dst);
    CHECK(same_file(out, small, sizeof small - 1));
    snprintf(out, sizeof out, "%s/big.bin", dst);
    CHECK(same_file(out, big, 2 * 1024 * 1024 + 3));
    /* Existing files are refused unless asked. */
    CHECK_STATUS(ocireg_client_artifact_pull(c, ref, dst, 0, NULL, NULL),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_client_artifact_pull(c, ref, dst, 1, NULL, NULL));
    CHECK(entries(dst) == 2);
    ocireg_artifact_options_free(o);
    ocireg_artifact_options_free(NULL);
    free(big);
    remove_dir(src);
    remove_dir(dst);
    ocireg_client_free(c);
}

static void test_artifact_hostile_title(void)
{
    ocireg_client *c = make_client(NULL);
    static const char *titles[] = {"../escape", "..", "/abs", "a/b", "", NULL};
    static const uint8_t payload[] = "payload";
    char root[64], dir[96], repo[256], ref[512], json[1024], *layer = NULL, *config = NULL;
    int i;
    temp_dir(root);
    snprintf(dir, sizeof dir, "%s/out", root);
    repo_ref(repo, sizeof repo, &registries()[0], "c/evil");
    CHECK_OK(ocireg_client_blob_push(c, repo, payload, sizeof payload - 1, NULL, &layer));
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)"{}", 2, NULL, &config));
    for (i = 0; titles[i] != NULL; i++) {
        int n = snprintf(json, sizeof json,
            "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"application/x-evil\","
            "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},"
            "\"layers\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\"%s\",\"size\":%u,"
            "\"annotations\":{\"org.opencontainers.image.title\":\"%s\"}}]}",
            OCI_MANIFEST, config, layer, (unsigned)(sizeof payload - 1), titles[i]);
        snprintf(ref, sizeof ref, "%s:evil%d", repo, i);
        CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, (size_t)n,
                                            OCI_MANIFEST, NULL, NULL));
        CHECK_STATUS(ocireg_client_artifact_pull(c, ref, dir, 1, NULL, NULL),
                     OCIREG_ERR_INVALID_ARGUMENT);
        CHECK(entries(root) == 0); /* not even the directory is created */
    }
    ocireg_string_free(layer);
    ocireg_string_free(config);
    remove_dir(root);
    ocireg_client_free(c);
}

const struct test artifacts_tests[] = {
    {"untag_distribution_2", test_untag_distribution_2, NEEDS_PLAIN},
    {"untag_distribution_3", test_untag_distribution_3, NEEDS_PLAIN},
    {"artifact_push_and_pull", test_artifact_push_and_pull, NEEDS_PLAIN},
    {"artifact_hostile_title", test_artifact_hostile_title, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
