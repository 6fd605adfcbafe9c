/*
 * keyfile.h: a 256-bit secret read from a file (syncd.conf(5) `keyfile`,
 * carpd.conf(5) `authkeyfile`): exactly 64 hexadecimal digits, optionally
 * one newline; a regular file owned by root or the daemon's user with no
 * group or other bits. Errors go to the config diagnostics as
 * "FILE:LINE: KEYWORD PATH: reason"; no part of a key is ever printed.
 */
#ifndef CARPSYNC_KEYFILE_H
#define CARPSYNC_KEYFILE_H

#include <stdint.h>

#include "conf_lex.h"

#define KEYFILE_KEY_LEN	32

/* Where a keyfile was named, for its error messages. */
struct keyfile_ref {
	struct conf_diag	*diag;
	const char		*file;		/* the config file naming it */
	int			 line;
	const char		*keyword;	/* "keyfile", "authkeyfile" */
	unsigned		 owner_uid;	/* allowed besides root; 0: none */
};

/* Check and read the keyfile at path into key; -1 (reported) if bad. */
int	keyfile_load(const struct keyfile_ref *, const char *path,
	    uint8_t key[KEYFILE_KEY_LEN]);

#endif
