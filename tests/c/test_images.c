/* test_images.c: the whole-image operations (config, pull, push, copy,
 * save, inspect) and their options handle. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)
#define CHECK_NULL(call) CHECK_STATUS(call, OCIREG_ERR_NULL_ARGUMENT)

struct image_progress {
    int calls, abort;
    uint64_t done, total, blobs, skipped, mounted, sent;
};

static int image_progress_cb(void *userdata, const char *digest, uint64_t blob_done,
                             uint64_t blob_total, uint64_t done, uint64_t total,
                             uint64_t blobs, uint64_t skipped, uint64_t mounted, uint64_t sent)
{
    struct image_progress *p = (struct image_progress *)userdata;
    p->calls++;
    p->done = done;
    p->total = total;
    /* The counts never go back and never pass the number of blobs. */
    if (skipped < p->skipped || mounted < p->mounted || sent < p->sent ||
        skipped + mounted + sent > blobs)
        return 1;
    p->blobs = blobs;
    p->skipped = skipped;
    p->mounted = mounted;
    p->sent = sent;
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || blob_done > blob_total) return 1;
    return p->abort;
}

/* Forgets what `p` saw, for the next operation. */
static void progress_reset(struct image_progress *p)
{
    memset(p, 0, sizeof *p);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A fresh directory under TMPDIR, for layouts and archives. */
static void temp_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/ocireg-c-images.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(out) != NULL);
}

static void remove_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void test_image_options(void)
{
    ocireg_image_options *o = ocireg_image_options_new();
    CHECK(o != NULL);
    ocireg_image_options_free(NULL);
    CHECK_OK(ocireg_image_options_set_platform(o, "linux/arm64/v8"));
    CHECK_OK(ocireg_image_options_set_platform(o, "linux/amd64"));
    CHECK_STATUS(ocireg_image_options_set_platform(o, "linux"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_image_options_set_platform(o, "linux/amd64,linux/arm64/v8"));
    CHECK_STATUS(ocireg_image_options_set_platform(o, "linux/amd64,linux/amd64"),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ocireg_image_options_set_platform(o, "linux/amd64,"), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK_OK(ocireg_image_options_set_all_platforms(o, 1));
    CHECK_OK(ocireg_image_options_set_all_platforms(o, 0));
    CHECK_OK(ocireg_image_options_set_layout_name(o, "app:v1"));
    CHECK_OK(ocireg_image_options_add_mount_from(o, "other/repo"));
    CHECK_OK(ocireg_image_options_set_resume_dir(o, "/tmp/ocireg-c-resume"));
    CHECK_NULL(ocireg_image_options_set_resume_dir(NULL, "/tmp/x"));
    CHECK_NULL(ocireg_image_options_set_resume_dir(o, NULL));
    CHECK_STATUS(ocireg_image_options_set_resume_dir(o, "\xff"), OCIREG_ERR_INVALID_UTF8);
    CHECK_OK(ocireg_image_options_set_progress(o, image_progress_cb, NULL));
    CHECK_OK(ocireg_image_options_set_progress(o, NULL, NULL));
    CHECK_NULL(ocireg_image_options_set_platform(NULL, "linux/amd64"));
    CHECK_NULL(ocireg_image_options_set_platform(o, NULL));
    CHECK_NULL(ocireg_image_options_set_all_platforms(NULL, 1));
    CHECK_NULL(ocireg_image_options_set_layout_name(NULL, "n"));
    CHECK_NULL(ocireg_image_options_set_layout_name(o, NULL));
    CHECK_NULL(ocireg_image_options_add_mount_from(NULL, "r"));
    CHECK_NULL(ocireg_image_options_add_mount_from(o, NULL));
    CHECK_NULL(ocireg_image_options_set_progress(NULL, NULL, NULL));
    CHECK_STATUS(ocireg_image_options_set_platform(o, "\xff"), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_image_options_set_layout_name(o, "\xff"), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_image_options_add_mount_from(o, "\xff"), OCIREG_ERR_INVALID_UTF8);
    ocireg_image_options_free(o);
}

static void test_image_null_args(void)
{
    ocireg_client *c = NULL;
    ocireg_content *m = (ocireg_content *)SENTINEL;
    char *dg = (char *)SENTINEL;
    const char *ref = "r.test/a:t";
    CHECK_OK(ocireg_client_new(NULL, &c));
    CHECK_NULL(ocireg_client_config_get(NULL, ref, NULL, NULL, &m));
    CHECK_NULL(ocireg_client_config_get(c, NULL, NULL, NULL, &m));
    CHECK_NULL(ocireg_client_config_get(c, ref, NULL, NULL, NULL));
    CHECK_STATUS(ocireg_client_config_get(c, ref, "\xff", NULL, &m), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_config_get(c, ref, "nope", NULL, &m), OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(m == (ocireg_content *)SENTINEL);
    CHECK_NULL(ocireg_client_image_pull(NULL, ref, "/tmp/x", NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_pull(c, NULL, "/tmp/x", NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_pull(c, ref, NULL, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_push(NULL, "/tmp/x", ref, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_push(c, NULL, ref, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_push(c, "/tmp/x", NULL, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_copy(NULL, ref, ref, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_copy(c, NULL, ref, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_copy(c, ref, NULL, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_save(NULL, ref, "/tmp/x.tar", NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_save(c, NULL, "/tmp/x.tar", NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_save(c, ref, NULL, NULL, NULL, &dg));
    CHECK_NULL(ocireg_client_image_inspect(NULL, ref, NULL, 0, NULL, &dg));
    CHECK_NULL(ocireg_client_image_inspect(c, NULL, NULL, 0, NULL, &dg));
    CHECK_NULL(ocireg_client_image_inspect(c, ref, NULL, 0, NULL, NULL));
    CHECK_STATUS(ocireg_client_image_pull(c, ref, "\xff", NULL, NULL, &dg), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_image_push(c, "\xff", ref, NULL, NULL, &dg), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_image_copy(c, ref, "\xff", NULL, NULL, &dg), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_image_save(c, ref, "\xff", NULL, NULL, &dg), OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_image_inspect(c, "\xff", NULL, 0, NULL, &dg), OCIREG_ERR_INVALID_UTF8);
    CHECK(dg == (char *)SENTINEL);
    ocireg_client_free(c);
}

/* config_get, inspect, pull, push, copy and save of one small image. */
static void image_round_trip(ocireg_client *c, const struct reg *reg, const char *dir)
{
    ocireg_image_options *o = ocireg_image_options_new();
    struct image_progress p;
    struct image img;
    ocireg_content *cfg = NULL;
    char repo[256], ref[512], target[512], layout[600], path[700], *dg = NULL, *json = NULL;
    const uint8_t *bytes;
    size_t len = 0;
    progress_reset(&p);
    repo_ref(repo, sizeof repo, reg, "ctest/images");
    push_image(c, repo, "src", 30, &img);
    snprintf(ref, sizeof ref, "%s:src", repo);
    CHECK_OK(ocireg_client_config_get(c, ref, NULL, NULL, &cfg));
    bytes = ocireg_content_bytes(cfg, &len);
    CHECK(len == img.config_len && bytes && memcmp(bytes, "{\"architecture\"", 15) == 0);
    CHECK_STREQ(ocireg_content_digest(cfg), img.config);
    CHECK_STREQ(ocireg_content_media_type(cfg), "application/vnd.oci.image.config.v1+json");
    ocireg_content_free(cfg);
    CHECK_OK(ocireg_client_image_inspect(c, ref, NULL, 1, NULL, &json));
    CHECK(json && strstr(json, img.manifest) && strstr(json, "\"src\""));
    ocireg_string_free(json);
    CHECK_OK(ocireg_image_options_set_progress(o, image_progress_cb, &p));
    CHECK_OK(ocireg_image_options_set_layout_name(o, "app"));
    snprintf(layout, sizeof layout, "%.500s/layout-%s", dir, reg->name);
    CHECK_OK(ocireg_client_image_pull(c, ref, layout, o, NULL, &dg));
    CHECK_STREQ(dg, img.manifest);
    ocireg_string_free(dg);
    CHECK(p.calls > 0 && p.done == p.total);
    /* A fresh layout: every blob (the config and the layers) downloaded. */
    CHECK(p.blobs >= 2 && p.sent == p.blobs && p.skipped == 0 && p.mounted == 0);
    snprintf(path, sizeof path, "%.600s/index.json", layout);
    CHECK(exists(path));
    /* The same pull again: every blob is in the layout already. */
    progress_reset(&p);
    CHECK_OK(ocireg_client_image_pull(c, ref, layout, o, NULL, &dg));
    ocireg_string_free(dg);
    CHECK(p.blobs >= 2 && p.skipped == p.blobs && p.sent == 0 && p.done == p.total);
    /* Pushed back to the repository that has every blob: all skipped. */
    progress_reset(&p);
    snprintf(target, sizeof target, "%s:pushed", repo);
    CHECK_OK(ocireg_client_image_push(c, layout, target, o, NULL, &dg));
    CHECK_STREQ(dg, img.manifest);
    ocireg_string_free(dg);
    CHECK(p.blobs >= 2 && p.skipped == p.blobs && p.sent == 0 && p.mounted == 0);
    /* Copied to another repository of the same registry: mounted, where
     * the registry lets this client read the source (the token registry
     * may answer a mount with an upload session instead: then sent). */
    progress_reset(&p);
    /* A repository of this process alone: a pass before this one (run.sh
     * runs the suite three times) may have left blobs in a shared one. */
    snprintf(path, sizeof path, "ctest/images-copy-%ld:copied", (long)getpid());
    repo_ref(target, sizeof target, reg, path);
    CHECK_OK(ocireg_client_image_copy(c, ref, target, o, NULL, &dg));
    CHECK_STREQ(dg, img.manifest);
    ocireg_string_free(dg);
    CHECK(p.blobs >= 2 && p.skipped == 0 && p.mounted + p.sent == p.blobs);
    if (strcmp(reg->name, "plain") == 0)
        CHECK(p.mounted == p.blobs);
    CHECK_OK(ocireg_client_manifest_head(c, target, NULL, NULL, NULL, NULL));
    snprintf(path, sizeof path, "%.500s/saved-%s.tar", dir, reg->name);
    CHECK_OK(ocireg_client_image_save(c, ref, path, NULL, NULL, NULL));
    CHECK(exists(path));
    /* A progress callback returning non-zero aborts the pull. */
    progress_reset(&p);
    p.abort = 1;
    snprintf(layout, sizeof layout, "%.500s/aborted-%s", dir, reg->name);
    dg = (char *)SENTINEL;
    CHECK_STATUS(ocireg_client_image_pull(c, ref, layout, o, NULL, &dg), OCIREG_ERR_ABORTED);
    CHECK(dg == (char *)SENTINEL);
    ocireg_image_options_free(o);
}

static void test_images(void)
{
    ocireg_client *c = make_client(NULL);
    char dir[512];
    int i;
    temp_dir(dir, sizeof dir);
    FOR_EACH_REG(i) image_round_trip(c, &registries()[i], dir);
    remove_tree(dir);
    ocireg_client_free(c);
}

/* Reads a whole small file into `out`; returns its length. */
static size_t read_small_file(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    CHECK(f != NULL);
    if (f == NULL) return 0;
    n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

/* copy between transports: oci-archive (digest kept), docker-archive (which
 * has no manifest: it gets skopeo's generated one, with gzipped layers
 * into a registry), dir: and back to the registry; bad names and missing
 * archives fail cleanly. */
static void transports_round_trip(ocireg_client *c, const struct reg *reg, const char *dir)
{
    uint8_t *layer = pattern(3000, 77), file[4096];
    char repo[256], ref[512], back[600], name[700], name2[700], config[256];
    char config_dg[72], layer_dg[72], generated[72], json[2048], mdg[72], *dg = NULL;
    size_t config_len, json_len, file_len;
    repo_ref(repo, sizeof repo, reg, "ctest/transports");
    CHECK_OK(ocireg_client_blob_push(c, repo, layer, 3000, NULL, &dg));
    strcpy(layer_dg, dg);
    ocireg_string_free(dg);
    config_len = (size_t)snprintf(config, sizeof config,
                                  "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                                  "{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", layer_dg);
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)config, config_len, NULL, &dg));
    strcpy(config_dg, dg);
    ocireg_string_free(dg);
    json_len = manifest_json(json, sizeof json, NULL, config_dg, config_len, layer_dg, 3000,
                             NULL, 0);
    sha256_digest((const uint8_t *)json, json_len, mdg);
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, json_len, OCI_MANIFEST,
                                        NULL, NULL));

    /* registry -> oci-archive -> registry: the digest stays. */
    snprintf(name, sizeof name, "oci-archive:%.500s/%s.tar:v1", dir, reg->name);
    CHECK_OK(ocireg_client_image_copy(c, ref, name, NULL, NULL, &dg));
    CHECK_STREQ(dg, mdg);
    ocireg_string_free(dg);
    snprintf(back, sizeof back, "docker://%s:from-oci-archive", repo);
    CHECK_OK(ocireg_client_image_copy(c, name, back, NULL, NULL, &dg));
    CHECK_STREQ(dg, mdg);
    ocireg_string_free(dg);

    /* registry -> docker-archive -> dir: -> registry: skopeo's manifest. */
    snprintf(name, sizeof name, "docker-archive:%.500s/%s-d.tar", dir, reg->name);
    CHECK_OK(ocireg_client_image_copy(c, ref, name, NULL, NULL, &dg));
    CHECK_STREQ(dg, mdg);
    ocireg_string_free(dg);
    snprintf(name2, sizeof name2, "dir:%.500s/%s-dir", dir, reg->name);
    CHECK_OK(ocireg_client_image_copy(c, name, name2, NULL, NULL, &dg));
    strcpy(generated, dg);
    ocireg_string_free(dg);
    CHECK(strcmp(generated, mdg) != 0);
    snprintf(back, sizeof back, "%.500s/%s-dir/manifest.json", dir, reg->name);
    file_len = read_small_file(back, file, sizeof file - 1);
    file[file_len] = 0;
    CHECK(file_len > 0 && strstr((const char *)file, "rootfs.diff.tar.gzip") != NULL);
    sha256_digest(file, file_len, mdg);
    CHECK_STREQ(generated, mdg);
    snprintf(back, sizeof back, "%s:from-docker-archive", repo);
    CHECK_OK(ocireg_client_image_copy(c, name2, back, NULL, NULL, &dg));
    CHECK_STREQ(dg, generated);
    ocireg_string_free(dg);

    /* docker-archive -> registry: layers gzipped as skopeo gzips them, a
     * new digest, the same on every copy. */
    snprintf(back, sizeof back, "%s:gzipped", repo);
    CHECK_OK(ocireg_client_image_copy(c, name, back, NULL, NULL, &dg));
    CHECK(strcmp(dg, generated) != 0);
    strcpy(mdg, dg);
    ocireg_string_free(dg);
    snprintf(back, sizeof back, "%s:gzipped-again", repo);
    CHECK_OK(ocireg_client_image_copy(c, name, back, NULL, NULL, &dg));
    CHECK_STREQ(dg, mdg);
    ocireg_string_free(dg);

    /* Bad names and missing files. */
    CHECK_STATUS(ocireg_client_image_copy(c, "oci-archive:", back, NULL, NULL, &dg),
                 OCIREG_ERR_INVALID_ARGUMENT);
    snprintf(name, sizeof name, "docker-archive:%.500s/missing.tar", dir);
    CHECK_STATUS(ocireg_client_image_copy(c, name, back, NULL, NULL, &dg), OCIREG_ERR_IO);
    free(layer);
}

static void test_image_transports(void)
{
    ocireg_client *c = make_client(NULL);
    char dir[512];
    int i;
    temp_dir(dir, sizeof dir);
    FOR_EACH_REG(i) transports_round_trip(c, &registries()[i], dir);
    remove_tree(dir);
    ocireg_client_free(c);
}

static void test_image_not_found(void)
{
    ocireg_client *c = make_client(NULL);
    char ref[512], dir[512], *dg = (char *)SENTINEL;
    ocireg_content *cfg = (ocireg_content *)SENTINEL;
    temp_dir(dir, sizeof dir);
    repo_ref(ref, sizeof ref, reg_pick(0), "ctest/images:missing");
    CHECK_STATUS(ocireg_client_config_get(c, ref, NULL, NULL, &cfg), OCIREG_ERR_NOT_FOUND);
    CHECK_STATUS(ocireg_client_image_pull(c, ref, dir, NULL, NULL, &dg), OCIREG_ERR_NOT_FOUND);
    CHECK_STATUS(ocireg_client_image_inspect(c, ref, NULL, 0, NULL, &dg), OCIREG_ERR_NOT_FOUND);
    CHECK(dg == (char *)SENTINEL && cfg == (ocireg_content *)SENTINEL);
    remove_tree(dir);
    ocireg_client_free(c);
}

const struct test images_tests[] = {
    {"image_options", test_image_options, 0},
    {"image_null_args", test_image_null_args, 0},
    {"images", test_images, NEEDS_ANY},
    {"image_not_found", test_image_not_found, NEEDS_ANY},
    {"image_transports", test_image_transports, NEEDS_ANY},
    {NULL, NULL, 0},
};
