/* test_image_source.c: the image-source operations on any transport
 * (ocireg_client_source_manifest, _inspect, _layers, _tags and
 * ocireg_image_name_intended_reference). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

static void image_source_null_args(void)
{
    char *s = (char *)SENTINEL;
    ocireg_content *m = (ocireg_content *)SENTINEL;
    ocireg_string_list *l = (ocireg_string_list *)SENTINEL;
    ocireg_client *c = make_client(NULL);
    CHECK_STATUS(ocireg_client_source_manifest(NULL, "oci:x", NULL, NULL, &m),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_manifest(c, NULL, NULL, NULL, &m), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_manifest(c, "oci:x", NULL, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_inspect(c, NULL, NULL, 0, NULL, &s), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_inspect(c, "\xff", NULL, 0, NULL, &s),
                 OCIREG_ERR_INVALID_UTF8);
    CHECK_STATUS(ocireg_client_source_layers(c, "oci:x", NULL, NULL, 0, NULL, &s),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_layers(c, "oci:x", "/tmp", NULL, 0, NULL, NULL),
                 OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_client_source_tags(c, NULL, NULL, &l), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_image_name_intended_reference(NULL, &s), OCIREG_ERR_NULL_ARGUMENT);
    CHECK_STATUS(ocireg_image_name_intended_reference("oci:x", NULL), OCIREG_ERR_NULL_ARGUMENT);
    /* A bad name is refused before anything is read. */
    CHECK_STATUS(ocireg_client_source_inspect(c, "oci-archive:", NULL, 0, NULL, &s),
                 OCIREG_ERR_INVALID_ARGUMENT);
    /* Outputs are written on success only. */
    CHECK(s == (char *)SENTINEL && m == (ocireg_content *)SENTINEL &&
          l == (ocireg_string_list *)SENTINEL);
    ocireg_client_free(c);
}

static void test_intended_reference(void)
{
    char *s = (char *)SENTINEL;
    CHECK_OK(ocireg_image_name_intended_reference("docker-archive:/x.tar:busybox:1", &s));
    CHECK_STREQ(s, "docker.io/library/busybox:1");
    ocireg_string_free(s);
    CHECK_OK(ocireg_image_name_intended_reference("docker://localhost:5000/a/b:v1", &s));
    CHECK_STREQ(s, "localhost:5000/a/b:v1");
    ocireg_string_free(s);
    CHECK_OK(ocireg_image_name_intended_reference("oci:/layout:v1", &s));
    CHECK(s == NULL);
    CHECK_OK(ocireg_image_name_intended_reference("docker-archive:/x.tar:@0", &s));
    CHECK(s == NULL);
}

static int is_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An image pushed with a config naming its layer's diff ID (so that a
 * docker-archive of it reads back), copied to an oci-archive and a
 * docker-archive, then read through every operation. */
static void source_ops(ocireg_client *c, const struct reg *reg, const char *dir)
{
    uint8_t *layer = pattern(5000, 91);
    char repo[256], ref[512], oci[700], da[700], out[700], path[800], config[256];
    char config_dg[72], layer_dg[72], json[2048], mdg[72], *dg = NULL, *text = NULL;
    size_t config_len, json_len;
    ocireg_content *m = NULL;
    ocireg_string_list *tags = NULL;
    ocireg_image_options *o = ocireg_image_options_new();
    repo_ref(repo, sizeof repo, reg, "ctest/source-ops");
    CHECK_OK(ocireg_client_blob_push(c, repo, layer, 5000, NULL, &dg));
    strcpy(layer_dg, dg);
    ocireg_string_free(dg);
    config_len = (size_t)snprintf(config, sizeof config,
                                  "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                                  "{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", layer_dg);
    CHECK_OK(ocireg_client_blob_push(c, repo, (const uint8_t *)config, config_len, NULL, &dg));
    strcpy(config_dg, dg);
    ocireg_string_free(dg);
    json_len = manifest_json(json, sizeof json, NULL, config_dg, config_len, layer_dg, 5000,
                             NULL, 0);
    sha256_digest((const uint8_t *)json, json_len, mdg);
    snprintf(ref, sizeof ref, "%s:v1", repo);
    CHECK_OK(ocireg_client_manifest_put(c, ref, (const uint8_t *)json, json_len, OCI_MANIFEST,
                                        NULL, NULL));
    snprintf(oci, sizeof oci, "oci-archive:%.500s/%s.tar:v1", dir, reg->name);
    CHECK_OK(ocireg_client_image_copy(c, ref, oci, NULL, NULL, NULL));
    snprintf(da, sizeof da, "docker-archive:%.500s/%s-d.tar:example.com/app:v1", dir, reg->name);
    CHECK_OK(ocireg_client_image_copy(c, ref, da, NULL, NULL, NULL));

    /* The raw manifest: the same bytes in the registry and the archive. */
    CHECK_OK(ocireg_client_source_manifest(c, oci, NULL, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), mdg);
    ocireg_content_free(m);
    snprintf(path, sizeof path, "docker://%s", ref);
    CHECK_OK(ocireg_client_source_manifest(c, path, o, NULL, &m));
    CHECK_STREQ(ocireg_content_digest(m), mdg);
    ocireg_content_free(m);
    /* A docker-archive's is skopeo's generated one. */
    CHECK_OK(ocireg_client_source_manifest(c, da, NULL, NULL, &m));
    CHECK_STREQ(ocireg_content_media_type(m),
                "application/vnd.docker.distribution.manifest.v2+json");
    ocireg_content_free(m);

    /* Inspect: Name only where a docker reference is intended. */
    CHECK_OK(ocireg_client_source_inspect(c, da, NULL, 0, NULL, &text));
    CHECK(strstr(text, "\"Name\": \"example.com/app\"") != NULL);
    CHECK(strstr(text, layer_dg) != NULL);
    ocireg_string_free(text);
    CHECK_OK(ocireg_client_source_inspect(c, oci, NULL, 1, NULL, &text));
    CHECK(strstr(text, "\"Name\"") == NULL && strstr(text, mdg) != NULL);
    CHECK(strstr(text, "\"RepoTags\": []") != NULL);
    ocireg_string_free(text);

    /* Layers: files named by hex, verified; refused again unless asked. */
    snprintf(out, sizeof out, "%.500s/layers-%s", dir, reg->name);
    CHECK_OK(ocireg_client_source_layers(c, oci, out, NULL, 0, NULL, &text));
    CHECK(strstr(text, config_dg) != NULL && strstr(text, layer_dg) != NULL);
    CHECK(strstr(text, "\"mediaType\"") != NULL);
    ocireg_string_free(text);
    snprintf(path, sizeof path, "%.600s/%s", out, layer_dg + 7);
    CHECK(is_file(path));
    snprintf(path, sizeof path, "%.600s/%s", out, config_dg + 7);
    CHECK(is_file(path));
    text = (char *)SENTINEL;
    CHECK_STATUS(ocireg_client_source_layers(c, da, out, NULL, 0, NULL, &text),
                 OCIREG_ERR_INVALID_ARGUMENT);
    CHECK(text == (char *)SENTINEL);
    CHECK_OK(ocireg_client_source_layers(c, da, out, NULL, 1, NULL, &text));
    ocireg_string_free(text);

    /* Tags: the docker-archive's RepoTags; a registry's tags; none in oci-archive. */
    CHECK_OK(ocireg_client_source_tags(c, da, NULL, &tags));
    CHECK(ocireg_string_list_len(tags) == 1);
    CHECK_STREQ(ocireg_string_list_get(tags, 0), "example.com/app:v1");
    ocireg_string_list_free(tags);
    snprintf(path, sizeof path, "docker://%s", repo);
    CHECK_OK(ocireg_client_source_tags(c, path, NULL, &tags));
    CHECK(ocireg_string_list_len(tags) >= 1);
    ocireg_string_list_free(tags);
    CHECK_STATUS(ocireg_client_source_tags(c, oci, NULL, &tags), OCIREG_ERR_UNSUPPORTED);
    ocireg_image_options_free(o);
    free(layer);
}

static void test_source_ops(void)
{
    ocireg_client *c = make_client(NULL);
    char dir[512], cmd[600];
    int i;
    snprintf(dir, sizeof dir, "%s/ocireg-c-source.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    FOR_EACH_REG(i) source_ops(c, &registries()[i], dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    ocireg_client_free(c);
}

const struct test image_source_tests[] = {
    {"image_source_null_args", image_source_null_args, 0},
    {"image_source_intended_reference", test_intended_reference, 0},
    {"image_source_ops", test_source_ops, NEEDS_ANY},
    {NULL, NULL, 0},
};
