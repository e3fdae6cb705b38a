/*
 * Artifacts, as oras makes them: artifact push REF FILE... and
 * artifact pull REF DIR.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits "K=V" into the options; 0, or EXIT_USAGE. */
static int add_annotation(ocireg_artifact_options *options, const char *kv, ocireg_status *st)
{
    char *key;
    const char *value;
    int rc = split_key_value(kv, "--annotation wants KEY=VALUE, got", &key, &value);
    if (rc != 0)
        return rc;
    *st = ocireg_artifact_options_add_annotation(options, key, value);
    free(key);
    return 0;
}

int cmd_artifact_push(struct cli *cli)
{
    ocireg_artifact_options *options = ocireg_artifact_options_new();
    const char **types = NULL;
    char *digest = NULL;
    ocireg_status st = OCIREG_OK;
    size_t i;
    int rc = 0;
    if (options == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create artifact options", 0);
    if (cli->artifact_type != NULL)
        st = ocireg_artifact_options_set_artifact_type(options, cli->artifact_type);
    for (i = 0; i < cli->annotation_count && st == OCIREG_OK && rc == 0; i++)
        rc = add_annotation(options, cli->annotations[i], &st);
    if (st == OCIREG_OK && rc == 0 && cli->subject != NULL)
        st = ocireg_artifact_options_set_subject(options, cli->subject);
    if (st == OCIREG_OK && rc == 0 && cli->media_type != NULL) {
        types = malloc(cli->file_count * sizeof *types);
        if (types == NULL)
            rc = fail_local(OCIREG_ERR_IO, "out of memory", 0);
        for (i = 0; types != NULL && i < cli->file_count; i++)
            types[i] = cli->media_type;
    }
    if (st == OCIREG_OK && rc == 0)
        st = ocireg_client_artifact_push(cli->client, cli->args[0], cli->files, types,
                                         cli->file_count, options, cli->cancel, &digest);
    free(types);
    ocireg_artifact_options_free(options);
    if (rc != 0)
        return rc;
    return print_digest(cli, st, digest);
}

int cmd_artifact_pull(struct cli *cli)
{
    ocireg_string_list *names = NULL;
    ocireg_status st = ocireg_client_artifact_pull(cli->client, cli->args[0], cli->args[1],
                                                   cli->overwrite, cli->cancel, &names);
    return print_list(cli, st, names, "files");
}
