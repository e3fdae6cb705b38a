/* stream_blob: downloads a blob into a file through the write callback,
 * verified against its digest, with a progress line on stderr. The file
 * appears only once the digest checked out (FILE.part until then).
 *
 * Build: cc stream_blob.c $(pkg-config --cflags --libs ocireg) -o stream_blob
 * Run:   ./stream_blob [--insecure] REPOSITORY DIGEST FILE
 *        ./stream_blob --insecure localhost:5000/app sha256:4f3c... layer.tar
 *
 * --insecure allows plain HTTP for the registry of REPOSITORY;
 * OCIREG_INSECURE=host[:port] does the same for that host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ocireg.h>

/* The write callback: append the bytes to the FILE; non-zero aborts. */
static int write_to_file(void *userdata, const uint8_t *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)userdata) != len;
}

/* The progress callback: one line on stderr, rewritten in place. */
static int show_progress(void *userdata, uint64_t done, uint64_t total)
{
    (void)userdata;
    fprintf(stderr, "\r%llu / %llu bytes", (unsigned long long)done,
            (unsigned long long)total);
    return 0;
}

int main(int argc, char **argv)
{
    int insecure = argc > 1 && strcmp(argv[1], "--insecure") == 0;
    const char *repository = argv[1 + insecure], *digest = argv[2 + insecure];
    const char *path = argv[3 + insecure];
    ocireg_options *options;
    ocireg_client *client = NULL;
    ocireg_status status;
    char part[4096];
    FILE *out;

    if (argc != 4 + insecure) {
        fprintf(stderr, "usage: stream_blob [--insecure] REPOSITORY DIGEST FILE\n");
        return 2;
    }
    options = ocireg_options_new();
    if (insecure) {
        char host[256];
        size_t n = strcspn(repository, "/");
        if (n >= sizeof host) n = sizeof host - 1;
        memcpy(host, repository, n);
        host[n] = '\0';
        ocireg_options_add_insecure_registry(options, host);
    }
    if (getenv("OCIREG_INSECURE"))
        ocireg_options_add_insecure_registry(options, getenv("OCIREG_INSECURE"));
    status = ocireg_client_new(options, &client);
    ocireg_options_free(options);
    if (status == OCIREG_OK) {
        snprintf(part, sizeof part, "%s.part", path);
        if (!(out = fopen(part, "wb"))) {
            perror(part);
            ocireg_client_free(client);
            return 1;
        }
        status = ocireg_client_blob_get(client, repository, digest, write_to_file,
                                        out, show_progress, NULL, NULL);
        fputc('\n', stderr);
        if (fclose(out) != 0 && status == OCIREG_OK) status = OCIREG_ERR_IO;
        if (status == OCIREG_OK && rename(part, path) != 0) status = OCIREG_ERR_IO;
        if (status != OCIREG_OK) remove(part);
        ocireg_client_free(client);
    }
    if (status != OCIREG_OK) {
        const char *detail = ocireg_last_error_message();
        fprintf(stderr, "stream_blob: %s: %s\n", ocireg_status_str(status),
                detail ? detail : "writing the file failed");
        return 1;
    }
    return 0;
}
