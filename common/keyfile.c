/*
 * keyfile.c: read and check a secret key file (keyfile.h). Pure apart
 * from reading the one file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"

#define KEY_HEX_LEN	(2 * KEYFILE_KEY_LEN)
#define KEY_FILE_MAX	128		/* bigger cannot be a key: say so */

/*
 * A secret must not be readable by anyone else, as OpenBSD's parse.y
 * check_file_secrecy() insists: owner root or the daemon's user, no group
 * or other bits. Every problem is reported; -1 if any.
 */
static int
key_check_stat(const struct keyfile_ref *r, const char *path,
    const struct stat *st)
{
	unsigned	 owner = r->owner_uid;
	int		 rv = 0;

	if (!S_ISREG(st->st_mode)) {
		conf_error(r->diag, r->file, r->line, "%s %s: not a regular "
		    "file", r->keyword, path);
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != owner) {
		if (owner == 0)
			conf_error(r->diag, r->file, r->line, "%s %s: owned by "
			    "uid %u, not by root; chown root it", r->keyword,
			    path, (unsigned)st->st_uid);
		else
			conf_error(r->diag, r->file, r->line, "%s %s: owned by "
			    "uid %u, not by root or uid %u; chown root it",
			    r->keyword, path, (unsigned)st->st_uid, owner);
		rv = -1;
	}
	if ((st->st_mode & 077) != 0) {
		conf_error(r->diag, r->file, r->line, "%s %s: mode %04o allows "
		    "group or others; chmod 600 it", r->keyword, path,
		    (unsigned)(st->st_mode & 07777));
		rv = -1;
	}
	return rv;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The text of a keyfile, decoded into key; -1 (reported) otherwise. Bytes
 * that are not digits are named by position only, so that no part of a
 * secret ends up in a log.
 */
static int
key_decode(const struct keyfile_ref *r, const char *path, const char *text,
    size_t n, uint8_t key[KEYFILE_KEY_LEN])
{
	size_t	 i;

	if (n > 0 && text[n - 1] == '\n')
		n--;
	for (i = 0; i < n; i++) {
		if (hexval((unsigned char)text[i]) >= 0)
			continue;
		if (text[i] == '\n')
			conf_error(r->diag, r->file, r->line, "%s %s: more "
			    "than one line", r->keyword, path);
		else
			conf_error(r->diag, r->file, r->line, "%s %s: byte %zu "
			    "is not a hexadecimal digit", r->keyword, path,
			    i + 1);
		return -1;
	}
	if (n != KEY_HEX_LEN) {
		conf_error(r->diag, r->file, r->line, "%s %s: %zu hexadecimal "
		    "digits, need exactly %d (256 bits; `openssl rand -hex 32` "
		    "makes a key)", r->keyword, path, n, KEY_HEX_LEN);
		return -1;
	}
	for (i = 0; i < KEYFILE_KEY_LEN; i++)
		key[i] = (uint8_t)(hexval((unsigned char)text[2 * i]) << 4 |
		    hexval((unsigned char)text[2 * i + 1]));
	return 0;
}

/* Up to cap bytes of fd; the count, or -1 with errno set. */
static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int
keyfile_load(const struct keyfile_ref *r, const char *path,
    uint8_t key[KEYFILE_KEY_LEN])
{
	struct stat	 st;
	char		 text[KEY_FILE_MAX];
	ssize_t		 n = -1;
	int		 fd, rv = -1;

	/* O_NONBLOCK: a FIFO must fail the regular-file test, not hang */
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		conf_error(r->diag, r->file, r->line, "%s %s: %s", r->keyword,
		    path, strerror(errno));
		goto done;
	}
	if (key_check_stat(r, path, &st) == -1)
		goto done;
	if (st.st_size > KEY_FILE_MAX) {
		conf_error(r->diag, r->file, r->line, "%s %s: %lld bytes, too "
		    "long for a key of %d hexadecimal digits", r->keyword, path,
		    (long long)st.st_size, KEY_HEX_LEN);
		goto done;
	}
	if ((n = read_all(fd, text, sizeof(text))) == -1) {
		conf_error(r->diag, r->file, r->line, "%s %s: %s", r->keyword,
		    path, strerror(errno));
		goto done;
	}
	rv = key_decode(r, path, text, (size_t)n, key);
 done:
	explicit_bzero(text, sizeof(text));
	if (fd != -1)
		close(fd);
	return rv;
}
