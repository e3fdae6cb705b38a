/* test_fork.c: fork() after the library started its runtime. The child
 * cannot use a client from before the fork (UNSUPPORTED, saying why) but
 * can make and use a new one; freeing the inherited client leaks it
 * untouched; the parent keeps working while and after children run. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The child's checks, as an exit status: 0 when all held. */
static int child_run(ocireg_client *inherited, const char *repo)
{
    ocireg_string_list *tags = NULL;
    ocireg_client *fresh = NULL;
    int ok;
    if (ocireg_client_tags(inherited, repo, NULL, &tags) != OCIREG_ERR_UNSUPPORTED) return 10;
    if (tags != NULL) return 11;
    if (!strstr(ocireg_last_error_message(), "fork")) return 12;
    ocireg_client_free(inherited); /* leaked, never touched */
    fresh = make_client(NULL);
    if (!fresh) return 13;
    if (ocireg_client_tags(fresh, repo, NULL, &tags) != OCIREG_OK) return 14;
    ok = list_has(tags, "v1");
    ocireg_string_list_free(tags);
    ocireg_client_free(fresh);
    return ok ? 0 : 15;
}

static void test_fork_child_and_parent(void)
{
    char repo[256];
    struct image img;
    pid_t children[3];
    int i, round, status;
    ocireg_string_list *tags = NULL;
    ocireg_client *c;
    if (getenv("OCIREG_C_VALGRIND")) {
        /* A forked child's leak report lists the parent's runtime threads'
         * memory (their stacks are not in the child), and valgrind makes
         * that the child's exit status; the native pass runs this test. */
        printf("# fork_child_and_parent runs in the native pass only\n");
        return;
    }
    c = make_client(NULL);
    repo_ref(repo, sizeof repo, &registries()[0], "fork/child");
    push_image(c, repo, "v1", 11, &img);
    fflush(stdout);
    fflush(stderr);
    for (i = 0; i < 3; i++) {
        children[i] = fork();
        CHECK(children[i] >= 0);
        if (children[i] == 0) _exit(child_run(c, repo));
    }
    /* The parent's runtime and connections are its own while children run. */
    for (round = 0; round < 5; round++) {
        CHECK_OK(ocireg_client_tags(c, repo, NULL, &tags));
        CHECK(list_has(tags, "v1"));
        ocireg_string_list_free(tags);
        tags = NULL;
    }
    for (i = 0; i < 3; i++) {
        CHECK(waitpid(children[i], &status, 0) == children[i]);
        CHECK(WIFEXITED(status));
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            fprintf(stderr, "fork child %d exited with %d\n", i, WEXITSTATUS(status));
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_OK(ocireg_client_tags(c, repo, NULL, &tags));
    CHECK(list_has(tags, "v1"));
    ocireg_string_list_free(tags);
    ocireg_client_free(c);
}

const struct test fork_tests[] = {
    {"fork_child_and_parent", test_fork_child_and_parent, NEEDS_PLAIN},
    {NULL, NULL, 0},
};
