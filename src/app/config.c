/* config.c - loading and printing the INI configuration (see config.h).
 *
 * libinih splits "key = value" and strips inline comments; the rest is ours.
 * inih hands its handler no line number (INI_HANDLER_LINENO is fixed when the
 * library is built) and only returns the first line it could not parse, so
 * we feed it through a reader that numbers lines and classifies each one
 * first: blank lines, comments and section headers are handled here and reach
 * inih as empty lines, malformed or overlong lines are reported here, and
 * only "key = value" lines get through.  Leading whitespace is stripped before
 * inih sees a line, so its multi-line continuations (on in some builds) never
 * apply: every key line stands alone.
 *
 * Keys live in one table (section, name, setter, printer), so a key cannot be
 * loadable yet missing from config_print.  Loading fills a scratch Config and
 * moves it into the caller's only when no error was found.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/prctl.h>

#include <ini.h>

#include "casefold.h"
#include "log.h"
#include "mask.h"
#include "paths.h"
#include "tz.h"
#include "utf8.h"

#define QUOTE_LEN 160      /* a value echoed in an error message */
#define PRINT_LINE_MAX 150 /* config_print wraps lists; inih reads 198 */
#define KEYS_MAX 48
#define MASKED "********"

/* Limits quoted in messages follow the constants in config.h. */
#define STR_(x) #x
#define STR(x) STR_(x)

enum { SECTION_NONE = -1, SECTION_UNKNOWN = -2 };

static const char *const sections[] = {
    "irc", "bot", "flood", "limits", "admin", "daily",
};
#define SECTION_COUNT (sizeof sections / sizeof sections[0])

typedef struct Loader Loader;
typedef struct KeyDef KeyDef;

struct KeyDef {
    const char *section;
    const char *name;
    /* Validates v and stores it in ld->c; first is false when a list key is
     * repeated.  Returns 0, or -1 after reporting. */
    int (*set)(Loader *ld, const KeyDef *k, const char *v, bool first);
    void (*print)(const KeyDef *k, const Config *c, FILE *out);
    size_t off;                          /* offsetof(Config, field) */
    size_t len;                          /* strings: longest value in bytes */
    int min, max;                        /* integers: accepted range */
    const char *(*check)(const char *v); /* strings: why v is bad, or NULL */
    bool list; /* may repeat, each occurrence appends */
    bool may_be_empty;
};

struct Loader {
    Config *c; /* the scratch config being filled */
    const char *path;
    Error *err;
    FILE *in;
    char *buf; /* getline's */
    size_t bufcap;
    int lineno;
    int nerrors;
    bool failed; /* cannot open or read, or out of memory */
    int read_errno;
    int section;                   /* index into sections[], or SECTION_* */
    int seen[KEYS_MAX];            /* line each key was set on; 0 = default */
    char dir[CONFIG_PATH_LEN + 1]; /* the file's directory */
};

/* ---- errors ------------------------------------------------------------- */

__attribute__((format(printf, 3, 0))) static void
loader_verror(Loader *ld, int line, const char *fmt, va_list ap)
{
    char msg[1024]; /* values in messages are quoted, so short */

    ld->nerrors++;
    if (ld->err == NULL || ld->nerrors > CONFIG_MAX_ERRORS)
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0)
        error_report(ld->err, SEVERITY_ERROR, "%s:%d: %s", ld->path, line, msg);
    else
        error_report(ld->err, SEVERITY_ERROR, "%s: %s", ld->path, msg);
}

__attribute__((format(printf, 3, 4))) static void
loader_error_at(Loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_verror(ld, line, fmt, ap);
    va_end(ap);
}

/* An error on the line being read. */
__attribute__((format(printf, 2, 3))) static void
loader_error(Loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_verror(ld, ld->lineno, fmt, ap);
    va_end(ap);
}

/* A warning on the line being read: reported, not counted, so the file
 * still loads. */
__attribute__((format(printf, 2, 3))) static void
loader_warning(Loader *ld, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_report(ld->err, SEVERITY_WARNING, "%s:%d: %s", ld->path, ld->lineno,
                 msg);
}

/* s fit to echo in a message: bytes outside printable ASCII become \xNN and
 * a long s is cut with "...". */
static const char *quote(const char *s, size_t n, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        size_t w = (ch >= 0x20 && ch < 0x7F) ? 1 : 4;
        if (o + w + 4 > outsz) { /* room for "..." and the NUL */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (w == 1) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
    return out;
}

#define Q(s, buf) quote((s), strlen(s), (buf), sizeof(buf))

/* ---- character classes -------------------------------------------------- */

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return true;
    return false;
}

static bool is_graph_ascii(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7F;
}

/* ---- validators: NULL when fine, else why not --------------------------- */

static const char *check_nick(const char *v)
{
    static const char special[] = "[]\\`_^{|}";
    if (*v == '\0')
        return "empty nick";
    if (strlen(v) > CONFIG_NICK_LEN)
        return "longer than " STR(CONFIG_NICK_LEN) " characters";
    if (isdigit((unsigned char)*v) || *v == '-')
        return "a nick must not start with a digit or '-'";
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!(ch < 0x80 && isalnum(ch)) && ch != '-' &&
            strchr(special, ch) == NULL)
            return "a nick holds only letters, digits and []\\`_^{|}-";
    }
    return NULL;
}

static const char *check_host(const char *v)
{
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!(ch < 0x80 && isalnum(ch)) && strchr(".-:_%", ch) == NULL)
            return "not a host name or IP address";
    }
    return NULL;
}

static const char *check_username(const char *v)
{
    for (const char *p = v; *p; p++)
        if (!is_graph_ascii((unsigned char)*p) || *p == '@')
            return "only printable ASCII without spaces or '@'";
    return NULL;
}

static const char *check_realname(const char *v)
{
    if (has_control(v))
        return "contains a control character";
    if (!utf8_valid(v, strlen(v), NULL))
        return "not valid UTF-8";
    return NULL;
}

static const char *check_prefix(const char *v)
{
    for (const char *p = v; *p; p++)
        if (!is_graph_ascii((unsigned char)*p))
            return "only printable ASCII without spaces";
    return NULL;
}

/* RFC 2812 section 1.3, plus no other control characters either. */
static const char *check_channel(const char *v, size_t n)
{
    if (n == 0 || (v[0] != '#' && v[0] != '&'))
        return "a channel name starts with '#' or '&'";
    if (n < 2)
        return "a channel name needs a character after its prefix";
    if (n > CONFIG_CHANNEL_LEN)
        return "a channel name is at most " STR(
            CONFIG_CHANNEL_LEN) " characters";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch < 0x20 || ch == 0x7F || ch == ' ' || ch == ',')
            return "a channel name has no spaces, commas or control characters";
    }
    return NULL;
}

static const char *check_key(const char *v, size_t n)
{
    if (n > CONFIG_KEY_LEN)
        return "a channel key is at most " STR(CONFIG_KEY_LEN) " characters";
    for (size_t i = 0; i < n; i++)
        if (!is_graph_ascii((unsigned char)v[i]) || v[i] == ',')
            return "a channel key is printable ASCII without spaces or commas";
    return NULL;
}

/* The mask module decides what a valid mask is; compiling one is cheap.
 * Returns why v is bad (err's msg), or NULL. */
static const char *check_mask(const char *v, size_t n, Error *err)
{
    char glob[MASK_MAX + 1];
    if (n > MASK_MAX) {
        error_set(err, STATUS_INVALID, "a mask is at most %d bytes", MASK_MAX);
        return err->msg;
    }
    memcpy(glob, v, n);
    glob[n] = '\0';
    Mask *m = mask_compile(glob, err);
    if (m == NULL)
        return err->msg;
    mask_free(m);
    return NULL;
}

/* ---- paths -------------------------------------------------------------- */

/* Resolves v against the config file's directory into out. */
static int loader_path(Loader *ld, const KeyDef *k, const char *v, char *out,
                       size_t outsz, int line)
{
    char q[QUOTE_LEN];
    int n;

    if (has_control(v)) {
        loader_error_at(ld, line, "%s: '%s': contains a control character",
                        k->name, Q(v, q));
        return -1;
    }
    if (v[0] == '/' || ld->dir[0] == '\0')
        n = snprintf(out, outsz, "%s", v);
    else
        n = snprintf(out, outsz, "%s/%s", ld->dir, v);
    if (n < 0 || (size_t)n >= outsz) {
        loader_error_at(ld, line, "%s: path too long", k->name);
        return -1;
    }
    return 0;
}

/* ld->dir = the absolute directory holding ld->path (symlinks resolved). */
static int loader_set_dir(Loader *ld)
{
    char copy[CONFIG_PATH_LEN + 1];
    int n = snprintf(copy, sizeof copy, "%s", ld->path);
    if (n < 0 || (size_t)n >= sizeof copy) {
        loader_error_at(ld, 0, "path too long");
        return -1;
    }
    const char *dir = dirname(copy);
    char *abs = realpath(dir, NULL);
    n = snprintf(ld->dir, sizeof ld->dir, "%s", abs != NULL ? abs : dir);
    free(abs);
    if (n < 0 || (size_t)n >= sizeof ld->dir) {
        loader_error_at(ld, 0, "directory path too long");
        return -1;
    }
    return 0;
}

/* ---- the password ------------------------------------------------------- */

/* Why line (n bytes, CR/LF stripped) cannot be a server password, or NULL. */
static const char *password_problem(const char *line, size_t n)
{
    if (n == 0)
        return "first line is empty";
    if (n > CONFIG_PASSWORD_LEN)
        return "password longer than " STR(CONFIG_PASSWORD_LEN) " bytes";
    if (n != strlen(line))
        return "password contains a NUL byte";
    if (line[0] == ':') /* PASS :x would send "x" */
        return "password must not start with ':'";
    for (size_t i = 0; i < n; i++) /* one IRC word: no spaces */
        if (!is_graph_ascii((unsigned char)line[i]))
            return "password has a space, control or non-ASCII character";
    return NULL;
}

/* Why line (n bytes) cannot be a SASL password, or NULL: it travels
 * base64-encoded, so spaces and ':' are fine. */
static const char *sasl_password_problem(const char *line, size_t n)
{
    if (n == 0)
        return "first line is empty";
    if (n > CONFIG_PASSWORD_LEN)
        return "password longer than " STR(CONFIG_PASSWORD_LEN) " bytes";
    if (n != strlen(line))
        return "password contains a NUL byte";
    return NULL;
}

/* Secrets (a server or SASL password, a client key) are kept out of core
 * files by making the whole process non-dumpable, before the first one is
 * read.  MADV_DONTDUMP was the other way, and was not taken: it covers only
 * pages we allocate ourselves, while stdio, getline and above all OpenSSL
 * (which copies the client key into its own heap at every connection) hold
 * copies we cannot place.  The price: no core file of this process at all,
 * and no ptrace by the same user, which a hardened unit forbids anyway.  A
 * process that never holds a secret stays dumpable.  Our own copies are
 * also wiped when freed (explicit_bzero). */
static void loader_secret_ahead(Loader *ld)
{
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
        return;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        loader_error(ld,
                     "cannot keep secrets out of core files "
                     "(prctl PR_SET_DUMPABLE: %s)",
                     strerror(errno));
}

/* The first line of path, without its CR/LF, into a fresh heap string;
 * key names the setting in messages, sasl picks the rules. */
static int loader_password(Loader *ld, const char *key, bool sasl,
                           const char *path, char **out)
{
    char q[QUOTE_LEN];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    const char *why = NULL;
    int err = 0;

    loader_secret_ahead(ld);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        loader_error(ld, "%s %s: cannot open: %s", key, Q(path, q),
                     strerror(errno));
        return -1;
    }
    /* Unbuffered: no copy left behind in a stdio buffer freed unwiped. */
    setvbuf(f, NULL, _IONBF, 0);
    errno = 0;
    n = getline(&line, &cap, f);
    if (n < 0) {
        err = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
        why = err ? strerror(err) : "file is empty";
        n = 0;
    }
    fclose(f);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';

    if (why == NULL)
        why = sasl ? sasl_password_problem(line, (size_t)n)
                   : password_problem(line, (size_t)n);
    if (why == NULL) {
        *out = strdup(line);
        if (*out == NULL)
            why = "out of memory";
    }
    if (line != NULL) {
        explicit_bzero(line, cap);
        free(line);
    }
    if (why != NULL) {
        loader_error(ld, "%s %s: %s", key, Q(path, q), why);
        return -1;
    }
    return 0;
}

/* ---- setters ------------------------------------------------------------ */

#define FIELD(c, k, type) ((type *)(void *)((char *)(c) + (k)->off))
#define CFIELD(c, k, type) \
    ((const type *)(const void *)((const char *)(c) + (k)->off))

static int set_int(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    char q[QUOTE_LEN];
    const char *digits = (*v == '+' || *v == '-') ? v + 1 : v;
    char *end;
    (void)first;

    if (!isdigit((unsigned char)*digits))
        goto nan;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*end != '\0')
        goto nan;
    if (errno == ERANGE || n < k->min || n > k->max) {
        loader_error(ld, "%s: %s is out of range (%d..%d)", k->name, Q(v, q),
                     k->min, k->max);
        return -1;
    }
    *FIELD(ld->c, k, int) = (int)n;
    return 0;
nan:
    loader_error(ld, "%s: '%s' is not a whole number (%d..%d)", k->name,
                 Q(v, q), k->min, k->max);
    return -1;
}

static int set_bool(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    char q[QUOTE_LEN];
    (void)first;

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *FIELD(ld->c, k, bool) = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *FIELD(ld->c, k, bool) = false;
            return 0;
        }
    }
    loader_error(ld, "%s: '%s' is not yes/no, true/false, on/off or 1/0",
                 k->name, Q(v, q));
    return -1;
}

static int set_str(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    char q[QUOTE_LEN];
    (void)first;

    if (strlen(v) > k->len) {
        loader_error(ld, "%s: longer than %zu bytes", k->name, k->len);
        return -1;
    }
    const char *why = k->check != NULL ? k->check(v) : NULL;
    if (why != NULL) {
        loader_error(ld, "%s: '%s': %s", k->name, Q(v, q), why);
        return -1;
    }
    memcpy(FIELD(ld->c, k, char), v, strlen(v) + 1);
    return 0;
}

static int set_log_level(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    char q[QUOTE_LEN];
    (void)first;

    if (log_level_parse(v, FIELD(ld->c, k, Severity)))
        return 0;
    loader_error(ld, "%s: '%s' is not error, warn, info or debug", k->name,
                 Q(v, q));
    return -1;
}

static int set_database(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    (void)first;
    return loader_path(ld, k, v, ld->c->database, sizeof ld->c->database,
                       ld->lineno);
}

static int set_data_dir(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    (void)first;
    return loader_path(ld, k, v, ld->c->data_dir, sizeof ld->c->data_dir,
                       ld->lineno);
}

static int set_password_file(Loader *ld, const KeyDef *k, const char *v,
                             bool first)
{
    Config *c = ld->c;
    (void)first;

    if (*v == '\0') /* explicitly no password */
        return 0;
    if (loader_path(ld, k, v, c->password_file, sizeof c->password_file,
                    ld->lineno) < 0)
        return -1;
    return loader_password(ld, "password_file", false, c->password_file,
                           &c->password);
}

static int set_sasl_password_file(Loader *ld, const KeyDef *k, const char *v,
                                  bool first)
{
    Config *c = ld->c;
    (void)first;

    if (*v == '\0')
        return 0;
    if (loader_path(ld, k, v, c->sasl_password_file,
                    sizeof c->sasl_password_file, ld->lineno) < 0)
        return -1;
    return loader_password(ld, "sasl_password_file", true,
                           c->sasl_password_file, &c->sasl_password);
}

static const char *const sasl_names[] = {"no", "plain", "external"};

static int set_sasl(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    char q[QUOTE_LEN];
    (void)first;
    for (size_t i = 0; i < sizeof sasl_names / sizeof sasl_names[0]; i++) {
        if (strcasecmp(v, sasl_names[i]) == 0) {
            ld->c->sasl = (int)i;
            return 0;
        }
    }
    loader_error(ld, "%s: '%s' is not no, plain or external", k->name, Q(v, q));
    return -1;
}

/* A file the transport reads at each connection: resolved like every
 * path, and checked now so a typo is a FILE:LINE error, not a log line at
 * 3 a.m.  Its contents are never read here (a key stays in its file). */
static int set_tls_path(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    char q[QUOTE_LEN];
    char *out = FIELD(ld->c, k, char);
    (void)first;

    if (*v == '\0') {
        out[0] = '\0';
        return 0;
    }
    if (loader_path(ld, k, v, out, CONFIG_PATH_LEN + 1, ld->lineno) < 0)
        return -1;
    if (access(out, R_OK) != 0) {
        loader_error(ld, "%s %s: cannot read: %s", k->name, Q(out, q),
                     strerror(errno));
        return -1;
    }
    return 0;
}

/* A services account name: printable ASCII without spaces. */
static const char *check_sasl_username(const char *v)
{
    for (const char *p = v; *p; p++)
        if (!is_graph_ascii((unsigned char)*p))
            return "has a space, control or non-ASCII character";
    return NULL;
}

/* SHA-256 as 64 hex digits, colons and a "sha256:" prefix allowed. */
static const char *check_fingerprint(const char *v)
{
    size_t n = 0;
    if (*v == '\0')
        return NULL;
    if (strncasecmp(v, "sha256:", 7) == 0)
        v += 7;
    for (; *v; v++) {
        if (*v == ':')
            continue;
        if (!isxdigit((unsigned char)*v))
            return "not a SHA-256 fingerprint (64 hex digits, ':' allowed)";
        n++;
    }
    return n == 64 ? NULL
                   : "not a SHA-256 fingerprint (64 hex digits, ':' allowed)";
}

/* Iterates the comma-separated items of a list value, each trimmed. */
static bool list_next(const char **cur, const char **item, size_t *len)
{
    const char *s = *cur;
    if (s == NULL)
        return false;
    const char *comma = strchr(s, ',');
    const char *e = comma != NULL ? comma : s + strlen(s);
    *cur = comma != NULL ? comma + 1 : NULL;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *item = s;
    *len = (size_t)(e - s);
    return true;
}

/* The walk every comma-separated list key shares: add takes each
 * non-empty item (n bytes, not NUL-ended) and returns why it is refused,
 * or NULL.  An error echoes the item, or only its first word when the
 * rest may be secret (a channel key). */
typedef const char *(*ListAdd)(Config *c, const char *item, size_t n);

static int loader_list(Loader *ld, const KeyDef *k, const char *v, ListAdd add,
                       bool echo_first_word)
{
    char q[QUOTE_LEN];
    const char *cur = *v != '\0' ? v : NULL, *item;
    size_t n;
    int rc = 0;

    while (list_next(&cur, &item, &n)) {
        const char *why = n == 0 ? "empty item in list" : add(ld->c, item, n);
        if (why != NULL) {
            size_t shown = echo_first_word ? strcspn(item, " \t,") : n;
            loader_error(ld, "%s: '%s': %s", k->name,
                         quote(item, shown < n ? shown : n, q, sizeof q), why);
            rc = -1;
        }
    }
    return rc;
}

static const char *alt_nick_add(Config *c, const char *item, size_t n)
{
    char nick[CONFIG_NICK_LEN + 1];
    if (n > CONFIG_NICK_LEN)
        return "longer than " STR(CONFIG_NICK_LEN) " characters";
    memcpy(nick, item, n);
    nick[n] = '\0';
    const char *why = check_nick(nick);
    if (why != NULL)
        return why;
    if (c->alt_nick_count == CONFIG_ALT_NICKS_MAX)
        return "too many alternative nicks (at most " STR(
            CONFIG_ALT_NICKS_MAX) ")";
    memcpy(c->alt_nicks[c->alt_nick_count++], nick, n + 1);
    return NULL;
}

static int set_alt_nicks(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    if (first)
        ld->c->alt_nick_count = 0; /* the file replaces the derived defaults */
    return loader_list(ld, k, v, alt_nick_add, false);
}

/* One "#chan" or "#chan key" item. */
static const char *channel_add(Config *c, const char *item, size_t n)
{
    size_t name_len = 0;
    while (name_len < n && !isspace((unsigned char)item[name_len])) name_len++;
    const char *key = item + name_len;
    while (key < item + n && isspace((unsigned char)*key)) key++;
    size_t key_len = (size_t)(item + n - key);

    const char *why = check_channel(item, name_len);
    if (why == NULL && key + strcspn(key, " \t") < item + n)
        why = "expected '#channel' or '#channel key'";
    if (why == NULL)
        why = check_key(key, key_len);
    if (why != NULL)
        return why;
    if (c->channel_count == CONFIG_CHANNELS_MAX)
        return "too many channels (at most " STR(CONFIG_CHANNELS_MAX) ")";

    ConfigChannel *ch = &c->channels[c->channel_count];
    memcpy(ch->name, item, name_len);
    ch->name[name_len] = '\0';
    memcpy(ch->key, key, key_len);
    ch->key[key_len] = '\0';
    for (size_t i = 0; i < c->channel_count; i++)
        if (casefold_cmp(c->channels[i].name, ch->name) == 0)
            return "channel listed twice";
    c->channel_count++;
    return NULL;
}

static int set_channels(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    (void)first;
    /* The item may hold a key: echo the name only. */
    return loader_list(ld, k, v, channel_add, true);
}

/* Whether the host part of a nick!user@host mask names no host at all
 * ("*", "*.*", "?*", "*:*"): only wildcards and dots or colons, with a '*'.
 * As an owner mask it makes anyone an owner who takes the nick or ident. */
static bool mask_host_is_wild(const char *item, size_t n)
{
    const char *at = NULL;
    bool star = false;
    for (size_t i = 0; i < n; i++)
        if (item[i] == '@')
            at = item + i;
    if (at == NULL)
        return false;
    for (const char *p = at + 1; p < item + n; p++) {
        if (*p == '*')
            star = true;
        else if (strchr("?.:", *p) == NULL)
            return false;
    }
    return star;
}

static int set_masks(Loader *ld, const KeyDef *k, const char *v, bool first)
{
    ConfigMasks *m = FIELD(ld->c, k, ConfigMasks);
    char q[QUOTE_LEN];
    Error reason = {0};
    const char *cur = *v != '\0' ? v : NULL, *item;
    size_t n;
    int rc = 0;
    (void)first;

    while (list_next(&cur, &item, &n)) {
        bool account = n > 0 && n <= MASK_MAX &&
                       strncasecmp(item, MASK_ACCOUNT_PREFIX,
                                   sizeof MASK_ACCOUNT_PREFIX - 1) == 0;
        char glob[MASK_MAX + 1];
        const char *why = NULL;
        if (n == 0) {
            why = "empty item in list";
        } else if (account && strcmp(k->name, "owners") != 0) {
            why = "account: names only owners";
        } else if (account) {
            memcpy(glob, item, n);
            glob[n] = '\0';
            if (mask_account_check(glob, &reason) != STATUS_OK)
                why = reason.msg;
        } else {
            why = check_mask(item, n, &reason);
        }
        if (why == NULL) {
            /* A handful of masks: one realloc each is fine. */
            char **v2 = realloc(m->v, (m->n + 1) * sizeof *v2);
            char *s = v2 != NULL ? strndup(item, n) : NULL;
            if (v2 != NULL)
                m->v = v2;
            if (s == NULL)
                why = "out of memory";
            else
                m->v[m->n++] = s;
        }
        if (why == NULL && !account && strcmp(k->name, "owners") == 0 &&
            mask_host_is_wild(item, n))
            loader_warning(ld,
                           "%s: '%s' matches every host: anyone who takes "
                           "that nick or user name is an owner; name the "
                           "host, as in *!*@trusted.host.example",
                           k->name, quote(item, n, q, sizeof q));
        if (why != NULL) {
            loader_error(ld, "%s: '%s': %s", k->name,
                         quote(item, n, q, sizeof q), why);
            rc = -1;
        }
    }
    return rc;
}

/* ---- [daily] ------------------------------------------------------------ */

static const char *daily_channel_add(Config *c, const char *item, size_t n)
{
    const char *why = check_channel(item, n);
    if (why == NULL && c->daily_channel_count == CONFIG_CHANNELS_MAX)
        why = "too many channels (at most " STR(CONFIG_CHANNELS_MAX) ")";
    for (size_t i = 0; why == NULL && i < c->daily_channel_count; i++) {
        char name[CONFIG_CHANNEL_LEN + 1];
        memcpy(name, item, n);
        name[n] = '\0';
        if (casefold_cmp(c->daily_channels[i], name) == 0)
            why = "channel listed twice";
    }
    if (why != NULL)
        return why;
    memcpy(c->daily_channels[c->daily_channel_count], item, n);
    c->daily_channels[c->daily_channel_count++][n] = '\0';
    return NULL;
}

static int set_daily_channels(Loader *ld, const KeyDef *k, const char *v,
                              bool first)
{
    (void)first;
    return loader_list(ld, k, v, daily_channel_add, false);
}

/* "HH:MM", 24-hour, two digits each. */
static int set_daily_time(Loader *ld, const KeyDef *k, const char *v,
                          bool first)
{
    char q[QUOTE_LEN];
    (void)first;
    if (strlen(v) == 5 && isdigit((unsigned char)v[0]) &&
        isdigit((unsigned char)v[1]) && v[2] == ':' &&
        isdigit((unsigned char)v[3]) && isdigit((unsigned char)v[4])) {
        int h = (v[0] - '0') * 10 + (v[1] - '0');
        int m = (v[3] - '0') * 10 + (v[4] - '0');
        if (h <= 23 && m <= 59) {
            ld->c->daily_hour = h;
            ld->c->daily_minute = m;
            return 0;
        }
    }
    loader_error(ld, "%s: '%s' is not a time HH:MM between 00:00 and 23:59",
                 k->name, Q(v, q));
    return -1;
}

/* An IANA zone the system's tz database holds. */
static int set_daily_timezone(Loader *ld, const KeyDef *k, const char *v,
                              bool first)
{
    char q[QUOTE_LEN];
    Error err = {0};
    (void)first;
    Tz *tz = tz_name_valid(v) ? tz_load(v, &err) : NULL;
    if (tz == NULL) {
        loader_error(ld,
                     "%s: '%s' is not a time zone of the system's tz database "
                     "(an IANA name such as Europe/London or UTC)",
                     k->name, Q(v, q));
        return -1;
    }
    tz_free(tz);
    memcpy(ld->c->daily_timezone, v, strlen(v) + 1);
    return 0;
}

/* A duration: a number of seconds, or numbers with units h, m, s in that
 * order ("6h", "90m", "1h30m", "45s"). */
static int set_daily_grace(Loader *ld, const KeyDef *k, const char *v,
                           bool first)
{
    static const char units[] = "hms";
    static const long scale[] = {3600, 60, 1};
    char q[QUOTE_LEN];
    const char *p = v;
    long total = 0;
    size_t next_unit = 0;
    (void)first;

    while (*p) {
        if (!isdigit((unsigned char)*p))
            goto bad;
        long n = 0;
        while (isdigit((unsigned char)*p) && n <= 86400)
            n = n * 10 + (*p++ - '0');
        if (n > 86400)
            goto range;
        if (*p == '\0' && p == v + strspn(v, "0123456789")) {
            total = n; /* bare seconds */
            break;
        }
        const char *u = *p ? strchr(units + next_unit, *p) : NULL;
        if (u == NULL)
            goto bad;
        next_unit = (size_t)(u - units) + 1;
        total += n * scale[u - units];
        if (total > 86400)
            goto range;
        p++;
    }
    if (p == v)
        goto bad;
    ld->c->daily_grace = (int)total;
    return 0;
bad:
    loader_error(ld,
                 "%s: '%s' is not a duration (seconds, or e.g. 6h, 90m, "
                 "1h30m, 45s)",
                 k->name, Q(v, q));
    return -1;
range:
    loader_error(ld, "%s: '%s' is longer than a day (24h)", k->name, Q(v, q));
    return -1;
}

static const char *check_template(const char *v)
{
    if (has_control(v))
        return "control characters are not allowed";
    if (!utf8_valid(v, strlen(v), NULL))
        return "not valid UTF-8";
    return NULL;
}

/* ---- printers ----------------------------------------------------------- */

/* "key = value"; a value starting with ';' is glued to '=' so inih does not
 * take it for an inline comment. */
static void print_kv(FILE *out, const char *name, const char *v)
{
    fprintf(out, "%s =%s%s\n", name, *v == ';' || *v == '\0' ? "" : " ", v);
}

static void print_int(const KeyDef *k, const Config *c, FILE *out)
{
    fprintf(out, "%s = %d\n", k->name, *CFIELD(c, k, int));
}

static void print_bool(const KeyDef *k, const Config *c, FILE *out)
{
    print_kv(out, k->name, *CFIELD(c, k, bool) ? "yes" : "no");
}

static void print_str(const KeyDef *k, const Config *c, FILE *out)
{
    print_kv(out, k->name, CFIELD(c, k, char));
}

static void print_log_level(const KeyDef *k, const Config *c, FILE *out)
{
    print_kv(out, k->name, log_level_name(c->log_level));
}

static void print_password_file(const KeyDef *k, const Config *c, FILE *out)
{
    if (c->password_file[0] == '\0')
        fprintf(out, "%s =\n", k->name);
    else if (c->password == NULL)
        print_kv(out, k->name, c->password_file);
    else
        fprintf(out, "%s = %s  ; password: " MASKED " (%zu bytes)\n", k->name,
                c->password_file, strlen(c->password));
}

static void print_sasl_password_file(const KeyDef *k, const Config *c,
                                     FILE *out)
{
    if (c->sasl_password_file[0] == '\0')
        fprintf(out, "%s =\n", k->name);
    else if (c->sasl_password == NULL)
        print_kv(out, k->name, c->sasl_password_file);
    else
        fprintf(out, "%s = %s  ; password: " MASKED " (%zu bytes)\n", k->name,
                c->sasl_password_file, strlen(c->sasl_password));
}

static void print_sasl(const KeyDef *k, const Config *c, FILE *out)
{
    print_kv(out, k->name, sasl_names[c->sasl]);
}

/* Lists wrap onto repeated "key = a, b" lines, which load as one list. */
typedef struct {
    FILE *out;
    const char *name;
    size_t used; /* columns on the open line; 0 = none */
} ListPrinter;

static void list_put(ListPrinter *lp, const char *a, const char *b)
{
    size_t n = strlen(a) + (b != NULL ? 1 + strlen(b) : 0);
    if (lp->used > 0 && lp->used + 2 + n > PRINT_LINE_MAX) {
        fputc('\n', lp->out);
        lp->used = 0;
    }
    if (lp->used == 0) {
        fprintf(lp->out, "%s = ", lp->name);
        lp->used = strlen(lp->name) + 3;
    } else {
        fputs(", ", lp->out);
        lp->used += 2;
    }
    fprintf(lp->out, "%s%s%s", a, b != NULL ? " " : "", b != NULL ? b : "");
    lp->used += n;
}

static void list_end(ListPrinter *lp)
{
    if (lp->used == 0)
        fprintf(lp->out, "%s =\n", lp->name);
    else
        fputc('\n', lp->out);
}

/* A list of count names stored stride bytes apart (a char[][N] field). */
static void print_names(const KeyDef *k, FILE *out, const char *first,
                        size_t stride, size_t count)
{
    ListPrinter lp = {out, k->name, 0};
    for (size_t i = 0; i < count; i++) list_put(&lp, first + i * stride, NULL);
    list_end(&lp);
}

static void print_alt_nicks(const KeyDef *k, const Config *c, FILE *out)
{
    print_names(k, out, c->alt_nicks[0], sizeof c->alt_nicks[0],
                c->alt_nick_count);
}

static void print_channels(const KeyDef *k, const Config *c, FILE *out)
{
    ListPrinter lp = {out, k->name, 0};
    for (size_t i = 0; i < c->channel_count; i++)
        list_put(&lp, c->channels[i].name,
                 c->channels[i].key[0] != '\0' ? MASKED : NULL);
    list_end(&lp);
}

static void print_masks(const KeyDef *k, const Config *c, FILE *out)
{
    const ConfigMasks *m = CFIELD(c, k, ConfigMasks);
    ListPrinter lp = {out, k->name, 0};
    for (size_t i = 0; i < m->n; i++) list_put(&lp, m->v[i], NULL);
    list_end(&lp);
}

static void print_daily_channels(const KeyDef *k, const Config *c, FILE *out)
{
    print_names(k, out, c->daily_channels[0], sizeof c->daily_channels[0],
                c->daily_channel_count);
}

static void print_daily_time(const KeyDef *k, const Config *c, FILE *out)
{
    fprintf(out, "%s = %02d:%02d\n", k->name, c->daily_hour, c->daily_minute);
}

static void print_daily_grace(const KeyDef *k, const Config *c, FILE *out)
{
    int g = c->daily_grace;
    fprintf(out, "%s = ", k->name);
    if (g == 0)
        fputs("0", out);
    if (g / 3600)
        fprintf(out, "%dh", g / 3600);
    if (g / 60 % 60)
        fprintf(out, "%dm", g / 60 % 60);
    if (g % 60)
        fprintf(out, "%ds", g % 60);
    fputc('\n', out);
}

/* ---- the key table ------------------------------------------------------ */

#define KEY_INT(s, n, f, lo, hi)                                     \
    {                                                                \
        .section = s, .name = n, .set = set_int, .print = print_int, \
        .off = offsetof(Config, f), .min = lo, .max = hi             \
    }
#define KEY_STR(s, n, f, chk)                                            \
    {                                                                    \
        .section = s, .name = n, .set = set_str, .print = print_str,     \
        .off = offsetof(Config, f), .len = sizeof(((Config *)0)->f) - 1, \
        .check = chk                                                     \
    }
#define KEY_FN(s, n, f, setter, printer)                          \
    {                                                             \
        .section = s, .name = n, .set = setter, .print = printer, \
        .off = offsetof(Config, f)                                \
    }
#define KEY_LIST(s, n, f, setter, printer)                        \
    {                                                             \
        .section = s, .name = n, .set = setter, .print = printer, \
        .off = offsetof(Config, f), .list = true                  \
    }

/* The same, for keys that may be set to "" (no password, no pin, ...). */
#define KEY_STR_OPT(s, n, f, chk)                                        \
    {                                                                    \
        .section = s, .name = n, .set = set_str, .print = print_str,     \
        .off = offsetof(Config, f), .len = sizeof(((Config *)0)->f) - 1, \
        .check = chk, .may_be_empty = true                               \
    }
#define KEY_FN_OPT(s, n, f, setter, printer)                      \
    {                                                             \
        .section = s, .name = n, .set = setter, .print = printer, \
        .off = offsetof(Config, f), .may_be_empty = true          \
    }

#define KEY_PATH(s, n, f)                                                 \
    {                                                                     \
        .section = s, .name = n, .set = set_tls_path, .print = print_str, \
        .off = offsetof(Config, f), .may_be_empty = true                  \
    }

static const KeyDef keys[] = {
    KEY_STR("irc", "server", server, check_host),
    KEY_INT("irc", "port", port, 1, 65535),
    KEY_STR("irc", "nick", nick, check_nick),
    KEY_LIST("irc", "alt_nicks", alt_nicks, set_alt_nicks, print_alt_nicks),
    KEY_STR("irc", "username", username, check_username),
    KEY_STR("irc", "realname", realname, check_realname),
    KEY_LIST("irc", "channels", channels, set_channels, print_channels),
    KEY_FN_OPT("irc", "password_file", password_file, set_password_file,
               print_password_file),
    KEY_INT("irc", "ping_interval", ping_interval, 10, 3600),
    KEY_INT("irc", "ping_timeout", ping_timeout, 5, 3600),
    KEY_INT("irc", "reconnect_min", reconnect_min, 1, 3600),
    KEY_INT("irc", "reconnect_max", reconnect_max, 1, 86400),
    KEY_FN("irc", "tls", tls, set_bool, print_bool),
    KEY_FN("irc", "tls_verify", tls_verify, set_bool, print_bool),
    KEY_PATH("irc", "tls_ca_file", tls_ca_file),
    KEY_STR_OPT("irc", "tls_fingerprint", tls_fingerprint, check_fingerprint),
    KEY_PATH("irc", "tls_cert", tls_cert),
    KEY_PATH("irc", "tls_key_file", tls_key_file),
    KEY_FN("irc", "sasl", sasl, set_sasl, print_sasl),
    KEY_STR_OPT("irc", "sasl_username", sasl_username, check_sasl_username),
    KEY_FN_OPT("irc", "sasl_password_file", sasl_password_file,
               set_sasl_password_file, print_sasl_password_file),
    KEY_FN("irc", "sasl_required", sasl_required, set_bool, print_bool),

    KEY_STR("bot", "prefix", prefix, check_prefix),
    KEY_FN("bot", "database", database, set_database, print_str),
    KEY_FN("bot", "data_dir", data_dir, set_data_dir, print_str),
    KEY_FN("bot", "answer_addressed", answer_addressed, set_bool, print_bool),
    KEY_FN("bot", "log_level", log_level, set_log_level, print_log_level),
    KEY_INT("bot", "more_expiry", more_expiry, 10, 86400),
    KEY_INT("bot", "max_lines", max_lines, 1, 10),

    KEY_INT("flood", "burst", flood_burst, 1, 20),
    KEY_INT("flood", "interval_ms", flood_interval_ms, 100, 60000),
    KEY_INT("flood", "queue_max", flood_queue_max, 10, 10000),

    KEY_INT("limits", "user_burst", user_burst, 1, 100),
    KEY_INT("limits", "user_interval", user_interval, 1, 3600),
    KEY_INT("limits", "channel_burst", channel_burst, 1, 100),
    KEY_INT("limits", "channel_interval", channel_interval, 1, 3600),
    KEY_INT("limits", "private_burst", private_burst, 1, 100),
    KEY_INT("limits", "private_interval", private_interval, 1, 3600),
    KEY_LIST("limits", "ignore", ignore, set_masks, print_masks),

    KEY_LIST("admin", "owners", owners, set_masks, print_masks),

    KEY_LIST("daily", "channels", daily_channels, set_daily_channels,
             print_daily_channels),
    KEY_FN("daily", "time", daily_hour, set_daily_time, print_daily_time),
    KEY_FN("daily", "timezone", daily_timezone, set_daily_timezone, print_str),
    KEY_FN("daily", "grace", daily_grace, set_daily_grace, print_daily_grace),
    KEY_STR_OPT("daily", "template", daily_template, check_template),
};
#define KEY_COUNT (sizeof keys / sizeof keys[0])
_Static_assert(KEY_COUNT <= KEYS_MAX, "raise KEYS_MAX");

static const KeyDef *key_find(const char *section, const char *name)
{
    for (size_t i = 0; i < KEY_COUNT; i++) /* O(N) over ~30 keys: fine */
        if (strcmp(keys[i].section, section) == 0 &&
            strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* ---- reading ------------------------------------------------------------ */

/* "[name]" possibly followed by a comment. */
static void loader_section(Loader *ld, char *line)
{
    char q[QUOTE_LEN];
    char *end = strchr(line, ']');

    ld->section = SECTION_UNKNOWN; /* its keys are skipped, not reported */
    if (end == NULL) {
        loader_error(ld, "missing ']' in section header");
        return;
    }
    char *name = line + 1, *rest = end + 1;
    while (isspace((unsigned char)*name)) name++;
    while (end > name && isspace((unsigned char)end[-1])) end--;
    *end = '\0';
    while (isspace((unsigned char)*rest)) rest++;
    if (*rest != '\0' && *rest != ';' && *rest != '#') {
        loader_error(ld, "unexpected text after ']'");
        return;
    }
    for (size_t i = 0; i < SECTION_COUNT; i++) {
        if (strcmp(name, sections[i]) == 0) {
            ld->section = (int)i;
            return;
        }
    }
    loader_error(ld,
                 "unknown section [%s] (known: irc, bot, flood, limits, "
                 "admin, daily)",
                 Q(name, q));
}

/* Whether inih will find '=' or ':' before an inline comment (" ;"). */
static bool has_separator(const char *s)
{
    bool was_space = false;
    for (; *s; s++) {
        if (*s == '=' || *s == ':')
            return true;
        if (was_space && *s == ';')
            return false;
        was_space = isspace((unsigned char)*s);
    }
    return false;
}

/* inih's fgets: one file line per call, so ld->lineno is the line of the
 * pair inih passes to the handler next.  Lines inih must not see are
 * returned empty, which it skips. */
static char *loader_read(char *str, int num, void *stream)
{
    Loader *ld = stream;

    errno = 0;
    ssize_t got = getline(&ld->buf, &ld->bufcap, ld->in);
    if (got < 0) {
        if (ferror(ld->in))
            ld->read_errno = errno != 0 ? errno : EIO;
        return NULL;
    }
    ld->lineno++;
    str[0] = '\0';

    char *line = ld->buf;
    size_t len = (size_t)got;
    if (memchr(line, '\0', len) != NULL) {
        loader_error(ld, "NUL byte in line");
        return str;
    }
    if (ld->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    while (len > 0 && isspace((unsigned char)line[len - 1])) line[--len] = '\0';
    while (isspace((unsigned char)*line)) {
        line++;
        len--;
    }

    if (len == 0 || *line == ';' || *line == '#')
        return str;
    if (*line == '[') {
        loader_section(ld, line);
        return str;
    }
    if (ld->section == SECTION_UNKNOWN)
        return str;
    if (!has_separator(line)) {
        loader_error(ld, "expected 'key = value' or '[section]'");
        return str;
    }
    if (num < 3 || len > (size_t)num - 2) {
        loader_error(ld, "line too long (at most %d characters)", num - 2);
        return str;
    }
    memcpy(str, line, len);
    memcpy(str + len, "\n", 2);
    return str;
}

static int loader_handle(void *user, const char *section, const char *name,
                         const char *value)
{
    Loader *ld = user;
    char q[QUOTE_LEN];
    (void)section; /* tracked by loader_read */

    if (*name == '\0') {
        loader_error(ld, "missing key name before '='");
        return 1;
    }
    if (strcmp(name, "sasl_password") == 0) {
        loader_error(ld, "sasl_password: no passwords in the config file; "
                         "put it in a file of its own and set "
                         "sasl_password_file to its path");
        return 1;
    }
    if (strcmp(name, "password") == 0) {
        loader_error(ld,
                     "password: no passwords in the config file; put it "
                     "in a file of its own and set password_file to its path");
        return 1;
    }
    if (ld->section == SECTION_NONE) {
        loader_error(ld, "key '%s' before any [section]", Q(name, q));
        return 1;
    }
    const KeyDef *k = key_find(sections[ld->section], name);
    if (k == NULL) {
        loader_error(ld, "unknown key '%s' in [%s]", Q(name, q),
                     sections[ld->section]);
        return 1;
    }
    size_t i = (size_t)(k - keys);
    if (ld->seen[i] != 0 && !k->list) {
        loader_error(ld, "duplicate key '%s' (first set on line %d)", k->name,
                     ld->seen[i]);
        return 1;
    }
    if (*value == '\0' && !k->list && !k->may_be_empty) {
        loader_error(ld, "%s: empty value", k->name);
        return 1;
    }
    bool first = ld->seen[i] == 0;
    ld->seen[i] = ld->lineno;
    k->set(ld, k, value, first);
    return 1; /* errors are collected, never fatal to inih */
}

/* The line that set section.name, 0 when it kept its default. */
static int key_line(const Loader *ld, const char *section, const char *name)
{
    const KeyDef *k = key_find(section, name);
    return k != NULL ? ld->seen[k - keys] : 0;
}

static void derive_alt_nicks(Config *c)
{
    static const char *const suffixes[] = {"_", "__"};
    c->alt_nick_count = 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        int keep = (int)(CONFIG_NICK_LEN - strlen(suffixes[i]));
        snprintf(c->alt_nicks[c->alt_nick_count++], sizeof c->alt_nicks[0],
                 "%.*s%s", keep, c->nick, suffixes[i]);
    }
}

/* What depends on several keys, once the whole file is read. */
static void loader_finish(Loader *ld)
{
    Config *c = ld->c;

    if (key_line(ld, "irc", "alt_nicks") == 0)
        derive_alt_nicks(c);
    if (key_line(ld, "bot", "database") == 0) {
        char rel[sizeof c->database];
        memcpy(rel, c->database, sizeof rel);
        loader_path(ld, key_find("bot", "database"), rel, c->database,
                    sizeof c->database, 0);
    }
    /* Posting needs the bot in the channel: only an owner's join would put
     * it in one [irc] does not list.  Loads, with a warning. */
    for (size_t i = 0; i < c->daily_channel_count; i++) {
        bool joined = false;
        for (size_t j = 0; !joined && j < c->channel_count; j++)
            joined =
                casefold_cmp(c->daily_channels[i], c->channels[j].name) == 0;
        if (!joined && ld->err != NULL && ld->nerrors == 0)
            error_report(ld->err, SEVERITY_WARNING,
                         "%s:%d: channels: '%s' is not in [irc] channels: the "
                         "passage of the day is posted there only while an "
                         "owner has the bot join it",
                         ld->path, key_line(ld, "daily", "channels"),
                         c->daily_channels[i]);
    }
    if (key_line(ld, "irc", "tls") == 0)
        c->tls = c->port == 6697; /* the IANA port of IRC over TLS */
    if (!c->tls) {
        /* A setting that would do nothing is a mistake worth a line; the
         * empty values config_print writes are not. */
        static const char *const needs_tls[] = {"tls_ca_file",
                                                "tls_fingerprint", "tls_cert"};
        const char *const vals[] = {c->tls_ca_file, c->tls_fingerprint,
                                    c->tls_cert};
        for (size_t i = 0; i < sizeof needs_tls / sizeof needs_tls[0]; i++)
            if (vals[i][0] != '\0')
                loader_error_at(ld, key_line(ld, "irc", needs_tls[i]),
                                "%s is set but tls = no", needs_tls[i]);
    }
    if (c->tls && c->tls_cert[0]) /* its key (maybe in it) is a secret */
        loader_secret_ahead(ld);
    if (c->tls_key_file[0] && !c->tls_cert[0])
        loader_error_at(ld, key_line(ld, "irc", "tls_key_file"),
                        "tls_key_file is set but tls_cert is not");
    if (c->sasl == CONFIG_SASL_PLAIN &&
        (!c->sasl_username[0] || !c->sasl_password_file[0]))
        loader_error_at(ld, key_line(ld, "irc", "sasl"),
                        "sasl = plain needs sasl_username and "
                        "sasl_password_file");
    if (c->sasl == CONFIG_SASL_EXTERNAL && (!c->tls || !c->tls_cert[0]))
        loader_error_at(ld, key_line(ld, "irc", "sasl"),
                        "sasl = external needs tls = yes and tls_cert (the "
                        "client certificate is the credential)");
    if (c->reconnect_min > c->reconnect_max) {
        int a = key_line(ld, "irc", "reconnect_min");
        int b = key_line(ld, "irc", "reconnect_max");
        loader_error_at(ld, a > b ? a : b,
                        "reconnect_min (%d) is greater than reconnect_max (%d)",
                        c->reconnect_min, c->reconnect_max);
    }
}

/* ---- public ------------------------------------------------------------- */

void config_defaults(Config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->server, sizeof c->server, "127.0.0.1");
    c->port = 6667;
    snprintf(c->nick, sizeof c->nick, "missive");
    derive_alt_nicks(c);
    snprintf(c->username, sizeof c->username, "missive");
    snprintf(c->realname, sizeof c->realname, "Missive, letters of 1941");
    c->ping_interval = 120;
    c->ping_timeout = 60;
    c->reconnect_min = 2;
    c->reconnect_max = 300;
    c->tls = false; /* port 6667; loading a file with port 6697 turns it on */
    c->tls_verify = true;
    c->sasl = CONFIG_SASL_NO;
    c->sasl_required = true;

    snprintf(c->prefix, sizeof c->prefix, "!");
    paths_default_database(c->database, sizeof c->database);
    snprintf(c->data_dir, sizeof c->data_dir, "%s", paths_data_dir());
    c->answer_addressed = true;
    c->log_level = SEVERITY_INFO;
    c->more_expiry = 600;
    c->max_lines = 3;

    c->flood_burst = 4;
    c->flood_interval_ms = 1100;
    c->flood_queue_max = 200;

    c->user_burst = 3;
    c->user_interval = 10;
    c->channel_burst = 6;
    c->channel_interval = 4;
    c->private_burst = 6;
    c->private_interval = 4;

    c->daily_hour = 9;
    c->daily_minute = 0;
    snprintf(c->daily_timezone, sizeof c->daily_timezone, "UTC");
    c->daily_grace = 6 * 3600;
}

Status config_load(const char *path, Config *c, Error *err)
{
    Loader *ld = calloc(1, sizeof *ld);
    Config *tmp = malloc(sizeof *tmp);
    Status st = STATUS_ERROR;

    if (ld == NULL || tmp == NULL) {
        error_report(err, SEVERITY_ERROR, "%s: out of memory", path);
        goto done;
    }
    config_defaults(tmp);
    ld->c = tmp;
    ld->path = path;
    ld->err = err;
    ld->section = SECTION_NONE;

    ld->in = fopen(path, "r");
    if (ld->in == NULL) {
        loader_error_at(ld, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    if (loader_set_dir(ld) < 0) {
        st = STATUS_INVALID;
        goto done;
    }

    int bad = ini_parse_stream(loader_read, ld, loader_handle, ld);
    if (bad == -2) {
        loader_error_at(ld, 0, "out of memory");
        ld->failed = true;
    } else if (bad != 0) { /* loader_read screens lines: not expected */
        loader_error_at(ld, bad, "syntax error");
    }
    if (ld->read_errno != 0) {
        loader_error_at(ld, 0, "read error: %s", strerror(ld->read_errno));
        ld->failed = true;
    }
    loader_finish(ld);

    if (ld->nerrors > CONFIG_MAX_ERRORS)
        error_report(err, SEVERITY_ERROR, "%s: %d more errors not shown", path,
                     ld->nerrors - CONFIG_MAX_ERRORS);
    if (ld->nerrors == 0) {
        config_free(c);
        *c = *tmp;
        free(tmp);
        tmp = NULL;
        st = STATUS_OK;
    } else {
        st = ld->failed ? STATUS_ERROR : STATUS_INVALID;
    }
done:
    if (tmp != NULL) {
        config_free(tmp);
        free(tmp);
    }
    if (ld != NULL) {
        if (ld->in != NULL)
            fclose(ld->in);
        free(ld->buf);
        free(ld);
    }
    return st;
}

static void masks_free(ConfigMasks *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

void config_free(Config *c)
{
    if (c == NULL)
        return;
    masks_free(&c->ignore);
    masks_free(&c->owners);
    if (c->password != NULL) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
        c->password = NULL;
    }
    if (c->sasl_password != NULL) {
        explicit_bzero(c->sasl_password, strlen(c->sasl_password));
        free(c->sasl_password);
        c->sasl_password = NULL;
    }
}

void config_print(const Config *c, FILE *out)
{
    const char *section = NULL;

    fputs("; Missive: effective configuration (secrets masked)\n", out);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        if (section == NULL || strcmp(section, keys[i].section) != 0) {
            section = keys[i].section;
            fprintf(out, "\n[%s]\n", section);
        }
        keys[i].print(&keys[i], c, out);
    }
}
