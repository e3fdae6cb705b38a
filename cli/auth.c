/*
 * Credentials: the password of -p (copied, then wiped from argv) or of
 * --password-stdin, and the registry that -u and the password apply to;
 * login (which stores them) and logout. Auth files (--auth-file, or the
 * default docker/podman ones) are the library's to read and write.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Zeroes n bytes at p: a memset before free() may be dropped as a dead
 * store; stores through a volatile pointer may not. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n-- > 0)
        *b++ = 0;
}

/* Reads the password from stdin: all of it, without trailing newlines. */
static int read_password(struct cli *cli)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int err = 0;
    if (slurp(STDIN_FILENO, 4096, &data, &len, &err) != 0)
        return fail_local(OCIREG_ERR_IO, "reading the password from stdin", err);
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    if (len == 0 || memchr(data, '\0', len) != NULL) {
        free(data);
        return usage_error("--password-stdin read no usable password", NULL);
    }
    cli->password_copy = strndup((const char *)data, len);
    wipe(data, len);
    free(data);
    if (cli->password_copy == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    cli->pass = cli->password_copy;
    return 0;
}

/*
 * Copies the password of -p and overwrites it in argv: other users can read
 * a process's arguments (ps, /proc/PID/cmdline) for as long as it runs.
 * This only narrows the window to the start-up; --password-stdin closes it.
 */
static int wipe_password_arg(struct cli *cli)
{
    /* cli->pass points into argv, which is the process's to write. */
    char *arg = (char *)cli->pass;
    cli->password_copy = strdup(arg);
    if (cli->password_copy == NULL)
        return fail_local(OCIREG_ERR_IO, "out of memory", ENOMEM);
    wipe(arg, strlen(arg));
    cli->pass = cli->password_copy;
    return 0;
}

/* Takes the password of --password-stdin or -p into cli->password_copy. */
int take_password(struct cli *cli)
{
    if (cli->password_stdin)
        return read_password(cli);
    if (cli->pass != NULL)
        return wipe_password_arg(cli);
    return 0;
}

void free_password(struct cli *cli)
{
    if (cli->password_copy != NULL) {
        wipe(cli->password_copy, strlen(cli->password_copy));
        free(cli->password_copy);
    }
}

/* Sets credentials for the registry of reference `ref`, as the library
 * parses it. */
static ocireg_status set_credentials_for_ref(const struct cli *cli, ocireg_options *options,
                                             const char *ref)
{
    ocireg_reference *parsed = NULL;
    ocireg_status st = ocireg_reference_parse(ref, &parsed);
    if (st != OCIREG_OK)
        return st;
    st = ocireg_options_set_credentials(options, ocireg_reference_registry(parsed), cli->user,
                                        cli->pass);
    ocireg_reference_free(parsed);
    return st;
}

/* Of a two-image command's arguments, the registry reference -u is for: the
 * destination's, else the source's (copy from a registry into a file), without
 * a docker:// prefix. */
static const char *registry_arg(const char *source, const char *target)
{
    const char *chosen = is_local_image(target) ? source : target;
    return strncmp(chosen, "docker://", 9) == 0 ? chosen + 9 : chosen;
}

/* Sets -u and its password, if given, for the registry of the command. */
ocireg_status set_credentials(const struct cli *cli, ocireg_options *options)
{
    if (cli->user == NULL || cli->command->target == TARGET_NONE)
        return OCIREG_OK;
    if (cli->command->target == TARGET_HOST)
        return ocireg_options_set_credentials(options, cli->args[0], cli->user, cli->pass);
    if (cli->command->target == TARGET_HOST2)
        return ocireg_options_set_credentials(options, cli->args[1], cli->user, cli->pass);
    if (cli->command->target == TARGET_REF2)
        return set_credentials_for_ref(cli, options, registry_arg(cli->args[0], cli->args[1]));
    /* inspect, manifest, tags and layers of a file or directory: no registry. */
    if (is_local_image(cli->args[0]))
        return OCIREG_OK;
    return set_credentials_for_ref(cli, options, registry_arg(cli->args[0], cli->args[0]));
}

/* Where login and logout keep the credential: --authfile F (or the global
 * --auth-file F), --docker, or containers' auth.json. */
static void destination(const struct cli *cli, uint32_t *kind, const char **file)
{
    const char *chosen = cli->login_file != NULL ? cli->login_file : cli->auth_file;
    *file = NULL;
    if (chosen != NULL) {
        *kind = OCIREG_LOGIN_AUTH_FILE;
        *file = chosen;
    } else if (cli->docker) {
        *kind = OCIREG_LOGIN_DOCKER;
    } else {
        *kind = OCIREG_LOGIN_CONTAINERS;
    }
}

/*
 * login HOST: with -u, checks the credential and stores it (as podman
 * login does); without, checks the credentials already configured.
 */
int cmd_login(struct cli *cli)
{
    ocireg_status st;
    if (cli->user == NULL) {
        st = ocireg_client_check_credentials(cli->client, cli->args[0], cli->cancel);
    } else {
        uint32_t kind;
        const char *file;
        destination(cli, &kind, &file);
        st = ocireg_client_login(cli->client, cli->args[0], cli->user, cli->pass, kind, file,
                                 cli->cancel, NULL);
    }
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "registry", cli->args[0]);
        json_key(&j, "logged_in");
        json_bool(&j, 1);
        json_key(&j, "stored");
        json_bool(&j, cli->user != NULL);
        json_object_end(&j);
        json_end(&j);
    } else {
        puts("Login Succeeded");
    }
    return finish_stdout();
}

/* logout HOST, or logout --all: erases the stored credential(s). */
int cmd_logout(struct cli *cli)
{
    uint32_t kind;
    const char *file;
    char *location = NULL;
    ocireg_status st;
    destination(cli, &kind, &file);
    st = ocireg_client_logout(cli->client, cli->all ? "" : cli->args[0], kind, file, cli->all,
                              cli->cancel, &location);
    if (st != OCIREG_OK)
        return fail(st);
    if (cli->json) {
        struct json j;
        json_start(&j);
        json_object(&j);
        json_member_string(&j, "registry", cli->all ? NULL : cli->args[0]);
        json_key(&j, "all");
        json_bool(&j, cli->all);
        json_member_string(&j, "removed_from", location);
        json_object_end(&j);
        json_end(&j);
    } else if (cli->all) {
        printf("Removed login credentials in %s\n", location);
    } else {
        printf("Removed login credentials for %s in %s\n", cli->args[0], location);
    }
    ocireg_string_free(location);
    return finish_stdout();
}
