/*
 * ctl_msg.h: pure framing for the control protocol (ctl_proto.h): build a
 * message into a buffer, validate a received header and payload size.
 * Reassembly of partial reads is left to the caller's buffer (libevent's
 * evbuffer in the daemons, blocking reads in carpctl).
 */
#ifndef CARPSYNC_CTL_MSG_H
#define CARPSYNC_CTL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

/*
 * Write header + payload into out (capacity cap). Returns the total length,
 * or 0 if it does not fit or exceeds CTL_MAX_MSG.
 */
size_t	ctl_msg_build(void *out, size_t cap, uint32_t type, uint32_t seq,
	    const void *payload, size_t plen);

/*
 * Decode and check a header read from the first 16 bytes of raw.
 * Returns 0 and fills hdr, or -1 with *why set (length below the header,
 * above CTL_MAX_MSG).
 */
int	ctl_hdr_decode(const void *raw, struct ctl_hdr *hdr, const char **why);

/*
 * Check a complete message's payload size against its type.
 * Returns 0, or -1 with *why ("unknown type", "bad payload size").
 * Also checks that the NUL-terminated strings in the payload are terminated.
 */
int	ctl_msg_check(const struct ctl_hdr *hdr, const void *payload,
	    const char **why);

/* Name of a message type for logs ("STATUS"), "UNKNOWN" if out of range. */
const char *ctl_type_name(uint32_t type);
const char *ctl_err_name(uint32_t code);

/* Copy a C string into a fixed ctl name field, NUL-padded; -1 if too long. */
int	ctl_strlcpy(char *dst, const char *src, size_t size);

#endif
