/*
 * The one JSON writer of the command-line tool: every --format json
 * output (and ref-parse, inspect's wrapper-free JSON aside) is written
 * through it, so that each command prints exactly one well-formed JSON
 * document on stdout.
 *
 * Objects print one member per line, indented by two spaces per level;
 * arrays of scalars stay on one line. Commas, colons and the final newline
 * are the writer's business: a command only says what comes next.
 *
 * Strings are written as valid JSON whatever the bytes: `"` and `\` are
 * escaped, control characters become \u00XX, well-formed UTF-8 passes
 * through, and a byte that is not part of well-formed UTF-8 becomes
 * U+FFFD (so a registry's or a server's bytes can never break the
 * document).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void newline_indent(const struct json *j)
{
    int i;
    putchar('\n');
    for (i = 0; i < j->depth; i++)
        fputs("  ", stdout);
}

/* What goes before a value: a comma after a sibling, and in an object or
 * a multi-line array a new line. */
static void before_value(struct json *j)
{
    int level = j->depth - 1;
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (level < 0)
        return;
    if (j->items[level] > 0)
        putchar(',');
    if (j->multiline[level])
        newline_indent(j);
    else if (j->items[level] > 0)
        putchar(' ');
    j->items[level]++;
}

static void open_container(struct json *j, char bracket, int multiline)
{
    before_value(j);
    putchar(bracket);
    if (j->depth < JSON_MAX_DEPTH) {
        j->items[j->depth] = 0;
        j->multiline[j->depth] = multiline;
    }
    j->depth++;
}

static void close_container(struct json *j, char bracket)
{
    int level = j->depth - 1;
    int had_items = level >= 0 && level < JSON_MAX_DEPTH && j->items[level] > 0;
    int multiline = level >= 0 && level < JSON_MAX_DEPTH && j->multiline[level];
    j->depth--;
    if (had_items && multiline)
        newline_indent(j);
    putchar(bracket);
}

void json_object(struct json *j) { open_container(j, '{', 1); }
void json_object_end(struct json *j) { close_container(j, '}'); }
/* An array of objects: one element per line. */
void json_array(struct json *j) { open_container(j, '[', 1); }
/* An array of scalars: on one line. */
void json_inline_array(struct json *j) { open_container(j, '[', 0); }
void json_array_end(struct json *j) { close_container(j, ']'); }

void json_key(struct json *j, const char *name)
{
    before_value(j);
    json_write_string(name, strlen(name));
    fputs(": ", stdout);
    j->after_key = 1;
}

/* The length of the well-formed UTF-8 sequence at `s` (at most `left`
 * bytes), or 0 when it is not one (overlong, surrogate, past U+10FFFF,
 * truncated). */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    size_t n, i;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_write_string(const char *text, size_t len)
{
    const unsigned char *c = (const unsigned char *)text, *end = c + len;
    putchar('"');
    while (c < end) {
        size_t n = utf8_sequence(c, (size_t)(end - c));
        if (n == 0) {
            fputs("\\ufffd", stdout);
            c++;
        } else if (n > 1) {
            fwrite(c, 1, n, stdout);
            c += n;
        } else {
            if (*c == '"' || *c == '\\')
                printf("\\%c", *c);
            else if (*c == '\n')
                fputs("\\n", stdout);
            else if (*c == '\t')
                fputs("\\t", stdout);
            else if (*c < 0x20 || *c == 0x7f)
                printf("\\u%04x", *c);
            else
                putchar(*c);
            c++;
        }
    }
    putchar('"');
}

void json_string(struct json *j, const char *text)
{
    if (text == NULL) {
        json_null(j);
        return;
    }
    json_string_n(j, text, strlen(text));
}

void json_string_n(struct json *j, const char *text, size_t len)
{
    before_value(j);
    json_write_string(text, len);
}

void json_uint(struct json *j, uint64_t value)
{
    before_value(j);
    printf("%" PRIu64, value);
}

/* A count the library reports as -1 when unknown: null then. */
void json_count(struct json *j, int64_t value)
{
    if (value < 0) {
        json_null(j);
        return;
    }
    before_value(j);
    printf("%" PRId64, value);
}

void json_bool(struct json *j, int value)
{
    before_value(j);
    fputs(value ? "true" : "false", stdout);
}

void json_null(struct json *j)
{
    before_value(j);
    fputs("null", stdout);
}

/* Ends the document with a new line. */
void json_end(struct json *j)
{
    (void)j;
    putchar('\n');
}

/* `"name": "value"` (null for NULL), a member of the open object. */
void json_member_string(struct json *j, const char *name, const char *value)
{
    json_key(j, name);
    json_string(j, value);
}

void json_member_uint(struct json *j, const char *name, uint64_t value)
{
    json_key(j, name);
    json_uint(j, value);
}

/* A whole document: `{"name": "value"}`. */
void json_print_one(const char *name, const char *value)
{
    struct json j;
    json_start(&j);
    json_object(&j);
    json_member_string(&j, name, value);
    json_object_end(&j);
    json_end(&j);
}

void json_start(struct json *j)
{
    memset(j, 0, sizeof *j);
}
