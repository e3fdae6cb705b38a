/*
 * Image names with skopeo's transport prefixes (docker://, oci:,
 * oci-archive:, docker-archive:, dir:) for inspect, manifest and tags, and
 * the layers command: containers/image's image-source operations on any
 * transport.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int is_local_image(const char *arg)
{
    static const char *const prefixes[] = {"oci:", "oci-archive:", "docker-archive:", "dir:"};
    size_t i;
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(arg, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

int is_transport_name(const char *arg)
{
    return is_local_image(arg) || strncmp(arg, "docker://", 9) == 0;
}

/* manifest IMAGE with a transport: the raw manifest, or with --platform the
 * image manifest that platform selects. */
int cmd_source_manifest(struct cli *cli)
{
    ocireg_image_options *options = NULL;
    ocireg_content *manifest = NULL;
    ocireg_status st;
    int rc = image_options(cli, NULL, NULL, &options);
    if (rc != 0)
        return rc;
    st = ocireg_client_source_manifest(cli->client, cli->args[0], options, cli->cancel,
                                       &manifest);
    ocireg_image_options_free(options);
    return print_content(cli, st, manifest);
}

/* tags IMAGE with a transport: docker:// or docker-archive: (skopeo's
 * list-tags). JSON: {"name": IMAGE (as given), "tags": [...]}. */
int cmd_source_tags(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    size_t i, n;
    struct json j;
    ocireg_status st = ocireg_client_source_tags(cli->client, cli->args[0], cli->cancel, &list);
    if (st != OCIREG_OK || !cli->json)
        return print_list(cli, st, list, "tags");
    n = ocireg_string_list_len(list);
    json_start(&j);
    json_object(&j);
    json_member_string(&j, "name", cli->args[0]);
    json_key(&j, "tags");
    json_inline_array(&j);
    for (i = 0; i < n; i++)
        json_string(&j, ocireg_string_list_get(list, i));
    json_array_end(&j);
    json_object_end(&j);
    json_end(&j);
    ocireg_string_list_free(list);
    return finish_stdout();
}

/* layers IMAGE DIR: the config and layers into DIR, named by digest hex;
 * prints the library's JSON list (text and JSON alike, as inspect). */
int cmd_layers(struct cli *cli)
{
    struct image_progress progress;
    ocireg_image_options *options = NULL;
    char *json = NULL;
    ocireg_status st;
    int rc;
    image_progress_start(&progress, cli->progress, cli->quiet, "layers");
    if ((rc = image_options(cli, NULL, &progress, &options)) != 0)
        return rc;
    st = ocireg_client_source_layers(cli->client, cli->args[0], cli->args[1], options,
                                     cli->overwrite, cli->cancel, &json);
    image_progress_end(&progress, st == OCIREG_OK);
    ocireg_image_options_free(options);
    if (st != OCIREG_OK)
        return fail(st);
    puts(json);
    ocireg_string_free(json);
    return finish_stdout();
}
