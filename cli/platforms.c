/* platforms REF: the platforms an image offers, one line each or JSON. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Writes the string list `count` items long that `item` gives, as JSON. */
static void put_features(const ocireg_platform_list *l, size_t i, size_t count,
                         const char *(*item)(const ocireg_platform_list *, size_t, size_t))
{
    size_t j;
    putchar('[');
    for (j = 0; j < count; j++) {
        if (j > 0)
            fputs(", ", stdout);
        put_json_string(item(l, i, j));
    }
    putchar(']');
}

/* One JSON object per platform, in an array; the member names are the
 * image spec's (os, architecture, variant, os.version, os.features,
 * features) plus digest, size and mediaType of the platform's manifest. */
static void print_json(const ocireg_platform_list *l)
{
    size_t i, n = ocireg_platform_list_len(l);
    fputs(n == 0 ? "[" : "[\n", stdout);
    for (i = 0; i < n; i++) {
        fputs("  {\"os\": ", stdout);
        put_json_string(ocireg_platform_list_os(l, i));
        fputs(", \"architecture\": ", stdout);
        put_json_string(ocireg_platform_list_architecture(l, i));
        fputs(", \"variant\": ", stdout);
        put_json_string(ocireg_platform_list_variant(l, i));
        fputs(", \"os.version\": ", stdout);
        put_json_string(ocireg_platform_list_os_version(l, i));
        fputs(", \"os.features\": ", stdout);
        put_features(l, i, ocireg_platform_list_os_feature_count(l, i),
                     ocireg_platform_list_os_feature);
        fputs(", \"features\": ", stdout);
        put_features(l, i, ocireg_platform_list_feature_count(l, i),
                     ocireg_platform_list_feature);
        fputs(", \"digest\": ", stdout);
        put_json_string(ocireg_platform_list_digest(l, i));
        printf(", \"size\": %llu, \"mediaType\": ",
               (unsigned long long)ocireg_platform_list_size(l, i));
        put_json_string(ocireg_platform_list_media_type(l, i));
        fputs(i + 1 < n ? "},\n" : "}\n", stdout);
    }
    fputs("]\n", stdout);
}

/* `OS/ARCH[/VARIANT][:OS_VERSION] DIGEST SIZE MEDIA_TYPE` per platform
 * (`unknown` for an os or architecture the index does not record). */
static void print_lines(const ocireg_platform_list *l)
{
    size_t i, n = ocireg_platform_list_len(l);
    for (i = 0; i < n; i++) {
        const char *os = ocireg_platform_list_os(l, i);
        const char *arch = ocireg_platform_list_architecture(l, i);
        const char *variant = ocireg_platform_list_variant(l, i);
        const char *version = ocireg_platform_list_os_version(l, i);
        printf("%s/%s", *os ? os : "unknown", *arch ? arch : "unknown");
        if (variant != NULL)
            printf("/%s", variant);
        if (version != NULL)
            printf(":%s", version);
        printf(" %s %llu %s\n", ocireg_platform_list_digest(l, i),
               (unsigned long long)ocireg_platform_list_size(l, i),
               ocireg_platform_list_media_type(l, i));
    }
}

int cmd_platforms(struct cli *cli)
{
    ocireg_platform_list *list = NULL;
    ocireg_status st = ocireg_client_platforms_get(cli->client, cli->args[0], cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->format != NULL && strcmp(cli->format, "json") == 0)
        print_json(list);
    else
        print_lines(list);
    ocireg_platform_list_free(list);
    return finish_stdout();
}
