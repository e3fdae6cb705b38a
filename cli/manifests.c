/*
 * Manifests: digest, manifest, config, put-manifest, tag, delete, untag
 * and referrers.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
/* Manifests are bounded at 4 MiB (the library refuses larger ones). */
#define MANIFEST_MAX (4u * 1024u * 1024u)

int cmd_digest(struct cli *cli)
{
    char *digest = NULL;
    ocireg_status st = ocireg_client_digest(cli->client, cli->args[0], cli->cancel, &digest);
    return print_digest(cli, st, digest);
}

int cmd_manifest(struct cli *cli)
{
    ocireg_content *manifest = NULL;
    ocireg_status st;
    if (is_transport_name(cli->args[0]))
        return cmd_source_manifest(cli);
    st =
        cli->platform != NULL
            ? ocireg_client_manifest_get_platform(cli->client, cli->args[0], cli->platform,
                                                  cli->cancel, &manifest)
            : ocireg_client_manifest_get(cli->client, cli->args[0], cli->cancel, &manifest);
    return print_content(cli, st, manifest);
}

int cmd_config(struct cli *cli)
{
    ocireg_content *config = NULL;
    ocireg_status st = ocireg_client_config_get(cli->client, cli->args[0], cli->platform,
                                                cli->cancel, &config);
    return print_content(cli, st, config);
}

int cmd_put_manifest(struct cli *cli)
{
    const char *media_type = cli->media_type != NULL ? cli->media_type : OCI_MANIFEST;
    uint8_t *data = NULL;
    size_t len = 0;
    char *digest = NULL;
    ocireg_status st;
    int err = 0, fd = open_input(cli->args[1]);
    if (fd < 0)
        return fail_local(OCIREG_ERR_IO, cli->args[1], errno);
    if (slurp(fd, MANIFEST_MAX, &data, &len, &err) != 0) {
        close_input(fd);
        if (err == EFBIG)
            return fail_local(OCIREG_ERR_SIZE_EXCEEDED,
                              "the manifest is larger than 4 MiB", 0);
        return fail_local(OCIREG_ERR_IO, cli->args[1], err);
    }
    close_input(fd);
    st = ocireg_client_manifest_put(cli->client, cli->args[0], data, len, media_type,
                                    cli->cancel, &digest);
    free(data);
    return print_digest(cli, st, digest);
}

int cmd_tag(struct cli *cli)
{
    ocireg_content *manifest = NULL;
    const uint8_t *bytes;
    size_t len = 0;
    char *digest = NULL;
    const char *tags[1];
    ocireg_status st =
        ocireg_client_manifest_get(cli->client, cli->args[0], cli->cancel, &manifest);
    if (st != OCIREG_OK)
        return fail(st);
    bytes = ocireg_content_bytes(manifest, &len);
    tags[0] = cli->args[1];
    /* The repository of REF (its tag or digest ignored), one new tag. */
    st = ocireg_client_manifest_put_tags(cli->client, cli->args[0], tags, 1, bytes, len,
                                         ocireg_content_media_type(manifest), cli->cancel,
                                         &digest);
    ocireg_content_free(manifest);
    return print_digest(cli, st, digest);
}

int cmd_delete(struct cli *cli)
{
    ocireg_status st = ocireg_client_manifest_delete(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json)
        json_print_one("deleted", cli->args[0]);
    return finish_stdout();
}

int cmd_untag(struct cli *cli)
{
    int used_throwaway = 0;
    ocireg_status st = ocireg_client_untag(cli->client, cli->args[0], cli->via_throwaway,
                                           cli->cancel, &used_throwaway);
    if (st != OCIREG_OK)
        return fail(st);
    if (used_throwaway)
        fprintf(stderr, "ocireg: the registry does not delete tags; the tag was moved to a "
                        "throwaway manifest, which was deleted\n");
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "untagged", cli->args[0]);
        json_key(&j, "via_throwaway_manifest");
        json_bool(&j, used_throwaway);
        json_object_end(&j);
        json_end(&j);
    }
    return finish_stdout();
}

/* `{"referrers": [{digest, media_type, artifact_type, size, kind,
 * annotations}]}`. */
static void print_referrers_json(const ocireg_descriptor_list *list)
{
    size_t i, k, n = ocireg_descriptor_list_len(list);
    struct json j;
    json_start(&j);
    json_object(&j);
    json_key(&j, "referrers");
    json_array(&j);
    for (i = 0; i < n; i++) {
        size_t na = ocireg_descriptor_list_annotations_len(list, i);
        json_object(&j);
        json_member_string(&j, "digest", ocireg_descriptor_list_digest(list, i));
        json_member_string(&j, "media_type", ocireg_descriptor_list_media_type(list, i));
        json_member_string(&j, "artifact_type", ocireg_descriptor_list_artifact_type(list, i));
        json_member_uint(&j, "size", ocireg_descriptor_list_size(list, i));
        json_member_string(&j, "kind",
                           ocireg_referrer_kind_str(ocireg_descriptor_list_kind(list, i)));
        json_key(&j, "annotations");
        json_object(&j);
        for (k = 0; k < na; k++)
            json_member_string(&j, ocireg_descriptor_list_annotation_key(list, i, k),
                               ocireg_descriptor_list_annotation_value(list, i, k));
        json_object_end(&j);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_end(&j);
}

int cmd_referrers(struct cli *cli)
{
    ocireg_descriptor_list *list = NULL;
    size_t i, n;
    ocireg_status st = ocireg_client_referrers(cli->client, cli->args[0], cli->artifact_type,
                                               cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        print_referrers_json(list);
        ocireg_descriptor_list_free(list);
        return finish_stdout();
    }
    n = ocireg_descriptor_list_len(list);
    for (i = 0; i < n; i++) {
        const char *type = ocireg_descriptor_list_artifact_type(list, i);
        printf("%s %s %" PRIu64 " %s\n", ocireg_descriptor_list_digest(list, i),
               type != NULL ? type : "-", ocireg_descriptor_list_size(list, i),
               ocireg_referrer_kind_str(ocireg_descriptor_list_kind(list, i)));
    }
    ocireg_descriptor_list_free(list);
    return finish_stdout();
}
