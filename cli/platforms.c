/* platforms REF: the platforms an image offers, one line each or JSON. */
#include "cli.h"

#include <stdio.h>

/* Writes the string list `count` items long that `item` gives, as JSON. */
static void put_features(struct json *j, const ocireg_platform_list *l, size_t i, size_t count,
                         const char *(*item)(const ocireg_platform_list *, size_t, size_t))
{
    size_t k;
    json_inline_array(j);
    for (k = 0; k < count; k++)
        json_string(j, item(l, i, k));
    json_array_end(j);
}

/* One JSON object per platform, in an array; the member names are the
 * image spec's (os, architecture, variant, os.version, os.features,
 * features) plus digest, size and mediaType of the platform's manifest. */
static void print_json(const ocireg_platform_list *l)
{
    size_t i, n = ocireg_platform_list_len(l);
    struct json j;
    json_start(&j);
    json_array(&j);
    for (i = 0; i < n; i++) {
        json_object(&j);
        json_member_string(&j, "os", ocireg_platform_list_os(l, i));
        json_member_string(&j, "architecture", ocireg_platform_list_architecture(l, i));
        json_member_string(&j, "variant", ocireg_platform_list_variant(l, i));
        json_member_string(&j, "os.version", ocireg_platform_list_os_version(l, i));
        json_key(&j, "os.features");
        put_features(&j, l, i, ocireg_platform_list_os_feature_count(l, i),
                     ocireg_platform_list_os_feature);
        json_key(&j, "features");
        put_features(&j, l, i, ocireg_platform_list_feature_count(l, i),
                     ocireg_platform_list_feature);
        json_member_string(&j, "digest", ocireg_platform_list_digest(l, i));
        json_member_uint(&j, "size", ocireg_platform_list_size(l, i));
        json_member_string(&j, "mediaType", ocireg_platform_list_media_type(l, i));
        json_object_end(&j);
    }
    json_array_end(&j);
    json_end(&j);
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
    if (cli->json)
        print_json(list);
    else
        print_lines(list);
    ocireg_platform_list_free(list);
    return finish_stdout();
}
