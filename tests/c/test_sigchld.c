/* test_sigchld.c: credential helpers in a host that owns SIGCHLD. A host
 * that ignores SIGCHLD (the kernel reaps its children, so their exit status
 * is lost) or handles it itself gets its helpers' credentials all the same,
 * and keeps its disposition: the library installs no SIGCHLD handler. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* SIGCHLDs seen by the test's own handler. */
static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig)
{
    (void)sig;
    sigchld_seen++;
}

/* A temporary directory holding the helpers and the auth files. */
static char dir[256];

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
    CHECK(chmod(path, mode) == 0);
}

static void remove_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(unlink(path) == 0);
}

/* Helper `ocitest` answers the test credentials for `host` (read from the
 * environment it inherits) and, like docker's, "not found" with exit 1 for
 * any other server; `ocitest-none` knows no credential at all. */
static void write_helpers(const char *host)
{
    char script[1024];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "[ \"$1\" = get ] || exit 2\n"
             "read -r url\n"
             "if [ \"$url\" = '%s' ]; then\n"
             "  printf '{\"ServerURL\":\"%%s\",\"Username\":\"%%s\",\"Secret\":\"%%s\"}\\n' "
             "\"$url\" \"$OCIREG_TEST_USER\" \"$OCIREG_TEST_PASS\"\n"
             "else\n"
             "  echo 'credentials not found in native keychain'; exit 1\n"
             "fi\n",
             host);
    write_file("docker-credential-ocitest", script, 0755);
    write_file("docker-credential-ocitest-none",
               "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n", 0755);
}

/* A client trusting the test CA whose auth file is `auth_json`. */
static ocireg_client *client_with_auth(const char *auth_json)
{
    char path[512];
    ocireg_options *o = ocireg_options_new();
    ocireg_client *c = NULL;
    write_file("config.json", auth_json, 0600);
    snprintf(path, sizeof path, "%s/config.json", dir);
    CHECK(o != NULL);
    CHECK_OK(ocireg_options_add_ca_file(o, env_req("OCIREG_TEST_CA")));
    CHECK_OK(ocireg_options_set_auth_file(o, path));
    CHECK_OK(ocireg_client_new(o, &c));
    ocireg_options_free(o);
    return c;
}

/* With SIGCHLD set to `disposition` (a struct sigaction), helpers named by
 * credsStore and credHelpers give their credential, a helper's "not found"
 * leaves the registry refusing, and the disposition is still the host's. */
static void check_helpers_with(const struct sigaction *disposition)
{
    const char *host = registries()[1].host;
    const char *old_path = getenv("PATH");
    char *saved_path = strdup(old_path ? old_path : "");
    char path[4096], json[512];
    struct sigaction before, after;
    ocireg_client *c;
    int i;

    snprintf(dir, sizeof dir, "%s/ocireg-sigchld.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    write_helpers(host);
    snprintf(path, sizeof path, "%s:%s", dir, saved_path);
    CHECK(setenv("PATH", path, 1) == 0);
    CHECK(sigaction(SIGCHLD, disposition, &before) == 0);

    c = client_with_auth("{\"credsStore\":\"ocitest\"}");
    for (i = 0; i < 3; i++) CHECK_OK(ocireg_client_check_credentials(c, host, NULL));
    ocireg_client_free(c);

    snprintf(json, sizeof json, "{\"credHelpers\":{\"%s\":\"ocitest\"}}", host);
    c = client_with_auth(json);
    CHECK_OK(ocireg_client_check_credentials(c, host, NULL));
    ocireg_client_free(c);

    /* The control: without the helper's credential the registry refuses. */
    snprintf(json, sizeof json, "{\"credHelpers\":{\"%s\":\"ocitest-none\"}}", host);
    c = client_with_auth(json);
    CHECK_STATUS(ocireg_client_check_credentials(c, host, NULL), OCIREG_ERR_UNAUTHORIZED);
    ocireg_client_free(c);

    CHECK(sigaction(SIGCHLD, NULL, &after) == 0);
    CHECK(after.sa_handler == disposition->sa_handler);
    CHECK(sigaction(SIGCHLD, &before, NULL) == 0);

    CHECK(setenv("PATH", saved_path, 1) == 0);
    free(saved_path);
    remove_file("config.json");
    remove_file("docker-credential-ocitest");
    remove_file("docker-credential-ocitest-none");
    CHECK(rmdir(dir) == 0);
}

static void test_helpers_when_sigchld_is_ignored(void)
{
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    check_helpers_with(&ignore);
}

static void test_helpers_when_the_host_handles_sigchld(void)
{
    struct sigaction handle;
    memset(&handle, 0, sizeof handle);
    handle.sa_handler = on_sigchld;
    handle.sa_flags = SA_RESTART;
    sigemptyset(&handle.sa_mask);
    sigchld_seen = 0;
    check_helpers_with(&handle);
    /* The host's handler saw its helpers end: it was never replaced. */
    CHECK(sigchld_seen > 0);
}

const struct test sigchld_tests[] = {
    {"helpers_when_sigchld_is_ignored", test_helpers_when_sigchld_is_ignored, NEEDS_TLS},
    {"helpers_when_the_host_handles_sigchld", test_helpers_when_the_host_handles_sigchld, NEEDS_TLS},
    {NULL, NULL, 0},
};
