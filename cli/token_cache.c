/* The token cache file: where bearer tokens are kept between runs
 * (--token-cache PATH, --no-token-cache, else the XDG default). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $XDG_CACHE_HOME/ocireg/tokens.json when that variable is an absolute
 * path (the XDG spec ignores relative ones), else
 * $HOME/.cache/ocireg/tokens.json; NULL when neither is set or memory is
 * short. The caller frees it. */
static char *default_path(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    const char *base, *tail;
    char *path;
    size_t len;
    if (xdg != NULL && xdg[0] == '/') {
        base = xdg;
        tail = "/ocireg/tokens.json";
    } else if (home != NULL && home[0] != '\0') {
        base = home;
        tail = "/.cache/ocireg/tokens.json";
    } else {
        return NULL;
    }
    len = strlen(base) + strlen(tail) + 1;
    path = malloc(len);
    if (path != NULL)
        snprintf(path, len, "%s%s", base, tail);
    return path;
}

ocireg_status set_token_cache(const struct cli *cli, ocireg_options *options)
{
    ocireg_status st;
    char *path;
    if (cli->no_token_cache)
        return OCIREG_OK;
    if (cli->token_cache != NULL)
        return ocireg_options_set_token_cache(options, cli->token_cache);
    path = default_path();
    if (path == NULL)
        return OCIREG_OK;
    st = ocireg_options_set_token_cache(options, path);
    free(path);
    return st;
}
