/*
 * fuzz_conf.c: the file layout and the read confinement of the config
 * fuzzers (fuzz_conf.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_conf.h"

#define MAX_PARTS	16		/* besides the main file */
#define MAX_NAME	64
#define MAX_COMP	32
#define MAX_DEPTH	3

static char		 dir[64];
static size_t		 dirlen;
static int		 guarded;
static unsigned long	 refused;

FILE	*__real_fopen(const char *, const char *);
FILE	*__wrap_fopen(const char *, const char *);
int	 __real_open(const char *, int, ...);
int	 __wrap_open(const char *, int, ...);
int	 __real_glob(const char *, int, int (*)(const char *, int), glob_t *);
int	 __wrap_glob(const char *, int, int (*)(const char *, int), glob_t *);

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
fuzz_conf_rmtree(const char *path)
{
	(void)nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
cleanup(void)
{
	fuzz_conf_rmtree(dir);
}

/* tmpfs if there is one: a disk file system makes each input 10x slower */
const char *
fuzz_conf_dir(const char *tag)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (dirlen > 0)
		return dir;
	snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", base, tag);
	if (mkdtemp(dir) == NULL) {	/* mode 0700 */
		perror("mkdtemp");
		abort();
	}
	dirlen = strlen(dir);
	atexit(cleanup);
	return dir;
}

/* Each component of s (after the directory) passes ok(component, len). */
static int
components_ok(const char *s, int (*ok)(const char *, size_t))
{
	size_t	 n;

	while (*s != '\0') {
		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n > 0 && !ok(s, n))
			return 0;
		s += n;
	}
	return 1;
}

static int
not_dotdot(const char *c, size_t n)
{
	return !(n == 2 && c[0] == '.' && c[1] == '.');
}

/*
 * Wildcards do not match a leading '.' (glob without GLOB_PERIOD), so a
 * component that does not start with '.' or an escape cannot be "..".
 */
static int
no_glob_dot(const char *c, size_t n)
{
	(void)n;
	return c[0] != '.' && c[0] != '\\';
}

static int
in_dir(const char *path)
{
	return dirlen > 0 && strncmp(path, dir, dirlen) == 0 &&
	    path[dirlen] == '/';
}

int
fuzz_conf_confined(const char *path)
{
	return in_dir(path) && components_ok(path + dirlen, not_dotdot);
}

void
fuzz_conf_guard(int on)
{
	guarded = on;
}

unsigned long
fuzz_conf_refused(void)
{
	return refused;
}

/* Only reads are confined: libFuzzer writes its crash files itself. */
static int
refuse_read(const char *path)
{
	if (!guarded || fuzz_conf_confined(path))
		return 0;
	refused++;
	errno = EACCES;
	return 1;
}

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (mode[0] == 'r' && strchr(mode, '+') == NULL && refuse_read(path))
		return NULL;
	return __real_fopen(path, mode);
}

int
__wrap_open(const char *path, int flags, ...)
{
	va_list	 ap;
	mode_t	 mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_CREAT) &&
	    refuse_read(path))
		return -1;
	return __real_open(path, flags, mode);
}

int
__wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
    glob_t *g)
{
	if (guarded && !(in_dir(pattern) &&
	    components_ok(pattern + dirlen, no_glob_dot))) {
		refused++;
		return GLOB_NOMATCH;
	}
	return __real_glob(pattern, flags, errfunc, g);
}

/*
 * The files of one tree (DIR/in or DIR/rt) as the last put() left them.
 * Creating and removing files costs more than the parse itself, so a put
 * of the same names as last time (no duplicate, every write done: the
 * same tree) only rewrites the files whose bytes changed; any other put
 * removes what the last one made and starts again from an empty tree.
 * All of it is static: libFuzzer counts mallocs against frees per input
 * and looks for a leak whenever they differ.
 */
#define MAX_MADE	1024
#define MAX_FILES	640
#define ARENA		(1024 * 1024)

struct scope {
	const char	*sub;
	char		 made[MAX_MADE][256];	/* files and dirs, in order */
	size_t		 nmade;
	int		 overflow;		/* more than MAX_MADE: walk the tree */
	size_t		 name[MAX_FILES];	/* the last put, in the arena */
	size_t		 data[MAX_FILES];
	size_t		 len[MAX_FILES];
	size_t		 n;
	int		 reusable;
	uint8_t		 arena[ARENA];
	size_t		 used;
};

static struct scope scopes[2] = { { .sub = "in" }, { .sub = "rt" } };

static void
remember(struct scope *sc, const char *path)
{
	if (sc->nmade == MAX_MADE || strlen(path) >= sizeof(sc->made[0]))
		sc->overflow = 1;
	else
		memcpy(sc->made[sc->nmade++], path, strlen(path) + 1);
}

/* Empty the tree: what was made, newest first; forget the last put. */
static void
scope_reset(struct scope *sc)
{
	char	 path[512];

	while (sc->nmade > 0)
		(void)remove(sc->made[--sc->nmade]);
	if (sc->overflow) {
		snprintf(path, sizeof(path), "%s/%s", dir, sc->sub);
		fuzz_conf_rmtree(path);
		sc->overflow = 0;
	}
	sc->n = 0;
	sc->used = 0;
	sc->reusable = 0;
}

/* Copy into the arena; its offset, or SIZE_MAX when full. */
static size_t
keep(struct scope *sc, const void *p, size_t n)
{
	size_t	 off = sc->used;

	if (n > ARENA - sc->used)
		return SIZE_MAX;
	memcpy(sc->arena + off, p, n);
	sc->used += n;
	return off;
}

static int
mkdirs(struct scope *sc, char *path)
{
	char	*p;

	for (p = path + dirlen + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) == 0)
			remember(sc, path);
		else if (errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int
write_file(struct scope *sc, const char *name, const void *p, size_t n,
    int create)
{
	char	 path[512];
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, sc->sub, name) >=
	    (int)sizeof(path) || (create && mkdirs(sc, path) == -1))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (create)
		remember(sc, path);
	if (n > 0 && write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
same_names(const struct scope *sc, const struct fuzz_file *f, size_t n)
{
	size_t	 i;

	if (!sc->reusable || sc->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp((const char *)sc->arena + sc->name[i], f[i].name) != 0)
			return 0;
	return 1;
}

static int
has_duplicates(const struct fuzz_file *f, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(f[i].name, f[j].name) == 0)
				return 1;
	return 0;
}

/* Remember the put for next time (reusable), if the arena holds it. */
static void
cache(struct scope *sc, const struct fuzz_file *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		sc->name[i] = keep(sc, f[i].name, strlen(f[i].name) + 1);
		sc->data[i] = keep(sc, f[i].p, f[i].n);
		sc->len[i] = f[i].n;
		if (sc->name[i] == SIZE_MAX || sc->data[i] == SIZE_MAX)
			return;
	}
	sc->n = n;
	sc->reusable = 1;
}

int
fuzz_conf_put(int which, const struct fuzz_file *f, size_t n)
{
	struct scope	*sc;
	size_t		 i;
	int		 ok = 0;

	FUZZ_CHECK((which == FUZZ_IN || which == FUZZ_RT) && n <= MAX_FILES);
	sc = &scopes[which];
	if (same_names(sc, f, n)) {
		for (i = 0; i < n; i++) {
			if (sc->len[i] == f[i].n &&
			    memcmp(sc->arena + sc->data[i], f[i].p, f[i].n) == 0)
				continue;
			if (write_file(sc, f[i].name, f[i].p, f[i].n, 0) == -1)
				break;
			/* in place if it is no longer, else anew */
			if (f[i].n <= sc->len[i])
				memcpy(sc->arena + sc->data[i], f[i].p, f[i].n);
			else if ((sc->data[i] = keep(sc, f[i].p, f[i].n)) ==
			    SIZE_MAX)
				break;
			sc->len[i] = f[i].n;
		}
		if (i == n)
			return (int)n;
	}
	scope_reset(sc);
	for (i = 0; i < n; i++)
		if (write_file(sc, f[i].name, f[i].p, f[i].n, 1) == 0)
			ok++;
	/* only a tree where every write was done can be reused */
	if ((size_t)ok == n && !has_duplicates(f, n))
		cache(sc, f, n);
	return ok;
}

static int
name_comp_ok(const char *c, size_t n)
{
	size_t	 i;

	if (n > MAX_COMP || c[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._+- ", c[i]) == NULL)
			return 0;
	return 1;
}

/* A part's name from its "%% NAME" line, or -1 if it is not usable. */
static int
part_name(const uint8_t *p, size_t n, const char *main, char *out)
{
	size_t	 i, depth = 1;

	if (n == 0 || n > MAX_NAME || p[0] == '/' || p[n - 1] == '/' ||
	    memchr(p, '\0', n) != NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] == '/' && (p[i + 1] == '/' || ++depth > MAX_DEPTH))
			return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	if (!components_ok(out, name_comp_ok) || strcmp(out, main) == 0)
		return -1;
	return 0;
}

static int
is_header(const uint8_t *p, size_t left)
{
	return left >= 3 && p[0] == '%' && p[1] == '%' && p[2] == ' ';
}

/* Offset of the next line starting with "%% " at or after the line
 * start off, or size. */
static size_t
next_header(const uint8_t *d, size_t size, size_t off)
{
	const uint8_t	*nl;

	for (;;) {
		if (is_header(d + off, size - off))
			return off;
		if ((nl = memchr(d + off, '\n', size - off)) == NULL)
			return size;
		off = (size_t)(nl - d) + 1;
	}
}

int
fuzz_conf_layout(const uint8_t *d, size_t size, const char *main)
{
	static char		 names[MAX_PARTS][MAX_NAME + 1];
	struct fuzz_file	 f[MAX_PARTS + 1];
	const uint8_t		*eol;
	size_t			 end, hdr, body, n = 0;
	int			 nparts = 0;

	end = next_header(d, size, 0);
	f[n++] = (struct fuzz_file){ main, d, end };
	while (end < size && nparts < MAX_PARTS) {
		hdr = end + 3;
		eol = memchr(d + hdr, '\n', size - hdr);
		body = eol ? (size_t)(eol - d) + 1 : size;
		end = next_header(d, size, body);
		if (part_name(d + hdr, body - hdr - (eol != NULL), main,
		    names[nparts]) == -1)
			continue;
		f[n++] = (struct fuzz_file){ names[nparts++], d + body,
		    end - body };
	}
	FUZZ_CHECK(fuzz_conf_put(FUZZ_IN, f, n) >= 1);
	return (int)n;
}
