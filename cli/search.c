/* Search (v1 search, else the filtered catalog) and the rate-limit view. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Prints a text field, tabs and newlines turned into spaces so that each
 * result stays one line of tab-separated fields. */
static void print_field(const char *text)
{
    for (; *text != '\0'; text++)
        putchar(*text == '\t' || *text == '\n' || *text == '\r' ? ' ' : *text);
}

/* --limit N: 1 to 10000 (0 when not given: the library's default, 25). */
static int parse_limit(const char *text, size_t *out)
{
    char *end = NULL;
    unsigned long v;
    *out = 0;
    if (text == NULL)
        return 0;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < 1 || v > 10000)
        return usage_error("--limit wants a number from 1 to 10000, got", text);
    *out = (size_t)v;
    return 0;
}

int cmd_search(struct cli *cli)
{
    ocireg_search_results *results = NULL;
    size_t limit, i, n;
    ocireg_status st;
    int rc = parse_limit(cli->limit, &limit);
    if (rc != 0)
        return rc;
    st = ocireg_client_search(cli->client, cli->args[0], cli->args[1], limit, cli->cancel,
                              &results);
    if (st != OCIREG_OK)
        return fail(st);
    n = ocireg_search_results_len(results);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_key(&j, "results");
        json_array(&j);
        for (i = 0; i < n; i++) {
            json_object(&j);
            json_member_string(&j, "name", ocireg_search_results_name(results, i));
            json_member_string(&j, "description", ocireg_search_results_description(results, i));
            json_member_uint(&j, "star_count", ocireg_search_results_star_count(results, i));
            json_key(&j, "is_official");
            json_bool(&j, ocireg_search_results_is_official(results, i));
            json_key(&j, "is_automated");
            json_bool(&j, ocireg_search_results_is_automated(results, i));
            json_key(&j, "is_trusted");
            json_bool(&j, ocireg_search_results_is_trusted(results, i));
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
        n = 0;
    }
    for (i = 0; i < n; i++) {
        print_field(ocireg_search_results_name(results, i));
        putchar('\t');
        print_field(ocireg_search_results_description(results, i));
        printf("\t%" PRIu64 "\t%s\t%s\n", ocireg_search_results_star_count(results, i),
               ocireg_search_results_is_official(results, i) ? "[OK]" : "",
               ocireg_search_results_is_automated(results, i) ? "[OK]" : "");
    }
    ocireg_search_results_free(results);
    return finish_stdout();
}

/* Prints "NAME: COUNT (window S s)", or "NAME: unknown". */
static void print_quota(const char *name, int64_t count, int64_t window)
{
    if (count < 0)
        printf("%s: unknown\n", name);
    else if (window < 0)
        printf("%s: %" PRId64 "\n", name, count);
    else
        printf("%s: %" PRId64 " (window %" PRId64 " s)\n", name, count, window);
}

int cmd_ratelimit(struct cli *cli)
{
    ocireg_rate_limit *limit = NULL;
    const char *source;
    ocireg_status st = ocireg_client_rate_limit(cli->client, cli->args[0], cli->cancel, &limit);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_key(&j, "limit");
        json_count(&j, ocireg_rate_limit_limit(limit));
        json_key(&j, "limit_window_s");
        json_count(&j, ocireg_rate_limit_limit_window_s(limit));
        json_key(&j, "remaining");
        json_count(&j, ocireg_rate_limit_remaining(limit));
        json_key(&j, "remaining_window_s");
        json_count(&j, ocireg_rate_limit_remaining_window_s(limit));
        json_member_string(&j, "source", ocireg_rate_limit_source(limit));
        json_object_end(&j);
        json_end(&j);
        ocireg_rate_limit_free(limit);
        return finish_stdout();
    }
    print_quota("limit", ocireg_rate_limit_limit(limit), ocireg_rate_limit_limit_window_s(limit));
    print_quota("remaining", ocireg_rate_limit_remaining(limit),
                ocireg_rate_limit_remaining_window_s(limit));
    source = ocireg_rate_limit_source(limit);
    printf("source: %s\n", source != NULL ? source : "unknown");
    ocireg_rate_limit_free(limit);
    return finish_stdout();
}
