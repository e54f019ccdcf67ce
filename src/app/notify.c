/* notify.c - sd_notify without libsystemd (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len;
    int fd;

    if (path == NULL || (path[0] != '/' && path[0] != '@'))
        return;
    len = strlen(path);
    if (len >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* an abstract socket: no NUL at the end */
    else
        len++; /* a path: the address includes its NUL */
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    /* One datagram, never blocking the loop: a full queue drops it, as
     * libsystemd's would fail it; the next watchdog ping comes soon. */
    (void)sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
                 (const struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    close(fd);
}

/* A decimal number with nothing after it; 0 when it is not one. */
static uint64_t notify_number(const char *s)
{
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return 0;
    return (uint64_t)v;
}

uint64_t notify_watchdog_usec(void)
{
    const char *pid = getenv("WATCHDOG_PID");
    if (pid != NULL && notify_number(pid) != (uint64_t)getpid())
        return 0;
    return notify_number(getenv("WATCHDOG_USEC"));
}
