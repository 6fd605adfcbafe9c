/*
 * epoch.c: the persisted start counter (epoch.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "epoch.h"

static int
epoch_read(int fd, uint32_t *epoch)
{
	char		 buf[32];
	ssize_t		 n;

	*epoch = 0;
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) == -1)
		return -1;
	buf[n] = '\0';
	*epoch = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

static int
epoch_write(int fd, uint32_t epoch)
{
	char	 buf[32];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%u\n", epoch);
	/* written and synced before the first message carries it */
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n ||
	    fsync(fd) == -1)
		return -1;
	return 0;
}

int
epoch_next(const char *dir, const char *name, uint32_t floor,
    uint32_t *epoch)
{
	char	 path[PATH_MAX];
	int	 fd, rv = -1, saved;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX) == -1 || epoch_read(fd, epoch) == -1)
		goto done;
	if (*epoch == UINT32_MAX) {
		errno = ERANGE;
		goto done;
	}
	(*epoch)++;
	if (*epoch < floor)
		*epoch = floor;
	rv = epoch_write(fd, *epoch);
 done:
	saved = errno;
	close(fd);		/* releases the lock */
	errno = saved;
	return rv;
}
