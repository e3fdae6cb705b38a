/* Registries and repositories: ping, catalog and tags (login is in auth.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_ping(struct cli *cli)
{
    ocireg_status st = ocireg_client_ping(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "registry", cli->args[0]);
        json_key(&j, "ok");
        json_bool(&j, 1);
        json_object_end(&j);
        json_end(&j);
    } else {
        puts("OK");
    }
    return finish_stdout();
}

/* JSON: `{"repositories": [...]}`, the registry's own shape. */
int cmd_catalog(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    ocireg_status st = ocireg_client_catalog(cli->client, cli->args[0], cli->cancel, &list);
    return print_list(cli, st, list, "repositories");
}

/* JSON: `{"name": REPO, "tags": [...]}`, the registry's own shape (REPO
 * as given). A name with a transport (docker:// or docker-archive:, as
 * skopeo's list-tags) goes through the image-source call. */
int cmd_tags(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    size_t i, n;
    struct json j;
    ocireg_status st;
    if (is_transport_name(cli->args[0]))
        st = ocireg_client_source_tags(cli->client, cli->args[0], cli->cancel, &list);
    else
        st = ocireg_client_tags(cli->client, cli->args[0], cli->cancel, &list);
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
