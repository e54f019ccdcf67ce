/* notify.h - the service manager's readiness and watchdog protocol
 * (sd_notify), spoken directly.
 *
 * The protocol is one datagram of "KEY=value" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET, and the watchdog period is $WATCHDOG_USEC
 * (for $WATCHDOG_PID, when set).  Speaking it here rather than linking
 * libsystemd keeps that library and the six it pulls in (gcrypt, lz4,
 * zstd, lzma, cap, gpg-error: about 1 MB of a 4 MB daemon's RSS) out of
 * the process; systemd documents the protocol as stable for this use.
 */
#ifndef MISSIVE_NOTIFY_H
#define MISSIVE_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", ...) when $NOTIFY_SOCKET is set;
 * silent otherwise, and on any failure (the manager may be gone). */
void notify_send(const char *state);

/* The watchdog period in microseconds asked of this process, or 0 when
 * none ($WATCHDOG_USEC unset, not a number, or $WATCHDOG_PID another
 * process). */
uint64_t notify_watchdog_usec(void);

#endif
