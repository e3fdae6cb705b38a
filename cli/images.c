/*
 * Whole images: pull, push, copy and save (one call each, printing the
 * digest of what they moved) and inspect, with an ocireg_image_options
 * built from the command line.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Image options from the command line: --platform, --all, --mount-from,
 * --referrers, --referrers-type, --resume-dir, --signatures (with
 * --registries.d), the layout name (NULL for the
 * default) and --progress into `progress`.
 */
int image_options(struct cli *cli, const char *layout_name, struct image_progress *progress,
                  ocireg_image_options **out)
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
    if (st == OCIREG_OK && cli->referrers)
        st = ocireg_image_options_set_referrers(o, OCIREG_REFERRERS_ALL);
    for (i = 0; i < cli->referrer_type_count && st == OCIREG_OK; i++)
        st = ocireg_image_options_add_referrer_artifact_type(o, cli->referrer_types[i]);
    if (st == OCIREG_OK && cli->resume_dir != NULL)
        st = ocireg_image_options_set_resume_dir(o, cli->resume_dir);
    if (st == OCIREG_OK && cli->signatures)
        st = ocireg_image_options_set_signatures(o, 1, cli->registries_d);
    if (st == OCIREG_OK && progress != NULL)
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
    *dir_out = strndup(arg, len);
    if (*dir_out == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    *name_out = colon != NULL ? colon + 1 : NULL;
    return 0;
}

/* pull, push, copy and save take the same arguments. */
typedef ocireg_status (*image_call)(const ocireg_client *client, const char *from,
                                    const char *to, const ocireg_image_options *options,
                                    const ocireg_cancel *cancel, char **digest_out);

/* The result of pull, push, copy or save as JSON: the digest and what the
 * last progress report counted. */
static void print_image_json(const char *digest, const struct image_progress *p)
{
    struct json j;
    json_start(&j);
    json_object(&j);
    json_member_string(&j, "digest", digest);
    json_member_uint(&j, "bytes", p->total);
    json_member_uint(&j, "blobs", p->blobs);
    json_member_uint(&j, "blobs_skipped", p->skipped);
    json_member_uint(&j, "blobs_mounted", p->mounted);
    json_member_uint(&j, "blobs_sent", p->sent);
    json_object_end(&j);
    json_end(&j);
}

/*
 * pull, push, copy and save: one call, with progress; prints the digest.
 * `layout` is the index of the DIR[:NAME] argument, -1 for none.
 */
static int run_image_op(struct cli *cli, image_call call, int layout, const char *verb)
{
    struct image_progress progress;
    ocireg_image_options *options = NULL;
    const char *args[2];
    char *dir = NULL, *digest = NULL;
    const char *name = NULL;
    ocireg_status st;
    int rc;
    args[0] = cli->args[0];
    args[1] = cli->args[1];
    if (layout >= 0) {
        if ((rc = split_layout(cli->args[layout], &dir, &name)) != 0)
            return rc;
        args[layout] = dir;
    }
    image_progress_start(&progress, cli->progress, cli->quiet, verb);
    if ((rc = image_options(cli, name, &progress, &options)) != 0) {
        free(dir);
        return rc;
    }
    st = call(cli->client, args[0], args[1], options, cli->cancel, &digest);
    image_progress_end(&progress, st == OCIREG_OK);
    if (st == OCIREG_OK && !cli->quiet && !cli->all && cli->platform != NULL &&
        strchr(cli->platform, ',') != NULL)
        fprintf(stderr, "note: --platform %s: the destination holds an index of these "
                        "platforms alone (its digest differs from the source's unless "
                        "they are all of them)\n", cli->platform);
    ocireg_image_options_free(options);
    free(dir);
    if (st == OCIREG_OK && cli->json) {
        print_image_json(digest, &progress);
        ocireg_string_free(digest);
        return finish_stdout();
    }
    return print_digest(cli, st, digest);
}

int cmd_pull(struct cli *cli) { return run_image_op(cli, ocireg_client_image_pull, 1, "pull"); }
int cmd_push(struct cli *cli) { return run_image_op(cli, ocireg_client_image_push, 0, "push"); }
int cmd_copy(struct cli *cli) { return run_image_op(cli, ocireg_client_image_copy, -1, "copy"); }
int cmd_save(struct cli *cli) { return run_image_op(cli, ocireg_client_image_save, -1, "save"); }

int cmd_inspect(struct cli *cli)
{
    ocireg_image_options *options = NULL;
    char *json = NULL;
    ocireg_status st;
    int rc = image_options(cli, NULL, NULL, &options);
    if (rc != 0)
        return rc;
    st = ocireg_client_source_inspect(cli->client, cli->args[0], options, cli->tags,
                                      cli->cancel, &json);
    ocireg_image_options_free(options);
    /* Its text is JSON already (skopeo inspect's fields), one line. */
    if (st != OCIREG_OK)
        return fail(st);
    puts(json);
    ocireg_string_free(json);
    return finish_stdout();
}
