/* Registries and repositories: ping, catalog and tags (login is in auth.c). */
#include "cli.h"

#include <stdio.h>

int cmd_ping(struct cli *cli)
{
    ocireg_status st = ocireg_client_ping(cli->client, cli->args[0], cli->cancel);
    if (st != OCIREG_OK)
        return fail(st);
    puts("OK");
    return finish_stdout();
}

int cmd_catalog(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    ocireg_status st = ocireg_client_catalog(cli->client, cli->args[0], cli->cancel, &list);
    return print_list(st, list);
}

int cmd_tags(struct cli *cli)
{
    ocireg_string_list *list = NULL;
    ocireg_status st = ocireg_client_tags(cli->client, cli->args[0], cli->cancel, &list);
    return print_list(st, list);
}
