/* echobot.c - the latency baseline for bench/latency.py.
 *
 * The smallest libircclient bot that does what Missive does on the wire:
 * connect, join one channel, and answer every "!quote" said there with one
 * fixed line, at once (no queue, no rate limit, no database).  Whatever
 * Missive adds on top of this is its own cost.
 *
 * usage: echobot HOST PORT NICK CHANNEL   (HOST must be a loopback address)
 */
#include <libircclient.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHOBOT_REPLY "Echo: a fixed line, the same every time."
#define ECHOBOT_CHANLEN 64

static char echobot_channel[ECHOBOT_CHANLEN];

static void echobot_on_connect(irc_session_t *s, const char *event,
                               const char *origin, const char **params,
                               unsigned int count)
{
    (void)event;
    (void)origin;
    (void)params;
    (void)count;
    if (irc_cmd_join(s, echobot_channel, NULL) != 0)
        fprintf(stderr, "echobot: join: %s\n", irc_strerror(irc_errno(s)));
}

static void echobot_on_channel(irc_session_t *s, const char *event,
                               const char *origin, const char **params,
                               unsigned int count)
{
    (void)event;
    (void)origin;
    if (count < 2 || params[0] == NULL || params[1] == NULL)
        return;
    if (strncmp(params[1], "!quote", 6) != 0 ||
        (params[1][6] != '\0' && params[1][6] != ' '))
        return;
    if (irc_cmd_msg(s, params[0], ECHOBOT_REPLY) != 0)
        fprintf(stderr, "echobot: msg: %s\n", irc_strerror(irc_errno(s)));
}

int main(int argc, char **argv)
{
    irc_callbacks_t cb;
    irc_session_t *s = NULL;
    char *end = NULL;
    long port;
    int rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: echobot HOST PORT NICK CHANNEL\n");
        return 2;
    }
    if (strcmp(argv[1], "127.0.0.1") != 0 && strcmp(argv[1], "::1") != 0 &&
        strcmp(argv[1], "localhost") != 0) {
        fprintf(stderr, "echobot: benchmark bot, loopback addresses only\n");
        return 2;
    }
    port = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "echobot: bad port '%s'\n", argv[2]);
        return 2;
    }
    if (snprintf(echobot_channel, sizeof echobot_channel, "%s", argv[4]) >=
        (int)sizeof echobot_channel) {
        fprintf(stderr, "echobot: channel name too long\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    memset(&cb, 0, sizeof cb);
    cb.event_connect = echobot_on_connect;
    cb.event_channel = echobot_on_channel;
    s = irc_create_session(&cb);
    if (s == NULL) {
        fprintf(stderr, "echobot: irc_create_session failed\n");
        goto fail;
    }
    if (irc_connect(s, argv[1], (unsigned short)port, NULL, argv[3], "echobot",
                    "echo baseline") != 0) {
        fprintf(stderr, "echobot: connect: %s\n", irc_strerror(irc_errno(s)));
        goto fail;
    }
    /* irc_run returns only when the connection ends (the bench kills us). */
    if (irc_run(s) != 0)
        fprintf(stderr, "echobot: %s\n", irc_strerror(irc_errno(s)));
    rc = 0;
fail:
    if (s != NULL)
        irc_destroy_session(s);
    return rc;
}
