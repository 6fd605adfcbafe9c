/*
 * ctl_client.h: blocking control-socket client for carpctl (and any tool
 * that must not depend on libevent). Framing and validation are ctl_msg.c's;
 * this file adds only the socket I/O.
 */
#ifndef CARPSYNC_CTL_CLIENT_H
#define CARPSYNC_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

/*
 * Connect to the AF_UNIX stream socket at path (SOCK_CLOEXEC). Returns the
 * fd, or -1 with errno set (ENAMETOOLONG if path does not fit sun_path).
 */
int	ctl_client_connect(const char *path);

/*
 * Send one message (header + plen bytes of payload), retrying short writes
 * and EINTR; SIGPIPE is never raised. Returns 0, or -1 with errno set
 * (EMSGSIZE if the message exceeds CTL_MAX_MSG).
 */
int	ctl_client_send(int fd, uint32_t type, uint32_t seq,
	    const void *payload, size_t plen);

/*
 * Read one complete message within timeout_ms overall (< 0: no limit).
 * payload must hold CTL_MAX_MSG bytes. The message is validated with
 * ctl_hdr_decode() and ctl_msg_check().
 * Returns 1 (a message is in hdr/payload), 0 (clean EOF before any byte of
 * a message), or -1 (error, timeout, EOF inside a message, or an invalid
 * message) with *why set to a readable reason.
 */
int	ctl_client_recv(int fd, struct ctl_hdr *hdr, void *payload,
	    int timeout_ms, const char **why);

#endif
