/* References: ref-parse, which needs no registry. */
#include "cli.h"

#include <stdio.h>

/* Prints `"name": value` as the member of an object, after a comma unless
 * it is the first. */
static void put_member(const char *name, const char *value, int first)
{
    fputs(first ? "{\n  " : ",\n  ", stdout);
    put_json_string(name);
    fputs(": ", stdout);
    put_json_string(value);
}

int cmd_ref_parse(struct cli *cli)
{
    ocireg_reference *ref = NULL;
    ocireg_status st = ocireg_reference_parse(cli->args[0], &ref);
    if (st != OCIREG_OK)
        return fail(st);
    put_member("registry", ocireg_reference_registry(ref), 1);
    put_member("api_host", ocireg_reference_api_host(ref), 0);
    put_member("repository", ocireg_reference_repository(ref), 0);
    put_member("tag", ocireg_reference_tag(ref), 0);
    put_member("digest", ocireg_reference_digest(ref), 0);
    put_member("canonical", ocireg_reference_canonical(ref), 0);
    put_member("familiar", ocireg_reference_familiar(ref), 0);
    fputs("\n}\n", stdout);
    ocireg_reference_free(ref);
    return finish_stdout();
}
