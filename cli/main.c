/*
 * ocireg: a crane-like command-line tool over the ocireg C API.
 *
 *   ocireg [OPTIONS] COMMAND ARGS...
 *
 * Every command makes one client from the options, runs one or two API
 * calls with one cancel signal, prints the result on stdout and exits 0.
 * A failure prints `ocireg: STATUS_NAME: message` on stderr and exits with
 * the status value (capped to 1..125); a usage error exits 2.
 *
 * This file parses the command line, makes the client and runs the
 * command; the commands are in registry.c, manifests.c, blobs.c,
 * images.c, image_source.c (transport names, layers), artifact.c, reference.c,
 * platforms.c, signatures.c, index.c and resolve_name.c, the
 * credentials in auth.c,
 * --progress in progress.c, --verbose in verbose.c, --help in help.c,
 * --format json's writer in json.c, and the shared helpers and the client
 * flags (--timeout, --retries, ...) in common.c. It uses the public C API
 * (ocireg.h) only.
 *
 * Ctrl-C and SIGTERM: SIGINT and SIGTERM are blocked in every thread (the
 * library's runtime threads included, as they are created after the mask
 * is set) and a dedicated thread waits for them with sigwait(), then calls
 * ocireg_cancel_cancel(); the running call returns OCIREG_ERR_CANCELLED
 * and removes its temporary files. A second signal exits at once with
 * 128 + its number (for a process stuck outside the library, e.g. reading
 * a terminal).
 *
 * Build: `make cli` (mk/cli.mk) compiles the .c files of cli/ with
 *        -std=c99 -Iinclude and links them with -Lbuild/lib -locireg
 *        -lpthread -Wl,-rpath,'$ORIGIN/../lib'.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_version(struct cli *cli)
{
    if (cli->json)
        json_print_one("version", ocireg_version());
    else
        puts(ocireg_version());
    return finish_stdout();
}

static const struct command commands[] = {
    {"version", 0, TARGET_NONE, cmd_version, "version"},
    {"ping", 1, TARGET_HOST, cmd_ping, "ping HOST"},
    {"login", 1, TARGET_HOST, cmd_login, "login HOST [--authfile F | --docker]"},
    {"logout", 1, TARGET_HOST, cmd_logout, "logout HOST|--all [--authfile F | --docker]"},
    {"search", 2, TARGET_HOST, cmd_search, "search HOST TERM [--limit N]"},
    {"ratelimit", 1, TARGET_REF, cmd_ratelimit, "ratelimit REF"},
    {"catalog", 1, TARGET_HOST, cmd_catalog, "catalog HOST"},
    {"tags", 1, TARGET_REF, cmd_tags, "tags REPO"},
    {"digest", 1, TARGET_REF, cmd_digest, "digest REF"},
    {"manifest", 1, TARGET_REF, cmd_manifest, "manifest REF"},
    {"config", 1, TARGET_REF, cmd_config, "config REF"},
    {"blob", 1, TARGET_REF, cmd_blob, "blob REPO@DIGEST"},
    {"push-blob", 2, TARGET_REF, cmd_push_blob, "push-blob REPO FILE"},
    {"put-manifest", 2, TARGET_REF, cmd_put_manifest,
     "put-manifest REF FILE [--media-type T]"},
    {"tag", 2, TARGET_REF, cmd_tag, "tag REF NEWTAG"},
    {"delete", 1, TARGET_REF, cmd_delete, "delete REF"},
    {"untag", 1, TARGET_REF, cmd_untag, "untag REF:TAG [--via-throwaway-manifest]"},
    {"artifact push", -2, TARGET_REF, cmd_artifact_push,
     "artifact push REF FILE... [--artifact-type T] [--media-type T] [--annotation K=V]... "
     "[--subject REF]"},
    {"artifact pull", 2, TARGET_REF, cmd_artifact_pull, "artifact pull REF DIR [--overwrite]"},
    {"referrers", 1, TARGET_REF, cmd_referrers, "referrers REF [--artifact-type T]"},
    {"pull", 2, TARGET_REF, cmd_pull,
     "pull REF DIR[:NAME] [--all] [--referrers] [--referrers-type T]..."},
    {"push", 2, TARGET_REF2, cmd_push,
     "push DIR[:NAME] REF [--all] [--mount-from REPO]... [--resume-dir STATE] [--referrers] "
     "[--referrers-type T]..."},
    {"copy", 2, TARGET_REF2, cmd_copy,
     "copy SRC DST [--all] [--referrers] [--referrers-type T]... [--signatures "
     "[--registries.d DIR]]"},
    {"inspect", 1, TARGET_REF, cmd_inspect, "inspect REF [--tags]"},
    {"save", 2, TARGET_REF, cmd_save, "save REF FILE"},
    {"ref-parse", 1, TARGET_NONE, cmd_ref_parse, "ref-parse REF"},
    {"platforms", 1, TARGET_REF, cmd_platforms, "platforms REF [--format text|json]"},
    {"signatures", 1, TARGET_REF, cmd_signatures,
     "signatures REF [--registries.d DIR] [--format text|json]"},
    {"signatures put", -2, TARGET_REF, cmd_signatures_put,
     "signatures put REF FILE... [--registries.d DIR]"},
    {"request", 3, TARGET_HOST2, cmd_request,
     "request METHOD HOST PATH [-H 'Name: value']... [--scope S]... [--data-file F] [-i]"},
    {"blob-stat", 1, TARGET_REF, cmd_blob_stat, "blob-stat REPO@DIGEST"},
    {"resolve", 1, TARGET_REF, cmd_resolve, "resolve NAME"},
    {"layers", 2, TARGET_REF, cmd_layers, "layers IMAGE DIR [--overwrite]"},
    {"index create", -1, TARGET_REF, cmd_index_create,
     "index create TARGET SRC... [--artifact-type T] [--annotation K=V]..."},
    {"index add", -2, TARGET_REF, cmd_index_add, "index add TARGET SRC..."},
    {"index remove", -1, TARGET_REF, cmd_index_remove,
     "index remove TARGET [DIGEST...] [--platform P[,P...]]"},
    {"index annotate", -2, TARGET_REF, cmd_index_annotate,
     "index annotate TARGET KEY=VALUE|KEY-..."},
};

/* The dispatch table, for help.c. */
const struct command *cli_commands(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

/* ---- Ctrl-C and SIGTERM ---------------------------------------------- */

struct signals {
    sigset_t set; /* SIGINT, SIGTERM, and SIGUSR1 for "the command is over" */
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping;
    const ocireg_cancel *cancel;
};

static void *signal_thread(void *arg)
{
    struct signals *s = arg;
    int interrupts = 0;
    for (;;) {
        int sig = 0, stopping;
        if (sigwait(&s->set, &sig) != 0)
            continue;
        pthread_mutex_lock(&s->lock);
        stopping = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (sig == SIGUSR1 && stopping)
            return NULL;
        if (sig == SIGINT || sig == SIGTERM) {
            if (interrupts++ > 0)
                _exit(128 + sig); /* a second signal: stop now */
            ocireg_cancel_cancel(s->cancel);
        }
    }
}

/* Blocks SIGINT, SIGTERM and SIGUSR1 in this thread (and every thread made
 * later). */
static int block_signals(struct signals *s)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    /* A shell starts background jobs with SIGINT ignored; kill -INT should
     * still cancel, so the disposition is reset (it is blocked anyway). */
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigemptyset(&s->set);
    sigaddset(&s->set, SIGINT);
    sigaddset(&s->set, SIGTERM);
    sigaddset(&s->set, SIGUSR1);
    return pthread_sigmask(SIG_BLOCK, &s->set, NULL);
}

static int start_signal_thread(struct signals *s, const ocireg_cancel *cancel)
{
    s->cancel = cancel;
    s->stopping = 0;
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        return -1;
    if (pthread_create(&s->thread, NULL, signal_thread, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        return -1;
    }
    return 0;
}

static void stop_signal_thread(struct signals *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    pthread_kill(s->thread, SIGUSR1);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
}

/* ---- options --------------------------------------------------------- */

/*
 * `--name VALUE` or `--name=VALUE` (`-n VALUE` or `-nVALUE` for a short
 * option) at argv[*i]: stores VALUE and returns 1; 0 when argv[*i] is
 * another option; -1 when VALUE is missing.
 */
int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (name[1] != '-' && arg[n] != '\0') {
        *value = arg + n;
        return 1;
    }
    if (name[1] == '-' && arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int parse_jobs(const char *text, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 256 || text[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/*
 * The option at argv[*i] (and its value, if separate): 0 when parsed,
 * EXIT_USAGE when wrong. (--help never gets here: help.c.)
 */
static int parse_option(struct cli *cli, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v = NULL;
    int r;
    if ((r = parse_global_option(cli, argc, argv, i)) != 0) {
        return r == 1 ? 0 : r;
    } else if (strcmp(arg, "--progress") == 0) {
        cli->progress = 1;
    } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
        cli->quiet = 1;
    } else if (strcmp(arg, "--password-stdin") == 0) {
        cli->password_stdin = 1;
    } else if (strcmp(arg, "--all") == 0) {
        cli->all = 1;
    } else if (strcmp(arg, "--tags") == 0) {
        cli->tags = 1;
    } else if (strcmp(arg, "--verbose") == 0) {
        cli->verbose = 1;
    } else if (strcmp(arg, "--no-registries-conf") == 0) {
        cli->no_registries_conf = 1;
    } else if (strcmp(arg, "--no-token-cache") == 0) {
        cli->no_token_cache = 1;
    } else if (strcmp(arg, "--overwrite") == 0) {
        cli->overwrite = 1;
    } else if (strcmp(arg, "--via-throwaway-manifest") == 0) {
        cli->via_throwaway = 1;
    } else if ((r = option_value(argc, argv, i, "--annotation", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->annotation_count == MAX_ANNOTATIONS)
            return usage_error("too many --annotation options", NULL);
        cli->annotations[cli->annotation_count++] = v;
    } else if (strcmp(arg, "-i") == 0 || strcmp(arg, "--include") == 0) {
        cli->include = 1;
    } else if ((r = option_value(argc, argv, i, "-H", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->header_count == MAX_HEADERS)
            return usage_error("too many -H options", NULL);
        cli->headers[cli->header_count++] = v;
    } else if ((r = option_value(argc, argv, i, "--scope", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->scope_count == MAX_SCOPES)
            return usage_error("too many --scope options", NULL);
        cli->scopes[cli->scope_count++] = v;
    } else if (strcmp(arg, "--docker") == 0) {
        cli->docker = 1;
    } else if (strcmp(arg, "--oauth2") == 0) {
        cli->oauth2 = 1;
    } else if (strcmp(arg, "--offline-token") == 0) {
        cli->offline_token = 1;
    } else if ((r = option_value(argc, argv, i, "--mount-from", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->mount_from_count == MAX_MOUNT_FROM)
            return usage_error("too many --mount-from options", NULL);
        cli->mount_from[cli->mount_from_count++] = v;
    } else if (strcmp(arg, "--referrers") == 0) {
        cli->referrers = 1;
    } else if (strcmp(arg, "--signatures") == 0) {
        cli->signatures = 1;
    } else if ((r = option_value(argc, argv, i, "--referrers-type", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->referrer_type_count == MAX_REFERRER_TYPES)
            return usage_error("too many --referrers-type options", NULL);
        cli->referrer_types[cli->referrer_type_count++] = v;
    } else if ((r = option_value(argc, argv, i, "--insecure-registry", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (cli->insecure_count == MAX_INSECURE)
            return usage_error("too many --insecure-registry options", NULL);
        cli->insecure[cli->insecure_count++] = v;
    } else if ((r = option_value(argc, argv, i, "--ca-file", &cli->ca_file)) != 0 ||
               (r = option_value(argc, argv, i, "--auth-file", &cli->auth_file)) != 0 ||
               (r = option_value(argc, argv, i, "--registries-conf", &cli->registries_conf)) != 0 ||
               (r = option_value(argc, argv, i, "--token-cache", &cli->token_cache)) != 0 ||
               (r = option_value(argc, argv, i, "--authfile", &cli->login_file)) != 0 ||
               (r = option_value(argc, argv, i, "--limit", &cli->limit)) != 0 ||
               (r = option_value(argc, argv, i, "--cert-dir", &cli->cert_dir)) != 0 ||
               (r = option_value(argc, argv, i, "--oauth2-client-id", &cli->oauth2_client_id)) != 0 ||
               (r = option_value(argc, argv, i, "--platform", &cli->platform)) != 0 ||
               (r = option_value(argc, argv, i, "--artifact-type", &cli->artifact_type)) != 0 ||
               (r = option_value(argc, argv, i, "--media-type", &cli->media_type)) != 0 ||
               (r = option_value(argc, argv, i, "--format", &cli->format)) != 0 ||
               (r = option_value(argc, argv, i, "--registries.d", &cli->registries_d)) != 0 ||
               (r = option_value(argc, argv, i, "--subject", &cli->subject)) != 0 ||
               (r = option_value(argc, argv, i, "--data-file", &cli->data_file)) != 0 ||
               (r = option_value(argc, argv, i, "--ranged", &cli->ranged)) != 0 ||
               (r = option_value(argc, argv, i, "--resume-dir", &cli->resume_dir)) != 0 ||
               (r = option_value(argc, argv, i, "-u", &cli->user)) != 0 ||
               (r = option_value(argc, argv, i, "-p", &cli->pass)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
    } else if ((r = option_value(argc, argv, i, "-j", &v)) != 0) {
        if (r < 0)
            return usage_error("missing value for", arg);
        if (parse_jobs(v, &cli->jobs) != 0)
            return usage_error("-j wants a number from 1 to 256, got", v);
    } else {
        return usage_error("unknown option", arg);
    }
    return 0;
}

/* The command positional[0] and its arguments; 0 or EXIT_USAGE. */
static int find_command(struct cli *cli, const char *const *positional, int npos)
{
    char group[32];
    size_t c;
    int i;
    if (npos == 0)
        return usage_error("no command given", NULL);
    /* A command group (`artifact push`): its two words are the name. */
    if (strcmp(positional[0], "signatures") == 0 && npos >= 2 &&
        strcmp(positional[1], "put") == 0) {
        snprintf(group, sizeof group, "%s %s", positional[0], positional[1]);
        positional++;
        npos--;
    } else if (strcmp(positional[0], "artifact") == 0) {
        if (npos < 2)
            return usage_error("artifact wants", "push or pull");
        snprintf(group, sizeof group, "%s %s", positional[0], positional[1]);
        positional++;
        npos--;
    } else if (strcmp(positional[0], "index") == 0) {
        if (npos < 2)
            return usage_error("index wants", "create, add, remove or annotate");
        snprintf(group, sizeof group, "%s %s", positional[0], positional[1]);
        positional++;
        npos--;
    } else {
        snprintf(group, sizeof group, "%s", positional[0]);
    }
    for (c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(commands[c].name, group) == 0)
            cli->command = &commands[c];
    if (cli->command == NULL)
        return usage_error("unknown command", group);
    /* logout --all names no host. */
    if (cli->command->run == cmd_logout && cli->all && npos == 1)
        return 0;
    if (cli->command->nargs < 0 && npos - 1 >= -cli->command->nargs) {
        cli->args[0] = positional[1];
        cli->files = positional + 2;
        cli->file_count = (size_t)(npos - 2);
        return 0;
    }
    if (npos - 1 != cli->command->nargs) {
        fprintf(stderr, "ocireg: usage: ocireg [OPTIONS] %s\n", cli->command->synopsis);
        return EXIT_USAGE;
    }
    for (i = 1; i < npos; i++)
        cli->args[i - 1] = positional[i];
    return 0;
}

/* The options that only go with some commands, or not together. */
static int check_options(const struct cli *cli)
{
    command_fn run = cli->command->run;
    if (cli->artifact_type != NULL && run != cmd_referrers && run != cmd_artifact_push &&
        run != cmd_index_create)
        return usage_error("--artifact-type only goes with",
                           "referrers, artifact push and index create");
    if (cli->media_type != NULL && run != cmd_put_manifest && run != cmd_artifact_push)
        return usage_error("--media-type only goes with", "put-manifest and artifact push");
    if (cli->annotation_count > 0 && run != cmd_artifact_push && run != cmd_index_create)
        return usage_error("--annotation only goes with", "artifact push and index create");
    if (cli->subject != NULL && run != cmd_artifact_push)
        return usage_error("--subject only goes with", "artifact push");
    if (cli->platform != NULL &&
        (run == cmd_index_create || run == cmd_index_add || run == cmd_index_annotate))
        return usage_error("--platform does not go with", cli->command->name);
    if (cli->overwrite && run != cmd_artifact_pull && run != cmd_layers)
        return usage_error("--overwrite only goes with", "artifact pull and layers");
    if (cli->via_throwaway && run != cmd_untag)
        return usage_error("--via-throwaway-manifest only goes with", "untag");
    if (cli->all && run != cmd_pull && run != cmd_push && run != cmd_copy && run != cmd_logout)
        return usage_error("--all only goes with", "pull, push, copy and logout");
    if ((cli->login_file != NULL || cli->docker) && run != cmd_login && run != cmd_logout)
        return usage_error("--authfile and --docker only go with", "login and logout");
    if (cli->login_file != NULL && cli->docker)
        return usage_error("--authfile and --docker exclude each other", NULL);
    if (cli->no_registries_conf && cli->registries_conf != NULL)
        return usage_error("--registries-conf and --no-registries-conf exclude each other", NULL);
    if (cli->docker && cli->auth_file != NULL)
        return usage_error("--auth-file and --docker exclude each other", NULL);
    if (cli->token_cache != NULL && cli->no_token_cache)
        return usage_error("--token-cache and --no-token-cache exclude each other", NULL);
    if (cli->user != NULL && run == cmd_logout)
        return usage_error("-u does not go with", "logout");
    if (cli->limit != NULL && run != cmd_search)
        return usage_error("--limit only goes with", "search");
    if (cli->all && cli->platform != NULL)
        return usage_error("--all and --platform exclude each other", NULL);
    if (cli->registries_d != NULL && run != cmd_signatures && run != cmd_signatures_put &&
        run != cmd_copy)
        return usage_error("--registries.d only goes with", "signatures and copy");
    if (cli->signatures && run != cmd_copy)
        return usage_error("--signatures only goes with", "copy");
    if (cli->registries_d != NULL && run == cmd_copy && !cli->signatures)
        return usage_error("--registries.d with copy is for --signatures; add it", NULL);
    if (cli->format != NULL && strcmp(cli->format, "text") != 0 && strcmp(cli->format, "json") != 0)
        return usage_error("--format wants text or json, got", cli->format);
    if (cli->format != NULL && strcmp(cli->format, "json") == 0 && run == cmd_blob)
        return usage_error("--format json does not go with blob (it writes the blob's bytes);",
                           "see blob-stat");
    if (cli->progress && cli->quiet)
        return usage_error("--progress and --quiet exclude each other", NULL);
    if (cli->tags && run != cmd_inspect)
        return usage_error("--tags only goes with", "inspect");
    if (cli->mount_from_count > 0 && run != cmd_push)
        return usage_error("--mount-from only goes with", "push");
    if ((cli->referrers || cli->referrer_type_count > 0) && run != cmd_pull && run != cmd_push &&
        run != cmd_copy)
        return usage_error("--referrers and --referrers-type only go with", "pull, push and copy");
    if (cli->resume_dir != NULL && run != cmd_push && run != cmd_copy)
        return usage_error("--resume-dir only goes with", "push and copy");
    if ((cli->header_count > 0 || cli->scope_count > 0 || cli->data_file != NULL ||
         cli->include) && run != cmd_request)
        return usage_error("-H, --scope, --data-file and -i only go with", "request");
    if (cli->password_stdin && cli->data_file != NULL && strcmp(cli->data_file, "-") == 0)
        return usage_error("--password-stdin and --data-file - both want stdin", NULL);
    if (cli->pass != NULL && cli->password_stdin)
        return usage_error("-p and --password-stdin exclude each other", NULL);
    if ((cli->pass != NULL || cli->password_stdin) && cli->user == NULL)
        return usage_error("a password needs a user name (-u)", NULL);
    if (cli->user != NULL && cli->pass == NULL && !cli->password_stdin)
        return usage_error("-u needs -p PASS or --password-stdin", NULL);
    if (cli->password_stdin && cli->command->nargs == 2 && cli->args[1] != NULL &&
        strcmp(cli->args[1], "-") == 0 &&
        run != cmd_tag)
        return usage_error("--password-stdin and FILE - both want stdin", NULL);
    return 0;
}

/* Parses argv into `cli`; returns 0 or EXIT_USAGE. */
static int parse_args(struct cli *cli, int argc, char **argv)
{
    /* a command group, its command, REF and at most MAX_FILES files */
    static const char *positional[MAX_FILES + 3];
    int npos = 0, i, r, only_positional = 0;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (npos == (int)(sizeof positional / sizeof positional[0]))
                return usage_error("too many arguments", NULL);
            positional[npos++] = arg;
        } else if (strcmp(arg, "--") == 0) {
            only_positional = 1;
        } else if ((r = parse_option(cli, argc, argv, &i)) != 0) {
            return r;
        }
    }
    if ((r = find_command(cli, positional, npos)) != 0)
        return r;
    cli->json = cli->format != NULL && strcmp(cli->format, "json") == 0;
    return check_options(cli);
}

/* ---- running --------------------------------------------------------- */

/* Makes the client from the options. */
static int make_client(struct cli *cli)
{
    ocireg_options *options = ocireg_options_new();
    ocireg_status st = OCIREG_OK;
    size_t i;
    if (options == NULL)
        return fail_local(OCIREG_ERR_PANIC, "could not create options", 0);
    for (i = 0; i < cli->insecure_count && st == OCIREG_OK; i++)
        st = ocireg_options_add_insecure_registry(options, cli->insecure[i]);
    if (st == OCIREG_OK && cli->ca_file != NULL)
        st = ocireg_options_add_ca_file(options, cli->ca_file);
    if (st == OCIREG_OK && cli->auth_file != NULL)
        st = ocireg_options_set_auth_file(options, cli->auth_file);
    if (st == OCIREG_OK)
        st = set_registries_conf(cli, options);
    if (st == OCIREG_OK && cli->jobs > 0)
        st = ocireg_options_set_concurrency(options, cli->jobs);
    if (st == OCIREG_OK && cli->ranged != NULL)
        st = ocireg_options_set_ranged_download(options, cli->ranged);
    if (st == OCIREG_OK)
        st = set_tls_and_token_options(cli, options);
    if (st == OCIREG_OK)
        st = set_token_cache(cli, options);
    if (st == OCIREG_OK)
        st = apply_limits(&cli->limits, options);
    if (st == OCIREG_OK)
        st = set_credentials(cli, options);
    if (st == OCIREG_OK)
        st = ocireg_client_new(options, &cli->client);
    ocireg_options_free(options);
    return st == OCIREG_OK ? 0 : fail(st);
}

/* Runs the command with a client and a cancel signal that SIGINT and
 * SIGTERM fire. */
static int run_with_client(struct cli *cli, struct signals *signals)
{
    int rc = make_client(cli);
    if (rc != 0)
        return rc;
    cli->cancel = ocireg_cancel_new();
    if (cli->cancel == NULL) {
        rc = fail_local(OCIREG_ERR_PANIC, "could not create a cancel signal", 0);
    } else if (start_signal_thread(signals, cli->cancel) != 0) {
        rc = fail_local(OCIREG_ERR_INTERNAL, "starting the signal thread", errno);
    } else {
        rc = resolve_names(cli);
        if (rc == 0)
            rc = cli->command->run(cli);
        resolve_names_free();
        stop_signal_thread(signals);
    }
    ocireg_cancel_free(cli->cancel);
    ocireg_client_free(cli->client);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli cli;
    struct signals signals;
    int rc;

    memset(&cli, 0, sizeof cli);
    /* Before any library call: the runtime threads inherit this mask. */
    if (block_signals(&signals) != 0)
        return fail_local(OCIREG_ERR_INTERNAL, "blocking SIGINT", errno);

    /* `ocireg help [CMD]`, `ocireg [CMD] --help`: help.c. */
    if ((rc = help_main(argc, argv)) >= 0)
        return rc;
    rc = parse_args(&cli, argc, argv);
    if (rc != 0 || (rc = take_password(&cli)) != 0)
        return rc;
    if (cli.verbose && (rc = verbose_start()) != 0)
        return rc;
    if (cli.command->target == TARGET_NONE)
        rc = cli.command->run(&cli);
    else
        rc = run_with_client(&cli, &signals);
    free_password(&cli);
    return rc;
}
