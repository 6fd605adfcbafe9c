/*
 * conf_lex.c: the config lexer and word helpers shared by carpd and syncd.
 * It reads the config files and globs includes, nothing else: every error
 * becomes a "FILE:LINE: reason" line in a struct conf_diag so the caller
 * can report all of them at once (OpenBSD parse.y yyerror style: count,
 * continue, never exit).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "conf_lex.h"

#define STR_(x)	#x
#define XSTR(x)	STR_(x)

struct conf_reader {
	FILE			*fp;
	char			*path;
	int			 lineno;	/* line of the next character */
	struct conf_diag	*diag;
	char			 buf[CONF_MAX_LINE];	/* words of one line */
};

/* Lexer state for one logical line. */
struct lex {
	struct conf_reader	*r;
	struct conf_line	*l;
	size_t			 pos;		/* bytes used in r->buf */
	int			 in_word;
	int			 bad;		/* an error was reported */
};

void
conf_diag_init(struct conf_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
conf_diag_free(struct conf_diag *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static int
diag_reserve(struct conf_diag *d, size_t need)
{
	size_t	 ncap;
	char	*p;

	if (d->len + need + 1 <= d->cap)
		return 0;
	ncap = d->cap ? d->cap : 256;
	while (ncap < d->len + need + 1)
		ncap *= 2;
	if ((p = realloc(d->text, ncap)) == NULL)
		return -1;
	d->text = p;
	d->cap = ncap;
	return 0;
}

/*
 * Append "FILE[:LINE]: [warning: ]reason\n". Out of memory drops the text
 * but the caller still counts the error, so a config never passes by it.
 */
static void
diag_vadd(struct conf_diag *d, const char *file, int line, int warn,
    const char *fmt, va_list ap)
{
	char	 head[64];
	va_list	 ap2;
	int	 n;

	if (line > 0)
		snprintf(head, sizeof(head), ":%d: %s", line,
		    warn ? "warning: " : "");
	else
		snprintf(head, sizeof(head), ": %s", warn ? "warning: " : "");
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || diag_reserve(d, strlen(file) + strlen(head) + n + 1) == -1)
		return;
	d->len += sprintf(d->text + d->len, "%s%s", file, head);
	d->len += vsprintf(d->text + d->len, fmt, ap);
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
}

void
conf_error(struct conf_diag *d, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;

	d->nerrors++;
	va_start(ap, fmt);
	diag_vadd(d, file, line, 0, fmt, ap);
	va_end(ap);
}

void
conf_warn(struct conf_diag *d, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;

	d->nwarnings++;
	va_start(ap, fmt);
	diag_vadd(d, file, line, 1, fmt, ap);
	va_end(ap);
}

struct conf_reader *
conf_open(const char *path, struct conf_diag *d)
{
	struct conf_reader	*r;
	struct stat		 st;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		free(r);
		conf_error(d, path, 0, "out of memory");
		return NULL;
	}
	if ((r->fp = fopen(path, "r")) == NULL) {
		conf_error(d, path, 0, "%s", strerror(errno));
		goto fail;
	}
	/* glibc opens a directory for reading; the first read then fails */
	if (fstat(fileno(r->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		conf_error(d, path, 0, "%s", strerror(EISDIR));
		fclose(r->fp);
		goto fail;
	}
	r->lineno = 1;
	r->diag = d;
	return r;
 fail:
	free(r->path);
	free(r);
	return NULL;
}

void
conf_close(struct conf_reader *r)
{
	if (r == NULL)
		return;
	fclose(r->fp);
	free(r->path);
	free(r);
}

/*
 * Next character with line continuation folded away: a backslash right
 * before a newline disappears together with the newline (as in OpenBSD
 * parse.y lgetc), everywhere, even inside quotes and comments.
 */
static int
rd_getc(struct conf_reader *r)
{
	int	 c, next;

	for (;;) {
		c = getc(r->fp);
		if (c != '\\')
			break;
		next = getc(r->fp);
		if (next != '\n') {
			if (next != EOF)
				ungetc(next, r->fp);
			break;
		}
		r->lineno++;
	}
	if (c == '\n')
		r->lineno++;
	return c;
}

static void
lex_error(struct lex *lx, int line, const char *reason)
{
	if (lx->bad)
		return;
	lx->bad = 1;
	conf_error(lx->r->diag, lx->r->path, line, "%s", reason);
}

static void
lex_word_start(struct lex *lx, int quoted)
{
	struct conf_line *l = lx->l;

	if (!lx->in_word) {
		if (l->nwords == CONF_MAX_WORDS) {
			lex_error(lx, l->line, "too many words (max "
			    XSTR(CONF_MAX_WORDS) ")");
			return;
		}
		/* lex_putc keeps room for a word's NUL, but an empty quoted
		 * word ("") has no byte to put: check for its NUL here */
		if (lx->pos >= CONF_MAX_LINE) {
			lex_error(lx, l->line, "line too long (max "
			    XSTR(CONF_MAX_LINE) " bytes)");
			return;
		}
		if (l->nwords == 0)
			l->line = lx->r->lineno;
		l->words[l->nwords] = lx->r->buf + lx->pos;
		l->quoted[l->nwords] = 0;
		lx->in_word = 1;
	}
	if (quoted)
		l->quoted[l->nwords] = 1;
}

static void
lex_word_end(struct lex *lx)
{
	if (!lx->in_word || lx->bad)
		return;
	lx->r->buf[lx->pos++] = '\0';
	lx->l->nwords++;
	lx->in_word = 0;
}

/* Add a byte to the current word, keeping room for its NUL. */
static void
lex_putc(struct lex *lx, int c)
{
	if (lx->bad)
		return;
	if (c == '\0') {
		lex_error(lx, lx->r->lineno, "NUL character in line");
		return;
	}
	if (lx->pos + 2 > CONF_MAX_LINE) {
		lex_error(lx, lx->l->line, "line too long (max "
		    XSTR(CONF_MAX_LINE) " bytes)");
		return;
	}
	lx->r->buf[lx->pos++] = (char)c;
}

/*
 * The rest of a "quoted" part after its opening quote. Returns '"' when
 * closed, or the '\n' / EOF that left it unterminated. Only \" and \\ are
 * escapes; any other backslash is kept as it is.
 */
static int
lex_quoted(struct lex *lx)
{
	int	 c, n;

	while ((c = rd_getc(lx->r)) != '"') {
		if (c == '\n' || c == EOF)
			return c;
		if (c == '\\') {
			/* raw read: "\\" before a newline is no continuation */
			if ((n = getc(lx->r->fp)) == EOF)
				return EOF;
			if (n != '"' && n != '\\')
				lex_putc(lx, '\\');
			c = n;
		}
		lex_putc(lx, c);
	}
	return '"';
}

/* Skip a comment; returns the '\n' or EOF that ends it. */
static int
lex_skip_line(struct conf_reader *r)
{
	int	 c;

	while ((c = rd_getc(r)) != '\n' && c != EOF)
		;
	return c;
}

/*
 * Read one logical line into l. Returns 1 if it ended with a newline, 0 at
 * end of file; *bad is set when a lexical error made us skip the line.
 */
static int
lex_line(struct conf_reader *r, struct conf_line *l, int *bad)
{
	struct lex	 lx = { .r = r, .l = l };
	int		 c, qline;

	memset(l, 0, sizeof(*l));
	l->file = r->path;
	for (;;) {
		c = rd_getc(r);
		if (c == '#' && !lx.bad)
			c = lex_skip_line(r);
		if (c == '\n' || c == EOF)
			break;
		if (lx.bad)
			continue;
		if (c == ' ' || c == '\t' || c == '\r') {
			lex_word_end(&lx);
		} else if (c == '"') {
			qline = r->lineno;
			lex_word_start(&lx, 1);
			c = lex_quoted(&lx);
			if (c == '\n' || c == EOF) {
				lex_error(&lx, qline, "unterminated quote");
				break;
			}
		} else {
			lex_word_start(&lx, 0);
			lex_putc(&lx, c);
		}
	}
	lex_word_end(&lx);
	*bad = lx.bad;
	return c == '\n';
}

int
conf_next(struct conf_reader *r, struct conf_line *out)
{
	int	 more, bad;

	do {
		more = lex_line(r, out, &bad);
		if (!bad && out->nwords > 0)
			return 1;
	} while (more);
	if (ferror(r->fp)) {
		conf_error(r->diag, r->path, r->lineno, "read error");
		clearerr(r->fp);
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

/* A pattern with these characters is a wildcard (glob(7)). */
static int
has_wildcard(const char *pattern)
{
	return strpbrk(pattern, "*?[") != NULL;
}

static int
cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pattern made relative to the directory of from_file; malloc'd. */
static char *
glob_join(const char *from_file, const char *pattern)
{
	const char	*slash;
	char		*s;
	int		 dirlen;

	slash = strrchr(from_file, '/');
	if (pattern[0] == '/' || slash == NULL)
		return strdup(pattern);
	dirlen = (int)(slash - from_file) + 1;
	if (asprintf(&s, "%.*s%s", dirlen, from_file, pattern) == -1)
		return NULL;
	return s;
}

static int
glob_copy(glob_t *g, char ***paths, size_t *npaths)
{
	size_t	 i;

	*npaths = 0;
	if ((*paths = calloc(g->gl_pathc + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < g->gl_pathc; i++) {
		if (((*paths)[i] = strdup(g->gl_pathv[i])) == NULL) {
			conf_glob_free(*paths, i);
			*paths = NULL;
			return -1;
		}
	}
	*npaths = g->gl_pathc;
	/* strcmp, not the locale's collation: the same order everywhere */
	qsort(*paths, *npaths, sizeof(char *), cmp_paths);
	return 0;
}

int
conf_glob(const char *from_file, int line, const char *pattern,
    char ***paths, size_t *npaths, struct conf_diag *d)
{
	glob_t	 g;
	char	*full;
	int	 rv;

	*paths = NULL;
	*npaths = 0;
	if ((full = glob_join(from_file, pattern)) == NULL) {
		conf_error(d, from_file, line, "include: out of memory");
		return -1;
	}
	memset(&g, 0, sizeof(g));
	rv = glob(full, GLOB_NOSORT, NULL, &g);
	free(full);
	if (rv == GLOB_NOMATCH) {
		globfree(&g);
		if (!has_wildcard(pattern)) {
			conf_error(d, from_file, line,
			    "include: %s: no such file", pattern);
			return -1;
		}
		memset(&g, 0, sizeof(g));	/* a wildcard may match none */
		rv = 0;
	}
	if (rv != 0 || glob_copy(&g, paths, npaths) == -1) {
		conf_error(d, from_file, line, "include: %s: %s", pattern,
		    rv == GLOB_ABORTED ? "read error" : "out of memory");
		globfree(&g);
		return -1;
	}
	globfree(&g);
	return 0;
}

void
conf_glob_free(char **paths, size_t npaths)
{
	size_t	 i;

	if (paths == NULL)
		return;
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
}

int
conf_want_words(const struct conf_line *l, int min, int max,
    struct conf_diag *d)
{
	int	 n = l->nwords - 1;

	if (n >= min && (max < 0 || n <= max))
		return 0;
	if (max < 0)
		conf_error(d, l->file, l->line, "%s: expected at least %d "
		    "argument%s, got %d", l->words[0], min, min == 1 ? "" : "s",
		    n);
	else if (max == 0)
		conf_error(d, l->file, l->line, "%s: expected no arguments, "
		    "got %d", l->words[0], n);
	else if (min == max)
		conf_error(d, l->file, l->line, "%s: expected %d argument%s, "
		    "got %d", l->words[0], min, min == 1 ? "" : "s", n);
	else
		conf_error(d, l->file, l->line, "%s: expected %d to %d "
		    "arguments, got %d", l->words[0], min, max, n);
	return -1;
}

/* The word at i, or NULL with "KEYWORD: missing argument" reported. */
static const char *
word_at(const struct conf_line *l, int i, struct conf_diag *d)
{
	if (i > 0 && i < l->nwords)
		return l->words[i];
	conf_error(d, l->file, l->line, "%s: missing argument",
	    l->nwords > 0 ? l->words[0] : "?");
	return NULL;
}

int
conf_uint(const struct conf_line *l, int i, uint64_t min, uint64_t max,
    uint64_t *out, struct conf_diag *d)
{
	const char	*w, *p;
	uint64_t	 v = 0;
	int		 overflow = 0;

	if ((w = word_at(l, i, d)) == NULL)
		return -1;
	/* decimal digits only: no sign, blanks, 0x or octal surprises */
	for (p = w; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			overflow = 1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == w || *p != '\0') {
		conf_error(d, l->file, l->line, "%s: '%s' is not a number",
		    l->words[0], w);
		return -1;
	}
	if (overflow || v < min || v > max) {
		conf_error(d, l->file, l->line, "%s: %s is out of range "
		    "(%" PRIu64 "-%" PRIu64 ")", l->words[0], w, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_yesno(const struct conf_line *l, int i, int *out, struct conf_diag *d)
{
	const char	*w;

	if ((w = word_at(l, i, d)) == NULL)
		return -1;
	if (strcmp(w, "yes") == 0)
		*out = 1;
	else if (strcmp(w, "no") == 0)
		*out = 0;
	else {
		conf_error(d, l->file, l->line, "%s: '%s' is not yes or no",
		    l->words[0], w);
		return -1;
	}
	return 0;
}

static const struct {
	const char	*name;
	int		 level;
} log_levels[] = {
	{ "debug",	LOG_DEBUG },
	{ "info",	LOG_INFO },
	{ "notice",	LOG_NOTICE },
	{ "warning",	LOG_WARNING },
};

int
conf_log_level(const struct conf_line *l, int i, int *out,
    struct conf_diag *d)
{
	const char	*w;
	size_t		 k;

	if ((w = word_at(l, i, d)) == NULL)
		return -1;
	for (k = 0; k < sizeof(log_levels) / sizeof(log_levels[0]); k++) {
		if (strcmp(w, log_levels[k].name) == 0) {
			*out = log_levels[k].level;
			return 0;
		}
	}
	conf_error(d, l->file, l->line, "%s: '%s' is not debug, info, notice "
	    "or warning", l->words[0], w);
	return -1;
}

const char *
conf_log_level_name(int level)
{
	size_t	 k;

	for (k = 0; k < sizeof(log_levels) / sizeof(log_levels[0]); k++)
		if (log_levels[k].level == level)
			return log_levels[k].name;
	return "unknown";
}

/* ---- helpers shared by the config parsers ------------------------- */

int
conf_addr_is_unicast(int af, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (af == AF_INET)
		return memcmp(a, zero, 4) != 0 && (a[0] & 0xf0) != 0xe0 &&
		    !(a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
}

char *
conf_path_join(const char *file, const char *path)
{
	const char	*slash;
	char		*s;

	if (path[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return strdup(path);
	if (asprintf(&s, "%.*s%s", (int)(slash - file) + 1, file, path) == -1)
		return NULL;
	return s;
}

void
conf_print_word(FILE *fp, const char *s, int force_quotes)
{
	if (!force_quotes && *s != '\0' && strpbrk(s, " \t\r#\"\\") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

int
conf_valid_ifname(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || strlen(s) >= IFNAMSIZ || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || isspace(*p) || !isprint(*p))
			return 0;
	return 1;
}

int
conf_ifname(const struct conf_line *l, int i, char *dst, struct conf_diag *d)
{
	const char	*s = l->words[i];

	if (!conf_valid_ifname(s)) {
		conf_error(d, l->file, l->line, "%s: '%s' is not a "
		    "valid interface name (1-%d bytes, no '/', ':' or blanks)",
		    l->words[0], s, IFNAMSIZ - 1);
		return -1;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int
conf_valid_username(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0' || strlen(s) >= CONF_USERNAMELEN || *p == '-' ||
	    isdigit(*p))
		return 0;
	for (; *p != '\0'; p++)
		if (!isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
			return 0;
	return 1;
}

int
conf_username(const struct conf_line *l, int i, char *dst,
    struct conf_diag *d)
{
	const char	*s = l->words[i];

	if (!conf_valid_username(s)) {
		conf_error(d, l->file, l->line, "%s: '%s' is not a valid user "
		    "name (1-%d letters, digits, '_', '.' or '-', not "
		    "beginning with '-' or a digit)", l->words[0], s,
		    CONF_USERNAMELEN - 1);
		return -1;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int
conf_abs_path(const struct conf_line *l, int i, char *dst, size_t size,
    struct conf_diag *d)
{
	const char	*p = l->words[i];

	if (p[0] != '/') {
		conf_error(d, l->file, l->line, "%s: '%s' is not an absolute "
		    "path", l->words[0], p);
		return -1;
	}
	if (strlen(p) >= size) {
		conf_error(d, l->file, l->line, "%s: path longer than %zu "
		    "bytes", l->words[0], size - 1);
		return -1;
	}
	memcpy(dst, p, strlen(p) + 1);
	return 0;
}

/* ---- ADDR:PORT (metrics-listen) ---------------------------------- */

static int
addrport_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v < 1 ||
	    v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
conf_parse_addrport(const char *s, struct sockaddr_storage *ss,
    socklen_t *sl, const char **why)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = host;
	uint16_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	*why = "want ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6)";
	if ((colon = strrchr(s, ':')) == NULL ||
	    (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (addrport_port(colon + 1, &port) == -1) {
		*why = "port must be a number in 1..65535";
		return -1;
	}
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = '\0';
		h = host + 1;
		if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1) {
			*why = "not an IPv6 address";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sl = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, h, &s4->sin_addr) != 1) {
		*why = "not an IPv4 address (IPv6 goes in brackets)";
		return -1;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*sl = sizeof(*s4);
	return 0;
}

int
conf_addrport(const struct conf_line *l, int i, char *dst, size_t dstlen,
    struct conf_diag *d)
{
	struct sockaddr_storage ss;
	const char *why;
	socklen_t sl;

	if (conf_parse_addrport(l->words[i], &ss, &sl, &why) == -1) {
		conf_error(d, l->file, l->line, "%s: '%s': %s", l->words[0],
		    l->words[i], why);
		return -1;
	}
	if (strlen(l->words[i]) >= dstlen) {
		conf_error(d, l->file, l->line, "%s: too long", l->words[0]);
		return -1;
	}
	memcpy(dst, l->words[i], strlen(l->words[i]) + 1);
	return 0;
}
