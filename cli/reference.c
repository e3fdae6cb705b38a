/* References: ref-parse, which needs no registry. */
#include "cli.h"

#include <stdio.h>

/* Always JSON (its text form too): the parts in a fixed order. */
int cmd_ref_parse(struct cli *cli)
{
    ocireg_reference *ref = NULL;
    struct json j;
    ocireg_status st = ocireg_reference_parse(cli->args[0], &ref);
    if (st != OCIREG_OK)
        return fail(st);
    json_start(&j);
    json_object(&j);
    json_member_string(&j, "registry", ocireg_reference_registry(ref));
    json_member_string(&j, "api_host", ocireg_reference_api_host(ref));
    json_member_string(&j, "repository", ocireg_reference_repository(ref));
    json_member_string(&j, "tag", ocireg_reference_tag(ref));
    json_member_string(&j, "digest", ocireg_reference_digest(ref));
    json_member_string(&j, "canonical", ocireg_reference_canonical(ref));
    json_member_string(&j, "familiar", ocireg_reference_familiar(ref));
    json_object_end(&j);
    json_end(&j);
    ocireg_reference_free(ref);
    return finish_stdout();
}
