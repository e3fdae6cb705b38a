/* list_tags: prints the tags of a repository, one per line.
 *
 * Build: cc list_tags.c $(pkg-config --cflags --libs ocireg) -o list_tags
 * Run:   ./list_tags [--insecure] REPOSITORY
 *        ./list_tags --insecure localhost:5000/library/alpine
 *
 * --insecure allows plain HTTP (and unchecked TLS) for the registry of
 * REPOSITORY; OCIREG_INSECURE=host[:port] does the same for that host.
 * Credentials come from the docker/podman auth file, as for `docker`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ocireg.h>

/* Prints what failed with the library's detail; returns the exit status. */
static int fail(const char *what, ocireg_status status)
{
    const char *detail = ocireg_last_error_message();
    fprintf(stderr, "list_tags: %s: %s: %s\n", what, ocireg_status_str(status),
            detail ? detail : "");
    return 1;
}

/* Marks the registry of `ref` ("host[:port]/name...") insecure. */
static void allow_insecure(ocireg_options *options, const char *ref)
{
    char host[256];
    size_t n = strcspn(ref, "/");
    if (n >= sizeof host) n = sizeof host - 1;
    memcpy(host, ref, n);
    host[n] = '\0';
    ocireg_options_add_insecure_registry(options, host);
}

int main(int argc, char **argv)
{
    int insecure = argc > 1 && strcmp(argv[1], "--insecure") == 0;
    const char *repository = argv[1 + insecure];
    ocireg_options *options;
    ocireg_client *client = NULL;
    ocireg_string_list *tags = NULL;
    ocireg_status status;
    size_t i;

    if (argc != 2 + insecure) {
        fprintf(stderr, "usage: list_tags [--insecure] REPOSITORY\n");
        return 2;
    }
    options = ocireg_options_new();
    if (insecure) allow_insecure(options, repository);
    if (getenv("OCIREG_INSECURE"))
        ocireg_options_add_insecure_registry(options, getenv("OCIREG_INSECURE"));
    status = ocireg_client_new(options, &client);
    ocireg_options_free(options); /* the client keeps what it needs */
    if (status != OCIREG_OK) return fail("creating the client", status);

    status = ocireg_client_tags(client, repository, NULL, &tags);
    if (status != OCIREG_OK) {
        ocireg_client_free(client);
        return fail(repository, status);
    }
    for (i = 0; i < ocireg_string_list_len(tags); i++)
        printf("%s\n", ocireg_string_list_get(tags, i));

    ocireg_string_list_free(tags);
    ocireg_client_free(client);
    return 0;
}
