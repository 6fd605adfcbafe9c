/*
 * fuzz_conf.h: what fuzz_carp_conf and fuzz_sync_conf share. The config
 * parsers read files, so each input is laid out as files in a private
 * directory DIR (mkdtemp, 0700, one per process, in /dev/shm when it is
 * writable, else /tmp; removed at exit):
 *
 *   the input up to the first line that starts with "%% " is the main
 *   file (DIR/in/MAIN); each "%% NAME" line starts another file,
 *   DIR/in/NAME, holding the lines up to the next such line (16 at
 *   most). NAME is 1-3 components of [A-Za-z0-9._+- ] (not starting
 *   with '.'), 64 bytes at most; a part with another name is left out.
 *   Files are 0600. DIR/rt is for the round trips.
 *
 * While a parser runs (fuzz_conf_guard(1)), every file it opens for
 * reading and every `include` glob must lie inside DIR (no ".."
 * component, no glob component that could match one): anything else
 * fails with EACCES or matches nothing. So an input cannot make the
 * parser read /dev/watchdog, a FIFO or the host's tree, whatever it
 * includes or names as a passfile or keyfile. The wrappers are linked
 * with -Wl,--wrap=fopen,--wrap=open,--wrap=glob (Makefile); the targets
 * check at start that they are in effect.
 */
#ifndef CARPSYNC_FUZZ_CONF_H
#define CARPSYNC_FUZZ_CONF_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* Create the directory (once; aborts on failure); returns its path. */
const char *fuzz_conf_dir(const char *tag);

/* One file to write: name relative to DIR/in or DIR/rt. */
struct fuzz_file {
	const char	*name;
	const void	*p;
	size_t		 n;
};

enum { FUZZ_IN = 0, FUZZ_RT = 1 };

/*
 * Make DIR/in (FUZZ_IN) or DIR/rt (FUZZ_RT) hold exactly these files, in
 * this order, as if written one after another into an empty directory
 * (missing parent directories are made, 0700; files are 0600): a write
 * that fails then (a name under another file's name) fails here too.
 * Returns the number of files written.
 */
int	fuzz_conf_put(int which, const struct fuzz_file *, size_t n);

/*
 * Lay the input out under DIR/in (fuzz_conf_put). Returns the number of
 * files it names, the main file included.
 */
int	fuzz_conf_layout(const uint8_t *data, size_t size, const char *main);

/* Confine the parser's reads to DIR (1) or stop doing so (0). */
void	fuzz_conf_guard(int on);
/* Opens and globs refused so far (for the start-up self-check). */
unsigned long fuzz_conf_refused(void);

/* 1 if path is within DIR and has no ".." component. */
int	fuzz_conf_confined(const char *path);

#endif
