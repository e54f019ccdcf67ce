/* config.h - the daemon's INI configuration: defaults, loading, printing.
 *
 * config/missive.conf documents every key.  Loading is all-or-nothing: every
 * problem is reported as "FILE:LINE: message" (up to CONFIG_MAX_ERRORS of
 * them, so an operator fixes them in one go) and the caller's Config is only
 * replaced when the whole file is valid.  The server password never appears
 * in the file itself: password_file names a file whose first line is read at
 * load time and kept in memory only; config_print masks it and channel keys.
 * sasl_password_file works the same way for the SASL PLAIN password.
 */
#ifndef MISSIVE_CONFIG_H
#define MISSIVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Sizes are in bytes, not counting the NUL. */
#define CONFIG_HOST_LEN 253 /* longest DNS name (RFC 1035) */
#define CONFIG_NICK_LEN 30  /* common NICKLEN; RFC 2812 says 9 */
#define CONFIG_ALT_NICKS_MAX 8
#define CONFIG_USER_LEN 32 /* servers cut to their USERLEN (often 10) */
#define CONFIG_REALNAME_LEN 128
#define CONFIG_CHANNEL_LEN 50 /* RFC 2812 section 1.3 */
#define CONFIG_KEY_LEN 32     /* RFC 2812 says 23; InspIRCd allows 32 */
#define CONFIG_CHANNELS_MAX 50
#define CONFIG_PASSWORD_LEN 255
#define CONFIG_PREFIX_LEN 8
#define CONFIG_PATH_LEN 4095       /* PATH_MAX - 1 on Linux */
#define CONFIG_FINGERPRINT_LEN 103 /* "sha256:" and 32 hex pairs with ':' */
#define CONFIG_TZ_LEN 127          /* an IANA zone name (TZ_NAME_MAX - 1) */
#define CONFIG_TEMPLATE_LEN 200    /* [daily] template */
#define CONFIG_MAX_ERRORS 20       /* reported per load; the rest are counted */

typedef struct {
    char name[CONFIG_CHANNEL_LEN + 1]; /* "#missive" */
    char key[CONFIG_KEY_LEN + 1];      /* "" when the channel has none */
} ConfigChannel;

/* nick!user@host masks with * and ?, each valid for mask_compile (mask.h);
 * the array and its strings are owned by the Config. */
typedef struct {
    char **v;
    size_t n;
} ConfigMasks;

typedef struct {
    /* [irc] */
    char server[CONFIG_HOST_LEN + 1];
    int port;
    char nick[CONFIG_NICK_LEN + 1];
    char alt_nicks[CONFIG_ALT_NICKS_MAX][CONFIG_NICK_LEN + 1];
    size_t alt_nick_count;
    char username[CONFIG_USER_LEN + 1];
    char realname[CONFIG_REALNAME_LEN + 1];
    ConfigChannel channels[CONFIG_CHANNELS_MAX];
    size_t channel_count;
    char password_file[CONFIG_PATH_LEN + 1]; /* absolute; "" = no password */
    char *password;    /* heap, wiped by config_free; NULL = none */
    int ping_interval; /* seconds of silence before we PING */
    int ping_timeout;  /* seconds to wait for the PONG */
    int reconnect_min; /* seconds; doubles up to reconnect_max */
    int reconnect_max;
    /* TLS (the transport, src/irc/transport.h).  Paths are absolute. */
    bool tls;                              /* default: yes when port is 6697 */
    bool tls_verify;                       /* no: loudly logged opt-out */
    char tls_ca_file[CONFIG_PATH_LEN + 1]; /* "" = the system store */
    char tls_fingerprint[CONFIG_FINGERPRINT_LEN + 1]; /* SHA-256; "" none */
    char tls_cert[CONFIG_PATH_LEN + 1];     /* client certificate; "" none */
    char tls_key_file[CONFIG_PATH_LEN + 1]; /* its key; "" = in tls_cert */
    /* SASL before registration */
    enum { CONFIG_SASL_NO, CONFIG_SASL_PLAIN, CONFIG_SASL_EXTERNAL } sasl;
    char sasl_username[CONFIG_HOST_LEN + 1];
    char sasl_password_file[CONFIG_PATH_LEN + 1]; /* absolute; "" none */
    char *sasl_password; /* heap, wiped by config_free; NULL = none */
    bool sasl_required;  /* a SASL failure drops the connection */

    /* [bot] */
    char prefix[CONFIG_PREFIX_LEN + 1];
    char database[CONFIG_PATH_LEN + 1]; /* absolute after config_load */
    char data_dir[CONFIG_PATH_LEN + 1]; /* aliases.txt etc.; absolute */
    bool answer_addressed; /* answer "missive: query" in channels */
    Severity log_level;
    int more_expiry; /* seconds a !more continuation is kept */
    int max_lines;   /* lines of one answer sent before !more */

    /* [flood] the server-facing send queue */
    int flood_burst;       /* lines sent at once */
    int flood_interval_ms; /* per line once the burst is spent */
    int flood_queue_max;   /* lines queued in total */

    /* [limits] command rates: per user (user@host), per channel, and for
     * all private messages together */
    int user_burst;
    int user_interval; /* seconds per command after the burst */
    int channel_burst;
    int channel_interval;
    int private_burst;
    int private_interval;
    ConfigMasks ignore;

    /* [admin] */
    ConfigMasks owners;

    /* [daily] the quote of the day; no channels: none is posted */
    char daily_channels[CONFIG_CHANNELS_MAX][CONFIG_CHANNEL_LEN + 1];
    size_t daily_channel_count;
    int daily_hour, daily_minute;                 /* time = HH:MM */
    char daily_timezone[CONFIG_TZ_LEN + 1];       /* loads with tz_load */
    int daily_grace;                              /* seconds, 0..86400 */
    char daily_template[CONFIG_TEMPLATE_LEN + 1]; /* "" = none */
} Config;

/* Fills c with the built-in defaults (no allocation; config_free is then a
 * no-op).  c may be uninitialised. */
void config_defaults(Config *c);

/* Loads path on top of the defaults.  Returns STATUS_OK and replaces *c
 * (releasing its previous contents with config_free, so c must hold
 * config_defaults() output or an earlier successful load).  Otherwise *c is
 * untouched and every problem has gone to err (which may be NULL) as its own
 * SEVERITY_ERROR line "FILE:LINE: message" (or "FILE: message"), at most
 * CONFIG_MAX_ERRORS of them plus "FILE: N more errors not shown"; the status
 * is STATUS_INVALID when the file's contents are wrong, STATUS_ERROR when it
 * cannot be opened or read or memory ran out.  Relative paths in the file
 * are resolved against the file's directory. */
Status config_load(const char *path, Config *c, Error *err);

/* Releases the heap parts (masks, password, which is wiped first) and resets
 * them; the fixed fields are left as they are. */
void config_free(Config *c);

/* Writes the effective configuration as INI that config_load accepts, every
 * key included.  The password and channel keys are shown as "********". */
void config_print(const Config *c, FILE *out);

#endif
