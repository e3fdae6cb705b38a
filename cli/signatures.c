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

/* `len` bytes as standard base64, NUL-terminated, in a buffer of the
 * caller's to free; NULL when out of memory. */
static char *base64(const uint8_t *data, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8) |
                          data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)data[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        unsigned long v = ((unsigned long)data[i] << 16) | ((unsigned long)data[i + 1] << 8);
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

/* {"signatures": [...]}: per signature kind, mime_type (null for simple
 * signing), size, annotations (an object) and data (base64). */
static int print_json(const ocireg_signature_list *l)
{
    size_t i, k, n = ocireg_signature_list_len(l);
    struct json j;
    json_start(&j);
    json_object(&j);
    json_key(&j, "signatures");
    json_array(&j);
    for (i = 0; i < n; i++) {
        size_t len = 0, count = ocireg_signature_list_annotations_len(l, i);
        const uint8_t *data = ocireg_signature_list_bytes(l, i, &len);
        char *encoded = base64(data, len);
        if (encoded == NULL)
            return fail_local(OCIREG_ERR_INTERNAL, "out of memory encoding a signature", 0);
        json_object(&j);
        json_member_string(&j, "kind", ocireg_signature_kind_str(ocireg_signature_list_kind(l, i)));
        json_member_string(&j, "mime_type", ocireg_signature_list_mime_type(l, i));
        json_member_uint(&j, "size", len);
        json_key(&j, "annotations");
        json_object(&j);
        for (k = 0; k < count; k++)
            json_member_string(&j, ocireg_signature_list_annotation_key(l, i, k),
                               ocireg_signature_list_annotation_value(l, i, k));
        json_object_end(&j);
        json_member_string(&j, "data", encoded);
        free(encoded);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_end(&j);
    return 0;
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
    if (cli->json) {
        int rc = print_json(list);
        if (rc != 0) {
            ocireg_signature_list_free(list);
            return rc;
        }
    } else {
        print_lines(list);
    }
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
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_uint(&j, "added", added);
        json_object_end(&j);
        json_end(&j);
    } else {
        printf("%lu\n", (unsigned long)added);
    }
    return finish_stdout();
}
