/*
 * Indexes authored: index create TARGET SRC..., index add TARGET SRC...,
 * index remove TARGET [DIGEST...] [--platform P[,P...]] and
 * index annotate TARGET KEY=VALUE|KEY-... Each prints the new index's
 * digest.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `KEY=VALUE` into the index options; 0, or the exit status. */
static int option_annotation(ocireg_index_options *options, const char *kv, ocireg_status *st)
{
    char *key;
    const char *value;
    int rc = split_key_value(kv, "--annotation wants KEY=VALUE, got", &key, &value);
    if (rc != 0)
        return rc;
    *st = ocireg_index_options_add_annotation(options, key, value);
    free(key);
    return 0;
}

int cmd_index_create(struct cli *cli)
{
    ocireg_index_options *options = ocireg_index_options_new();
    char *digest = NULL;
    ocireg_status st = OCIREG_OK;
    size_t i;
    int rc = 0;
    if (options == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create index options", 0);
    if (cli->artifact_type != NULL)
        st = ocireg_index_options_set_artifact_type(options, cli->artifact_type);
    for (i = 0; i < cli->annotation_count && st == OCIREG_OK && rc == 0; i++)
        rc = option_annotation(options, cli->annotations[i], &st);
    if (st == OCIREG_OK && rc == 0)
        st = ocireg_client_index_create(cli->client, cli->args[0], cli->files, cli->file_count,
                                        options, cli->cancel, &digest);
    ocireg_index_options_free(options);
    if (rc != 0)
        return rc;
    return print_digest(cli, st, digest);
}

/* Pushes the change and prints the digest (frees `update`). */
static int run_update(struct cli *cli, ocireg_index_update *update, ocireg_status st)
{
    char *digest = NULL;
    if (st == OCIREG_OK)
        st = ocireg_client_index_update(cli->client, cli->args[0], update, cli->cancel, &digest);
    ocireg_index_update_free(update);
    return print_digest(cli, st, digest);
}

int cmd_index_add(struct cli *cli)
{
    ocireg_index_update *update = ocireg_index_update_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    if (update == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create an index update", 0);
    for (i = 0; i < cli->file_count && st == OCIREG_OK; i++)
        st = ocireg_index_update_add(update, cli->files[i]);
    return run_update(cli, update, st);
}

/* Each platform of the comma-separated `list` into the update. */
static int remove_platforms(ocireg_index_update *update, const char *list, ocireg_status *st)
{
    const char *p = list;
    while (*st == OCIREG_OK) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char *one = strndup(p, len);
        if (one == NULL)
            return fail_local(OCIREG_ERR_IO, "out of memory", 0);
        *st = ocireg_index_update_remove_platform(update, one);
        free(one);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

int cmd_index_remove(struct cli *cli)
{
    ocireg_index_update *update;
    ocireg_status st = OCIREG_OK;
    size_t i;
    int rc = 0;
    if (cli->file_count == 0 && cli->platform == NULL)
        return usage_error("index remove wants", "a DIGEST or --platform P");
    update = ocireg_index_update_new();
    if (update == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create an index update", 0);
    for (i = 0; i < cli->file_count && st == OCIREG_OK; i++)
        st = ocireg_index_update_remove_digest(update, cli->files[i]);
    if (st == OCIREG_OK && cli->platform != NULL)
        rc = remove_platforms(update, cli->platform, &st);
    if (rc != 0) {
        ocireg_index_update_free(update);
        return rc;
    }
    return run_update(cli, update, st);
}

/* `KEY=VALUE` (set) or `KEY-` (remove) into the update; 0, or the exit
 * status. */
static int update_annotation(ocireg_index_update *update, const char *arg, ocireg_status *st)
{
    size_t len = strlen(arg);
    char *key;
    const char *value;
    int rc;
    if (strchr(arg, '=') == NULL && len > 1 && arg[len - 1] == '-') {
        key = strndup(arg, len - 1);
        if (key == NULL)
            return fail_local(OCIREG_ERR_IO, "out of memory", 0);
        *st = ocireg_index_update_remove_annotation(update, key);
        free(key);
        return 0;
    }
    rc = split_key_value(arg, "index annotate wants KEY=VALUE or KEY-, got", &key, &value);
    if (rc != 0)
        return rc;
    *st = ocireg_index_update_set_annotation(update, key, value);
    free(key);
    return 0;
}

int cmd_index_annotate(struct cli *cli)
{
    ocireg_index_update *update = ocireg_index_update_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    int rc = 0;
    if (update == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create an index update", 0);
    for (i = 0; i < cli->file_count && st == OCIREG_OK && rc == 0; i++)
        rc = update_annotation(update, cli->files[i], &st);
    if (rc != 0) {
        ocireg_index_update_free(update);
        return rc;
    }
    return run_update(cli, update, st);
}
