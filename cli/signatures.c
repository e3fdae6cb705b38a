/* signatures REF and signatures put REF FILE...: an image's signatures where
 * registries.d says they live (lookaside storage, sigstore .sig
 * attachments). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A signature blob is at most 4 MiB (the library refuses more). */
#define SIGNATURE_MAX (4u * 1024u * 1024u)

/* Writes `len` bytes as standard base64 in a JSON string. */
static void put_base64(const uint8_t *data, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    putchar('"');
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8) |
                          data[i + 2];
        putchar(alphabet[(v >> 18) & 63]);
        putchar(alphabet[(v >> 12) & 63]);
        putchar(alphabet[(v >> 6) & 63]);
        putchar(alphabet[v & 63]);
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)data[i] << 16;
        putchar(alphabet[(v >> 18) & 63]);
        putchar(alphabet[(v >> 12) & 63]);
        fputs("==", stdout);
    } else if (len - i == 2) {
        unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8);
        putchar(alphabet[(v >> 18) & 63]);
        putchar(alphabet[(v >> 12) & 63]);
        putchar(alphabet[(v >> 6) & 63]);
        putchar('=');
    }
    putchar('"');
}

/* One JSON object per signature, in an array: kind, mimeType (null for
 * simple signing), size, annotations (an object) and data (base64). */
static void print_json(const ocireg_signature_list *l)
{
    size_t i, j, n = ocireg_signature_list_len(l);
    fputs(n == 0 ? "[" : "[\n", stdout);
    for (i = 0; i < n; i++) {
        size_t len = 0, count = ocireg_signature_list_annotations_len(l, i);
        const uint8_t *data = ocireg_signature_list_bytes(l, i, &len);
        fputs("  {\"kind\": ", stdout);
        put_json_string(ocireg_signature_kind_str(ocireg_signature_list_kind(l, i)));
        fputs(", \"mimeType\": ", stdout);
        put_json_string(ocireg_signature_list_mime_type(l, i));
        printf(", \"size\": %lu, \"annotations\": {", (unsigned long)len);
        for (j = 0; j < count; j++) {
            if (j > 0)
                fputs(", ", stdout);
            put_json_string(ocireg_signature_list_annotation_key(l, i, j));
            fputs(": ", stdout);
            put_json_string(ocireg_signature_list_annotation_value(l, i, j));
        }
        fputs("}, \"data\": ", stdout);
        put_base64(data, len);
        fputs(i + 1 < n ? "},\n" : "}\n", stdout);
    }
    fputs("]\n", stdout);
}

/* `N KIND SIZE [MIME_TYPE]` per signature, N from 1. */
static void print_lines(const ocireg_signature_list *l)
{
    size_t i, n = ocireg_signature_list_len(l);
    for (i = 0; i < n; i++) {
        size_t len = 0;
        const char *mime = ocireg_signature_list_mime_type(l, i);
        (void)ocireg_signature_list_bytes(l, i, &len);
        printf("%lu %s %lu", (unsigned long)(i + 1),
               ocireg_signature_kind_str(ocireg_signature_list_kind(l, i)), (unsigned long)len);
        if (mime != NULL)
            printf(" %s", mime);
        putchar('\n');
    }
}

int cmd_signatures(struct cli *cli)
{
    ocireg_signature_list *list = NULL;
    ocireg_status st = ocireg_client_signatures(cli->client, cli->args[0], cli->registries_d,
                                                cli->cancel, &list);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->format != NULL && strcmp(cli->format, "json") == 0)
        print_json(list);
    else
        print_lines(list);
    ocireg_signature_list_free(list);
    return finish_stdout();
}

int cmd_signatures_put(struct cli *cli)
{
    ocireg_signature_list *list = ocireg_signature_list_new();
    ocireg_status st;
    size_t f, added = 0;
    if (list == NULL)
        return fail_local(OCIREG_ERR_INTERNAL, "allocating a signature list", 0);
    for (f = 0; f < cli->file_count; f++) {
        uint8_t *data = NULL;
        size_t len = 0;
        int err = 0, fd = open_input(cli->files[f]);
        if (fd < 0) {
            err = errno;
            ocireg_signature_list_free(list);
            return fail_local(OCIREG_ERR_IO, cli->files[f], err);
        }
        if (slurp(fd, SIGNATURE_MAX, &data, &len, &err) != 0) {
            close_input(fd);
            ocireg_signature_list_free(list);
            if (err == EFBIG)
                return fail_local(OCIREG_ERR_SIZE_EXCEEDED, cli->files[f], 0);
            return fail_local(OCIREG_ERR_IO, cli->files[f], err);
        }
        close_input(fd);
        st = ocireg_signature_list_add_blob(list, data, len);
        free(data);
        if (st != OCIREG_OK) {
            ocireg_signature_list_free(list);
            return fail(st);
        }
    }
    st = ocireg_client_signatures_put(cli->client, cli->args[0], cli->registries_d, list,
                                      cli->cancel, &added);
    ocireg_signature_list_free(list);
    if (st != OCIREG_OK)
        return fail(st);
    printf("%lu\n", (unsigned long)added);
    return finish_stdout();
}
