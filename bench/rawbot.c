/* rawbot.c - the floor of bench/latency.py: an IRC bot with no library.
 *
 * One TCP socket, blocking reads, a few lines of parsing: register, join one
 * channel, answer PING, and answer every "!quote" said there with one fixed
 * line at once.  No event loop, no queue, no rate limit, no database, no
 * allocation after start: whatever libircclient's echobot adds on top of
 * this is the library's cost, and whatever Missive adds is Missive's.
 *
 * usage: rawbot HOST PORT NICK CHANNEL   (HOST must be a loopback address)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAWBOT_REPLY "Raw: a fixed line, the same every time."
#define RAWBOT_LINE 512
#define RAWBOT_BUF 8192

/* Writes all of buf; -1 on error. */
static int rawbot_send(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

static int rawbot_sendf(int fd, const char *a, const char *b, const char *c)
{
    char out[RAWBOT_LINE + 1];
    int n = snprintf(out, sizeof out, "%s%s%s\r\n", a, b, c);
    if (n < 0 || (size_t)n >= sizeof out)
        return -1;
    return rawbot_send(fd, out, (size_t)n);
}

/* One line without its CR LF.  Only what the bench needs: PING, the end of
 * registration (001) and "PRIVMSG <channel> :!quote[ ...]". */
static int rawbot_line(int fd, char *line, const char *channel)
{
    char *p = line;
    if (*p == ':') { /* the prefix is not needed */
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    if (strncmp(p, "PING ", 5) == 0)
        return rawbot_sendf(fd, "PONG ", p + 5, "");
    if (strncmp(p, "001 ", 4) == 0)
        return rawbot_sendf(fd, "JOIN ", channel, "");
    if (strncmp(p, "PRIVMSG ", 8) != 0)
        return 0;
    p += 8;
    size_t clen = strlen(channel);
    if (strncmp(p, channel, clen) != 0 || strncmp(p + clen, " :", 2) != 0)
        return 0;
    p += clen + 2;
    if (strncmp(p, "!quote", 6) != 0 || (p[6] != '\0' && p[6] != ' '))
        return 0;
    return rawbot_sendf(fd, "PRIVMSG ", channel, " :" RAWBOT_REPLY);
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char buf[RAWBOT_BUF];
    size_t have = 0;
    char *end = NULL;
    long port;
    int one = 1, fd;

    if (argc != 5) {
        fprintf(stderr, "usage: rawbot HOST PORT NICK CHANNEL\n");
        return 2;
    }
    if (strcmp(argv[1], "127.0.0.1") != 0) {
        fprintf(stderr, "rawbot: benchmark bot, 127.0.0.1 only\n");
        return 2;
    }
    port = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "rawbot: bad port '%s'\n", argv[2]);
        return 2;
    }
    if (strlen(argv[3]) > 30 || strlen(argv[4]) > 50) {
        fprintf(stderr, "rawbot: nick or channel too long\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("rawbot: connect");
        return 1;
    }
    /* As libircclient and Missive's transport do: each line goes out at
     * once. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rawbot_sendf(fd, "NICK ", argv[3], "") < 0 ||
        rawbot_sendf(fd, "USER rawbot 0 * :", "raw baseline", "") < 0) {
        perror("rawbot: send");
        return 1;
    }
    for (;;) {
        ssize_t r = recv(fd, buf + have, sizeof buf - have - 1, 0);
        if (r <= 0)
            break; /* the server closed, or the bench killed it */
        have += (size_t)r;
        buf[have] = '\0';
        char *start = buf, *nl;
        while ((nl = strchr(start, '\n')) != NULL) {
            *nl = '\0';
            if (nl > start && nl[-1] == '\r')
                nl[-1] = '\0';
            if (rawbot_line(fd, start, argv[4]) < 0) {
                perror("rawbot: send");
                close(fd);
                return 1;
            }
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf - 1)
            have = 0; /* a line longer than any IRC line: dropped */
    }
    close(fd);
    return 0;
}
