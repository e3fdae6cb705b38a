/*
 * `KEY=VALUE` arguments (--annotation of artifact push and index create,
 * index annotate), split one way for every command.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int split_key_value(const char *arg, const char *want, char **key, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return usage_error(want, arg);
    *key = strndup(arg, (size_t)(eq - arg));
    if (*key == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", 0);
    *value = eq + 1;
    return 0;
}
