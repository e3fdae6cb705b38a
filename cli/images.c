/*
 * Whole images: pull, push, copy and save (one call each, printing the
 * digest of what they moved) and inspect, with an ocireg_image_options
 * built from the command line.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Image options from the command line: --platform, --all, --mount-from,
 * the layout name (NULL for the default) and --progress into `progress`.
 */
static int image_options(struct cli *cli, const char *layout_name,
                         struct image_progress *progress, ocireg_image_options **out)
{
    ocireg_image_options *o = ocireg_image_options_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    if (o == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create image options", 0);
    if (cli->platform != NULL)
        st = ocireg_image_options_set_platform(o, cli->platform);
    if (st == OCIREG_OK && cli->all)
        st = ocireg_image_options_set_all_platforms(o, 1);
    if (st == OCIREG_OK && layout_name != NULL)
        st = ocireg_image_options_set_layout_name(o, layout_name);
    for (i = 0; i < cli->mount_from_count && st == OCIREG_OK; i++)
        st = ocireg_image_options_add_mount_from(o, cli->mount_from[i]);
    if (st == OCIREG_OK && progress != NULL && progress->enabled)
        st = ocireg_image_options_set_progress(o, on_image_progress, progress);
    if (st != OCIREG_OK) {
        int rc = fail(st);
        ocireg_image_options_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

/*
 * DIR[:NAME], split at the first ':' as skopeo's oci: transport does:
 * `*dir_out` (malloc'd) and `*name_out` (in `arg`, NULL when absent).
 */
static int split_layout(const char *arg, char **dir_out, const char **name_out)
{
    const char *colon = strchr(arg, ':');
    size_t len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
    if (len == 0 || (colon != NULL && colon[1] == '\0'))
        return usage_error("wanted DIR or DIR:NAME, got", arg);
    *dir_out = malloc(len + 1);
    if (*dir_out == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    memcpy(*dir_out, arg, len);
    (*dir_out)[len] = '\0';
    *name_out = colon != NULL ? colon + 1 : NULL;
    return 0;
}

enum image_op { OP_PULL, OP_PUSH, OP_COPY, OP_SAVE };

/* pull, push, copy and save: one call, with progress; prints the digest. */
static int run_image_op(struct cli *cli, enum image_op op)
{
    struct image_progress progress;
    ocireg_image_options *options = NULL;
    char *dir = NULL, *digest = NULL;
    const char *name = NULL;
    ocireg_status st;
    int rc;
    if (op == OP_PULL && (rc = split_layout(cli->args[1], &dir, &name)) != 0)
        return rc;
    if (op == OP_PUSH && (rc = split_layout(cli->args[0], &dir, &name)) != 0)
        return rc;
    image_progress_start(&progress, cli->progress);
    if ((rc = image_options(cli, name, &progress, &options)) != 0) {
        free(dir);
        return rc;
    }
    switch (op) {
    case OP_PULL:
        st = ocireg_client_image_pull(cli->client, cli->args[0], dir, options, cli->cancel,
                                      &digest);
        break;
    case OP_PUSH:
        st = ocireg_client_image_push(cli->client, dir, cli->args[1], options, cli->cancel,
                                      &digest);
        break;
    case OP_COPY:
        st = ocireg_client_image_copy(cli->client, cli->args[0], cli->args[1], options,
                                      cli->cancel, &digest);
        break;
    default:
        st = ocireg_client_image_save(cli->client, cli->args[0], cli->args[1], options,
                                      cli->cancel, &digest);
        break;
    }
    image_progress_end(&progress, st == OCIREG_OK);
    ocireg_image_options_free(options);
    free(dir);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(digest);
}

int cmd_pull(struct cli *cli) { return run_image_op(cli, OP_PULL); }
int cmd_push(struct cli *cli) { return run_image_op(cli, OP_PUSH); }
int cmd_copy(struct cli *cli) { return run_image_op(cli, OP_COPY); }
int cmd_save(struct cli *cli) { return run_image_op(cli, OP_SAVE); }

int cmd_inspect(struct cli *cli)
{
    ocireg_image_options *options = NULL;
    char *json = NULL;
    ocireg_status st;
    int rc = image_options(cli, NULL, NULL, &options);
    if (rc != 0)
        return rc;
    st = ocireg_client_image_inspect(cli->client, cli->args[0], options, cli->tags,
                                     cli->cancel, &json);
    ocireg_image_options_free(options);
    if (st != OCIREG_OK)
        return fail(st);
    return print_digest(json); /* a line, like a digest */
}
