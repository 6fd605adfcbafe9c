/*
 * epoch.h: a 32-bit counter raised and persisted at every start of a
 * daemon, the high half of the replay counters on the wire
 * (carpsync-sync(7), carpd.conf(5) `auth`): whatever was sent before a
 * restart is below whatever is sent after it.
 */
#ifndef CARPSYNC_EPOCH_H
#define CARPSYNC_EPOCH_H

#include <stdint.h>

/* The state directory both daemons keep their epochs in. */
#define EPOCH_DIR	"/var/lib/carpsync"

/*
 * Raise the epoch kept in DIR/NAME to the larger of its value + 1 and
 * floor (a file that is missing holds 0) and return the new value in
 * *epoch, written and synced before it returns. The file is locked
 * meanwhile, so that daemons sharing it (several carpd on one host, as the
 * tests run them) never get the same value. -1 with errno set (ERANGE:
 * exhausted).
 */
int	epoch_next(const char *dir, const char *name, uint32_t floor,
	    uint32_t *epoch);

#endif
