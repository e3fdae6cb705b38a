/*
 * The declarations the files of the ocireg command-line tool share (see
 * main.c). Every file includes this first: it sets _POSIX_C_SOURCE.
 */
#ifndef OCIREG_CLI_H
#define OCIREG_CLI_H

#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>

#include "ocireg.h"

#define EXIT_USAGE 2
#define MAX_INSECURE 64
#define MAX_MOUNT_FROM 64
#define MAX_ANNOTATIONS 256
/* artifact push REF FILE...: the library takes at most 1000 files */
#define MAX_FILES 1000
#define MAX_HEADERS 64
#define MAX_SCOPES 16
#define MAX_REFERRER_TYPES 64

/* Which argument names the registry that -u/-p apply to: none, the first
 * (a host or a reference), or the second (push DIR REF, copy SRC DST;
 * request METHOD HOST PATH). */
enum target { TARGET_NONE, TARGET_HOST, TARGET_REF, TARGET_REF2, TARGET_HOST2 };

struct cli;
typedef int (*command_fn)(struct cli *cli);

struct command {
    const char *name;
    int nargs; /* positional arguments after the command name; -N: REF and
                  at least N - 1 FILE... (cli.files) */
    enum target target;
    command_fn run;
    const char *synopsis;
};

/* The client options every command takes (common.c): each is set when
 * its flag was given, validated when parsed. */
struct limits {
    int has_timeout, has_connect_timeout, has_read_timeout, has_retries, has_max_list,
        has_page_size;
    uint64_t timeout_ms, connect_timeout_ms, read_timeout_ms;
    uint32_t retries;
    uint64_t max_list;
    uint32_t page_size;
};

struct cli {
    /* options */
    const char *insecure[MAX_INSECURE];
    size_t insecure_count;
    const char *ca_file;
    const char *user;
    const char *pass;
    int password_stdin;
    const char *auth_file;
    const char *registries_conf; /* --registries-conf FILE */
    int no_registries_conf;      /* --no-registries-conf */
    const char *token_cache; /* --token-cache PATH */
    int no_token_cache;      /* --no-token-cache */
    const char *platform;
    uint32_t jobs;
    const char *ranged;     /* --ranged auto|off|always */
    const char *resume_dir; /* --resume-dir STATE (push) */
    int progress;
    const char *artifact_type;
    const char *media_type;
    int all;  /* --all */
    int tags; /* --tags */
    int verbose;        /* --verbose */
    const char *format; /* --format text|json */
    const char *registries_d; /* --registries.d DIR (signatures) */
    int json;           /* --format json */
    int quiet;          /* --quiet: no progress display */
    struct limits limits; /* --timeout, --retries, ... */
    const char *login_file; /* --authfile (login, logout) */
    int docker;             /* --docker (login, logout) */
    const char *limit;      /* --limit (search) */
    const char *cert_dir;   /* --cert-dir DIR */
    int oauth2;             /* --oauth2 */
    int offline_token;      /* --offline-token */
    const char *oauth2_client_id; /* --oauth2-client-id ID */
    const char *mount_from[MAX_MOUNT_FROM];
    size_t mount_from_count;
    int referrers; /* --referrers (pull, push, copy) */
    const char *referrer_types[MAX_REFERRER_TYPES]; /* --referrers-type T */
    size_t referrer_type_count;
    const char *annotations[MAX_ANNOTATIONS]; /* --annotation K=V */
    size_t annotation_count;
    const char *subject; /* --subject REF */
    int overwrite;       /* --overwrite */
    int via_throwaway;   /* --via-throwaway-manifest */
    const char *headers[MAX_HEADERS]; /* request -H */
    size_t header_count;
    const char *scopes[MAX_SCOPES]; /* request --scope */
    size_t scope_count;
    const char *data_file; /* request --data-file */
    int include;           /* request -i */
    int signatures;        /* --signatures (copy) */
    /* the command */
    const struct command *command;
    const char *args[3];
    const char *const *files; /* FILE... of a command with nargs < 0 */
    size_t file_count;
    /* state */
    char *password_copy; /* malloc'd (from stdin or -p); wiped and freed at exit */
    ocireg_client *client;
    ocireg_cancel *cancel;
};

/* common.c: errors, output, input */
int fail(ocireg_status status);
int fail_local(ocireg_status status, const char *what, int err);
int usage_error(const char *message, const char *detail);
int finish_stdout(void);
int print_list(const struct cli *cli, ocireg_status st, ocireg_string_list *list,
               const char *key);
int print_content(const struct cli *cli, ocireg_status st, ocireg_content *content);
int print_digest(const struct cli *cli, ocireg_status st, char *digest);
int parse_global_option(struct cli *cli, int argc, char **argv, int *i);
ocireg_status apply_limits(const struct limits *limits, ocireg_options *options);
int option_value(int argc, char **argv, int *i, const char *name, const char **value);

/* json.c: the one JSON writer (see there) */
#define JSON_MAX_DEPTH 16
struct json {
    int depth;
    int after_key;
    size_t items[JSON_MAX_DEPTH];
    int multiline[JSON_MAX_DEPTH];
};
void json_start(struct json *j);
void json_object(struct json *j);
void json_object_end(struct json *j);
void json_array(struct json *j);
void json_inline_array(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *name);
void json_string(struct json *j, const char *text);
void json_string_n(struct json *j, const char *text, size_t len);
void json_uint(struct json *j, uint64_t value);
void json_count(struct json *j, int64_t value);
void json_bool(struct json *j, int value);
void json_null(struct json *j);
void json_end(struct json *j);
void json_member_string(struct json *j, const char *name, const char *value);
void json_member_uint(struct json *j, const char *name, uint64_t value);
void json_print_one(const char *name, const char *value);
void json_write_string(const char *text, size_t len);
int slurp(int fd, size_t max, uint8_t **data_out, size_t *len_out, int *err_out);
int open_input(const char *path);
void close_input(int fd);
ocireg_status set_tls_and_token_options(const struct cli *cli, ocireg_options *options);

/* progress.c: --progress for one transfer and for whole images */
struct progress {
    int enabled;
    uint64_t total; /* the size, from the library or (uploads) from stat */
    double start;
    double last_print;
    int printed;
};

void progress_start(struct progress *p, int enabled, uint64_t total);
int on_progress(void *userdata, uint64_t done, uint64_t total);
void progress_end(struct progress *p, uint64_t done, int ok);

struct image_progress {
    int enabled;      /* display it (else only count) */
    int tty;          /* bars redrawn in place; else plain lines */
    const char *verb; /* the summary's first word: pull, push, ... */
    struct blob_progress *items; /* every blob seen */
    size_t count, cap;
    size_t blobs_in_flight;
    uint64_t done, total;
    uint64_t blobs, skipped, mounted, sent; /* the library's counts */
    double start, last_draw;
    int drawn;      /* something is on the screen */
    int blob_lines; /* blob lines above the total line (tty) */
};

void image_progress_start(struct image_progress *p, int requested, int quiet, const char *verb);
int on_image_progress(void *userdata, const char *digest, uint64_t blob_done,
                      uint64_t blob_total, uint64_t done, uint64_t total, uint64_t blobs,
                      uint64_t skipped, uint64_t mounted, uint64_t sent);
void image_progress_end(struct image_progress *p, int ok);

/* auth.c: passwords and credentials */
int take_password(struct cli *cli);
void free_password(struct cli *cli);
ocireg_status set_credentials(const struct cli *cli, ocireg_options *options);

/* common.c: registries.conf, the system's unless --registries-conf FILE or
 * --no-registries-conf */
ocireg_status set_registries_conf(const struct cli *cli, ocireg_options *options);
/* token_cache.c */
ocireg_status set_token_cache(const struct cli *cli, ocireg_options *options);

/* The commands: registry.c, manifests.c, blobs.c, images.c, artifact.c,
 * reference.c, request.c, auth.c (login, logout), search.c (search,
 * ratelimit) */
int cmd_ping(struct cli *cli);
int cmd_login(struct cli *cli);
int cmd_logout(struct cli *cli);
int cmd_search(struct cli *cli);
int cmd_ratelimit(struct cli *cli);
int cmd_catalog(struct cli *cli);
int cmd_tags(struct cli *cli);
int cmd_digest(struct cli *cli);
int cmd_manifest(struct cli *cli);
int cmd_config(struct cli *cli);
int cmd_put_manifest(struct cli *cli);
int cmd_tag(struct cli *cli);
int cmd_delete(struct cli *cli);
int cmd_untag(struct cli *cli);
int cmd_referrers(struct cli *cli);

/* signatures.c */
int cmd_signatures(struct cli *cli);
int cmd_signatures_put(struct cli *cli);
int cmd_blob(struct cli *cli);
int cmd_blob_stat(struct cli *cli);
int cmd_push_blob(struct cli *cli);
int cmd_pull(struct cli *cli);
int cmd_push(struct cli *cli);
int cmd_copy(struct cli *cli);
int cmd_save(struct cli *cli);
int cmd_inspect(struct cli *cli);
int cmd_artifact_push(struct cli *cli);
int cmd_artifact_pull(struct cli *cli);
int cmd_ref_parse(struct cli *cli);
int cmd_platforms(struct cli *cli);

/* index.c */
int cmd_index_create(struct cli *cli);
int cmd_index_add(struct cli *cli);
int cmd_index_remove(struct cli *cli);
int cmd_index_annotate(struct cli *cli);

/* help.c: --help and `help CMD`; main.c's dispatch table */
int help_main(int argc, char **argv);
const struct command *cli_commands(size_t *count);

/* verbose.c: --verbose, the library's debug log on stderr */
int verbose_start(void);
int cmd_request(struct cli *cli);

/* resolve_name.c: short names (registries.conf), and `resolve NAME` */
int resolve_names(struct cli *cli);
void resolve_names_free(void);
int cmd_resolve(struct cli *cli);
/* image_source.c: image names with transports (docker://, oci:, oci-archive:,
 * docker-archive:, dir:) for inspect and manifest (tags: registry.c); layers */
int is_local_image(const char *arg);
int is_transport_name(const char *arg);
int cmd_source_manifest(struct cli *cli);
int cmd_layers(struct cli *cli);
/* images.c: the image options of the command line (--platform, ...) */
int image_options(struct cli *cli, const char *layout_name, struct image_progress *progress,
                  ocireg_image_options **out);
/* key_value.c: `KEY=VALUE` (KEY not empty) split into a malloc'd KEY and
 * the VALUE inside `arg`; 0, or the exit status (a usage error `want`
 * followed by `arg`, or out of memory). */
int split_key_value(const char *arg, const char *want, char **key, const char **value);

#endif
