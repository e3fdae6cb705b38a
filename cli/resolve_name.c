/* Short names. Before a command runs, its image names go through
 * ocireg_client_resolve_name: with a registries.conf (the system's by
 * default) `busybox` is resolved as podman resolves it (aliases, then the
 * unqualified-search registries); with --no-registries-conf it is
 * docker.io/library/busybox, as docker and skopeo's docker:// name it.
 * Commands that read an image try the candidates in order; the others
 * (writes, listings, blobs) need one candidate. Only names given without a
 * transport are resolved (docker://NAME stays docker's, as in skopeo).
 * `resolve NAME` shows the choice. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* The resolved names, owned by the library; freed by resolve_names_free. */
static char *resolved[2];

/* Commands whose REF is an image they read: candidates are tried. */
static int reads_image(command_fn run)
{
    return run == cmd_digest || run == cmd_manifest || run == cmd_config ||
           run == cmd_inspect || run == cmd_pull || run == cmd_save || run == cmd_platforms ||
           run == cmd_artifact_pull || run == cmd_referrers || run == cmd_signatures ||
           run == cmd_ratelimit || run == cmd_layers;
}

/* Resolves argument `index`; it is replaced only when resolution changed
 * the name (so a command that echoes its argument, such as tags, shows
 * what was typed for a name that needed none). */
static int resolve_arg(struct cli *cli, int index, int pull)
{
    char *reference = NULL;
    ocireg_reference *parsed = NULL;
    int same = 0;
    ocireg_status st = ocireg_client_resolve_name(cli->client, cli->args[index], pull,
                                                  cli->cancel, &reference, NULL);
    if (st != OCIREG_OK)
        return fail(st);
    if (ocireg_reference_parse(cli->args[index], &parsed) == OCIREG_OK) {
        same = strcmp(ocireg_reference_canonical(parsed), reference) == 0;
        ocireg_reference_free(parsed);
    }
    if (same) {
        ocireg_string_free(reference);
        return 0;
    }
    resolved[index] = reference;
    cli->args[index] = reference;
    return 0;
}

int resolve_names(struct cli *cli)
{
    command_fn run = cli->command->run;
    int rc = 0;
    if (run == cmd_copy) {
        if (!is_transport_name(cli->args[0]))
            rc = resolve_arg(cli, 0, 1);
        if (rc == 0 && !is_transport_name(cli->args[1]))
            rc = resolve_arg(cli, 1, 0);
    } else if (run == cmd_push) {
        rc = resolve_arg(cli, 1, 0);
    } else if (cli->command->target == TARGET_REF && run != cmd_resolve &&
               !is_transport_name(cli->args[0])) {
        rc = resolve_arg(cli, 0, reads_image(run));
    }
    return rc;
}

void resolve_names_free(void)
{
    size_t i;
    for (i = 0; i < sizeof resolved / sizeof resolved[0]; i++) {
        ocireg_string_free(resolved[i]);
        resolved[i] = NULL;
    }
}

int cmd_resolve(struct cli *cli)
{
    char *reference = NULL, *details = NULL;
    ocireg_status st = ocireg_client_resolve_name(cli->client, cli->args[0], 1, cli->cancel,
                                                  &reference, &details);
    if (st != OCIREG_OK)
        return fail(st);
    puts(cli->json ? details : reference);
    ocireg_string_free(reference);
    ocireg_string_free(details);
    return finish_stdout();
}
