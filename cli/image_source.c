/*
 * Image names with skopeo's transport prefixes (docker://, oci:,
 * oci-archive:, docker-archive:, dir:) for inspect and manifest (tags: registry.c), and
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
