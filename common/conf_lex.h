/*
 * conf_lex.h: the config lexer/parser base shared by carpd and syncd.
 * Pure except that it reads the config files themselves (and globs for
 * `include`). Errors are collected, never printed or fatal, as
 * "FILE:LINE: reason" lines so that every error in a file is reported.
 *
 * Lexical rules: one statement per line; words separated by blanks;
 * '#' starts a comment outside quotes; "double quoted" words may hold
 * blanks, '#', and the escapes \" and \\; a line ending in '\' continues
 * on the next line.
 */
#ifndef CARPSYNC_CONF_LEX_H
#define CARPSYNC_CONF_LEX_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_WORDS	32
#define CONF_MAX_LINE	4096

/* Collected diagnostics: text holds "FILE:LINE: reason\n" lines. */
struct conf_diag {
	char	*text;
	size_t	 len;
	size_t	 cap;
	int	 nerrors;
	int	 nwarnings;
};

void	conf_diag_init(struct conf_diag *);
void	conf_diag_free(struct conf_diag *);
/* "FILE:LINE: reason"; line 0 prints "FILE: reason". */
void	conf_error(struct conf_diag *, const char *file, int line,
	    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));
/* "FILE:LINE: warning: reason" */
void	conf_warn(struct conf_diag *, const char *file, int line,
	    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

/* One logical line split into words; the words point into the reader. */
struct conf_line {
	const char	*file;
	int		 line;
	int		 nwords;
	char		*words[CONF_MAX_WORDS];
	int		 quoted[CONF_MAX_WORDS];	/* 1 if the word was quoted */
};

struct conf_reader;

/* Open a config file; NULL (and an error in diag) if it cannot be read. */
struct conf_reader *conf_open(const char *path, struct conf_diag *);
/*
 * Read the next non-empty logical line. Returns 1 with *out filled, 0 at
 * end of file. Lexical errors (unterminated quote, too many words, line too
 * long) are reported to diag and the line is skipped.
 */
int	conf_next(struct conf_reader *, struct conf_line *out);
void	conf_close(struct conf_reader *);

/*
 * Expand an `include` glob. A relative pattern is relative to the directory
 * of `from_file`. The result is sorted; a pattern without wildcards that
 * matches nothing is an error, a wildcard pattern matching nothing is not.
 * Returns 0 and a malloc'd array of malloc'd paths, or -1 (error in diag).
 */
int	conf_glob(const char *from_file, int line, const char *pattern,
	    char ***paths, size_t *npaths, struct conf_diag *);
void	conf_glob_free(char **paths, size_t npaths);

/*
 * Word helpers: each checks the word at index i of line l, reports
 * "FILE:LINE: <keyword>: reason" on failure and returns -1, else 0.
 */
/* min..max arguments after the keyword word; max < 0: no upper limit. */
int	conf_want_words(const struct conf_line *, int min, int max,
	    struct conf_diag *);
int	conf_uint(const struct conf_line *, int i, uint64_t min, uint64_t max,
	    uint64_t *out, struct conf_diag *);
int	conf_yesno(const struct conf_line *, int i, int *out,
	    struct conf_diag *);
/* "debug|info|notice|warning" -> LOG_DEBUG.. LOG_WARNING (syslog.h). */
int	conf_log_level(const struct conf_line *, int i, int *out,
	    struct conf_diag *);
const char *conf_log_level_name(int level);

/* Helpers shared by the config parsers. */
/* A usable unicast address: not unspecified, multicast or broadcast. */
int	conf_addr_is_unicast(int af, const uint8_t *a);
/* path relative to the directory of file (absolute paths unchanged);
 * malloc'd, NULL on allocation failure. */
char	*conf_path_join(const char *file, const char *path);
/* Print a word, quoted and escaped when needed (or always). */
void	conf_print_word(FILE *, const char *, int force_quotes);
/* A name the kernel accepts for an interface. */
int	conf_valid_ifname(const char *);
/* Word i as an interface name into dst (IFNAMSIZ bytes); -1 with
 * "FILE:LINE: keyword: 'x' is not a valid interface name ...". */
int	conf_ifname(const struct conf_line *, int i, char *dst,
	    struct conf_diag *);
/* A user name for the `user` keyword: 1-31 bytes of letters, digits, '_',
 * '.' and '-', not beginning with '-' or a digit (useradd's rule). */
#define CONF_USERNAMELEN	32
int	conf_valid_username(const char *);
/* Word i as a user name into dst (CONF_USERNAMELEN bytes); -1 with
 * "FILE:LINE: keyword: 'x' is not a valid user name ...". */
int	conf_username(const struct conf_line *, int i, char *dst,
	    struct conf_diag *);

/* Word i as an absolute path into dst (size bytes with the NUL); -1 with
 * "FILE:LINE: keyword: 'x' is not an absolute path" or "path longer". */
int	conf_abs_path(const struct conf_line *, int i, char *dst, size_t size,
	    struct conf_diag *);

/*
 * ADDR:PORT: IPv4 a.b.c.d:port or IPv6 [addr]:port, port 1..65535 (pure).
 * Returns 0, or -1 with *why set.
 */
int	conf_parse_addrport(const char *, struct sockaddr_storage *,
	    socklen_t *, const char **why);
/* words[i] as ADDR:PORT, copied to dst; "file:line: why" and -1 if not. */
int	conf_addrport(const struct conf_line *, int i, char *dst,
	    size_t dstlen, struct conf_diag *);

#endif
