/*
 * test_conf_lex.c: the shared config lexer (common/conf_lex.c): lexical
 * rules, diagnostic text, include globbing and the word helpers. Files are
 * written into a fresh mkdtemp directory under /tmp.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_lex.h"

struct fixture {
	char	dir[64];
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static int
setup_dir(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_conf_lex.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Write len bytes (strlen when 0) to dir/name; returns the malloc'd path. */
static char *
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char	*path;
	FILE	*fp;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_non_null(fp = fopen(path, "w"));
	if (len == 0)
		len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/* Growing string for rendered output. */
struct sbuf {
	char	*s;
	size_t	 len;
};

static void
sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	b->s = realloc(b->s, b->len + n + 1);
	assert_non_null(b->s);
	memcpy(b->s + b->len, p, n + 1);
	b->len += n;
	free(p);
}

/*
 * Every line of a file as "LINE: [word] "quoted"\n", and the diagnostics
 * with the file name replaced by F so the cases do not depend on the
 * temporary directory.
 */
static void
lex_file(const char *path, char **words, char **diag)
{
	struct conf_diag	 d;
	struct conf_reader	*r;
	struct conf_line	 l;
	struct sbuf		 b = { NULL, 0 };
	const char		*p;
	int			 i;

	conf_diag_init(&d);
	sb_add(&b, "%s", "");
	assert_non_null(r = conf_open(path, &d));
	while (conf_next(r, &l)) {
		assert_string_equal(l.file, path);
		sb_add(&b, "%d:", l.line);
		for (i = 0; i < l.nwords; i++)
			sb_add(&b, l.quoted[i] ? " \"%s\"" : " [%s]",
			    l.words[i]);
		sb_add(&b, "\n");
	}
	assert_int_equal(l.nwords, 0);
	assert_int_equal(conf_next(r, &l), 0);	/* EOF stays EOF */
	conf_close(r);
	*words = b.s;
	b.s = NULL;
	b.len = 0;
	sb_add(&b, "%s", "");
	for (p = d.text ? d.text : ""; *p != '\0'; ) {
		if (strncmp(p, path, strlen(path)) == 0) {
			sb_add(&b, "F");
			p += strlen(path);
		} else
			sb_add(&b, "%c", *p++);
	}
	*diag = b.s;
	assert_int_equal(d.len, strlen(d.text ? d.text : ""));
	conf_diag_free(&d);
}

struct lex_case {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	const char	*words;
	const char	*diag;
};

static const struct lex_case lex_cases[] = {
	{ "blanks and empty lines", "vhid 1\n\n  \t carpdev\teth0  \n", 0,
	  "1: [vhid] [1]\n3: [carpdev] [eth0]\n", "" },
	{ "comments", "# full\nvhid 1 # trailing\nfoo#bar baz\n  # in\n", 0,
	  "2: [vhid] [1]\n3: [foo]\n", "" },
	{ "quoted blanks and hash", "pass \"a b # c\"\n", 0,
	  "1: [pass] \"a b # c\"\n", "" },
	{ "escapes", "pass \"x\\\"y\\\\z\"\n", 0,
	  "1: [pass] \"x\"y\\z\"\n", "" },
	{ "other backslashes kept", "p \"a\\tb\" c\\d\n", 0,
	  "1: [p] \"a\\tb\" [c\\d]\n", "" },
	{ "empty quoted word", "p \"\" x\n", 0, "1: [p] \"\" [x]\n", "" },
	{ "quoted part inside a word", "p ab\"c d\"e\n", 0,
	  "1: [p] \"abc de\"\n", "" },
	{ "continuation", "vhid \\\n  1\nnext 2\n", 0,
	  "1: [vhid] [1]\n3: [next] [2]\n", "" },
	{ "continuation joins", "ab\\\ncd\n", 0, "1: [abcd]\n", "" },
	{ "continuation in quotes", "pass \"ab\\\ncd\"\nx\n", 0,
	  "1: [pass] \"abcd\"\n3: [x]\n", "" },
	{ "continuation in a comment", "# c \\\nvhid 1\nfoo\n", 0,
	  "3: [foo]\n", "" },
	{ "line of the first word", "\\\nvhid 1\n", 0, "2: [vhid] [1]\n", "" },
	{ "no final newline", "vhid 1", 0, "1: [vhid] [1]\n", "" },
	{ "backslash at eof", "a\\", 0, "1: [a\\]\n", "" },
	{ "crlf", "vhid 1\r\nx\r\n", 0, "1: [vhid] [1]\n2: [x]\n", "" },
	{ "escaped backslash is no continuation",
	  "p \"a\\\\\"\nq \"b\\\\\nr 1\n", 0,
	  "1: [p] \"a\\\"\n3: [r] [1]\n", "F:2: unterminated quote\n" },
	{ "unterminated quote", "a 1\npass \"abc\nb 2\n", 0,
	  "1: [a] [1]\n3: [b] [2]\n", "F:2: unterminated quote\n" },
	{ "unterminated at eof", "pass \"abc", 0, "",
	  "F:1: unterminated quote\n" },
	{ "unterminated escape at eof", "pass \"abc\\", 0, "",
	  "F:1: unterminated quote\n" },
	{ "quote opened on a continued line", "x \\\n \"abc\nb\n", 0,
	  "3: [b]\n", "F:2: unterminated quote\n" },
	{ "every error reported", "\"a\n\"b\nc\n", 0,
	  "3: [c]\n", "F:1: unterminated quote\nF:2: unterminated quote\n" },
	{ "NUL byte", "a\0b\nc\n", 6, "2: [c]\n",
	  "F:1: NUL character in line\n" },
};

static void
test_lex_table(void **state)
{
	struct fixture	*fx = *state;
	char		*path, *words, *diag, name[32];
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < sizeof(lex_cases) / sizeof(lex_cases[0]); i++) {
		const struct lex_case *c = &lex_cases[i];

		snprintf(name, sizeof(name), "lex%zu.conf", i);
		path = write_file(fx->dir, name, c->in, c->inlen);
		lex_file(path, &words, &diag);
		if (strcmp(words, c->words) != 0 ||
		    strcmp(diag, c->diag) != 0) {
			print_error("case '%s':\n words want:\n%s got:\n%s"
			    " diag want:\n%s got:\n%s", c->name, c->words,
			    words, c->diag, diag);
			bad++;
		}
		free(words);
		free(diag);
		free(path);
	}
	assert_int_equal(bad, 0);
}

static void
test_lex_word_limit(void **state)
{
	struct fixture	*fx = *state;
	char		 text[512], want[512], *path, *words, *diag;
	int		 i, n;

	/* 32 words fit */
	text[0] = want[0] = '\0';
	for (i = 0; i < CONF_MAX_WORDS; i++) {
		n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "w%d ", i);
		n = strlen(want);
		snprintf(want + n, sizeof(want) - n, " [w%d]", i);
	}
	strcat(text, "\n");
	strcat(want, "\n");
	path = write_file(fx->dir, "32.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(diag, "");
	assert_string_equal(words + 2, want);	/* after "1:" */
	free(words); free(diag); free(path);

	/* a 33rd is an error, and the next line is read */
	text[strlen(text) - 1] = '\0';
	strcat(text, "w32\nok\n");
	path = write_file(fx->dir, "33.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(words, "2: [ok]\n");
	assert_string_equal(diag, "F:1: too many words (max 32)\n");
	free(words); free(diag); free(path);
}

static void
test_lex_line_limit(void **state)
{
	struct fixture	*fx = *state;
	char		*text, *path, *words, *diag;
	size_t		 n = CONF_MAX_LINE - 1;	/* longest word + its NUL */

	text = malloc(n + 16);
	assert_non_null(text);
	memset(text, 'a', n);
	strcpy(text + n, "\nok\n");
	path = write_file(fx->dir, "max.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(diag, "");
	assert_int_equal(strlen(words), strlen("1: [") + n + strlen("]\n") +
	    strlen("2: [ok]\n"));
	free(words); free(diag); free(path);

	memset(text, 'a', n + 1);
	strcpy(text + n + 1, "\nok\n");
	path = write_file(fx->dir, "long.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(words, "2: [ok]\n");
	assert_string_equal(diag, "F:1: line too long (max 4096 bytes)\n");
	free(words); free(diag); free(path); free(text);
}

/*
 * Found while writing the config fuzzers (the input is in their seed
 * corpora, tests/fuzz/corpus/fuzz_*_conf/lex-empty-word-at-line-limit):
 * the longest word fills the buffer with its NUL, and an empty quoted
 * word after it has no byte for its own NUL, which was written one past
 * the buffer (ASan: make check-san).
 */
static void
test_lex_line_limit_empty_word(void **state)
{
	struct fixture	*fx = *state;
	char		*text, *path, *words, *diag;
	size_t		 n = CONF_MAX_LINE - 1;	/* longest word + its NUL */

	text = malloc(n + 16);
	assert_non_null(text);
	memset(text, 'a', n);
	strcpy(text + n, " \"\"\nok\n");
	path = write_file(fx->dir, "empty.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(words, "2: [ok]\n");
	assert_string_equal(diag, "F:1: line too long (max 4096 bytes)\n");
	free(words); free(diag); free(path);

	/* one byte shorter: both words fit, the empty one as its NUL */
	memset(text, 'a', n - 1);
	strcpy(text + n - 1, " \"\"\nok\n");
	path = write_file(fx->dir, "fits.conf", text, 0);
	lex_file(path, &words, &diag);
	assert_string_equal(diag, "");
	assert_int_equal(strlen(words), strlen("1: [") + n - 1 +
	    strlen("] \"\"\n") + strlen("2: [ok]\n"));
	free(words); free(diag); free(path); free(text);
}

static void
test_open_errors(void **state)
{
	struct fixture	*fx = *state;
	struct conf_diag d;
	char		 want[256], path[128];

	conf_diag_init(&d);
	snprintf(path, sizeof(path), "%s/missing.conf", fx->dir);
	assert_null(conf_open(path, &d));
	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	assert_string_equal(d.text, want);
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);

	assert_null(conf_open(fx->dir, &d));
	snprintf(want, sizeof(want), "%s: Is a directory\n", fx->dir);
	assert_string_equal(d.text, want);
	conf_diag_free(&d);
	conf_close(NULL);
}

static void
test_diag_format(void **state)
{
	struct conf_diag d;
	int		 i;
	(void)state;

	conf_diag_init(&d);
	assert_null(d.text);
	conf_error(&d, "a.conf", 5, "vhid: %d is bad", 7);
	conf_error(&d, "a.conf", 0, "missing 'vhid'");
	conf_warn(&d, "b.conf", 3, "pass: %s", "truncated");
	conf_warn(&d, "b.conf", 0, "whole file");
	assert_string_equal(d.text, "a.conf:5: vhid: 7 is bad\n"
	    "a.conf: missing 'vhid'\n"
	    "b.conf:3: warning: pass: truncated\n"
	    "b.conf: warning: whole file\n");
	assert_int_equal(d.len, strlen(d.text));
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.nwarnings, 2);

	/* the buffer grows and stays one NUL-terminated text */
	for (i = 0; i < 2000; i++)
		conf_error(&d, "x.conf", i + 1, "message number %d", i);
	assert_int_equal(d.nerrors, 2002);
	assert_int_equal(d.len, strlen(d.text));
	assert_true(d.cap > d.len);
	assert_non_null(strstr(d.text, "x.conf:2000: message number 1999\n"));
	assert_string_equal(d.text + d.len - 33,
	    "x.conf:2000: message number 1999\n");

	conf_diag_free(&d);
	assert_null(d.text);
	assert_int_equal(d.len, 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
}

/* conf_glob result as "p1 p2 ..." relative to the fixture dir. */
static int
glob_str(const char *from, const char *pattern, const char *strip,
    char *out, size_t outlen, struct conf_diag *d)
{
	char	**paths;
	size_t	  n, i, k;
	int	  rv;

	rv = conf_glob(from, 7, pattern, &paths, &n, d);
	out[0] = '\0';
	if (rv == -1) {
		assert_null(paths);
		assert_int_equal(n, 0);
		return -1;
	}
	assert_non_null(paths);
	for (i = 0; i < n; i++) {
		k = strlen(strip);
		assert_memory_equal(paths[i], strip, k);
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
		    i ? " " : "", paths[i] + k);
	}
	conf_glob_free(paths, n);
	return 0;
}

static void
test_glob(void **state)
{
	static const char *const files[] = {
		"b.conf", "a.conf", "10.conf", "2.conf", "B.conf", "c.txt",
		"sub/x.conf", "sub/y.conf", ".hidden.conf",
	};
	static const struct {
		const char	*pattern;
		const char	*want;
	} cases[] = {
		{ "*.conf", "/10.conf /2.conf /B.conf /a.conf /b.conf" },
		{ "sub/*.conf", "/sub/x.conf /sub/y.conf" },
		{ "?.conf", "/2.conf /B.conf /a.conf /b.conf" },
		{ "[ab].conf", "/a.conf /b.conf" },
		{ "a.conf", "/a.conf" },
		{ "*.none", "" },
		{ "nodir/*.conf", "" },
	};
	struct fixture	*fx = *state;
	struct conf_diag d;
	char		 from[128], out[256], abs[160], want[256];
	size_t		 i;

	snprintf(out, sizeof(out), "%s/sub", fx->dir);
	assert_int_equal(mkdir(out, 0700), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		free(write_file(fx->dir, files[i], "x\n", 0));
	snprintf(from, sizeof(from), "%s/carpd.conf", fx->dir);
	conf_diag_init(&d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(glob_str(from, cases[i].pattern, fx->dir,
		    out, sizeof(out), &d), 0);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("glob '%s': want '%s' got '%s'",
			    cases[i].pattern, cases[i].want, out);
	}
	assert_null(d.text);

	/* absolute patterns ignore the including file's directory */
	snprintf(abs, sizeof(abs), "%s/*.txt", fx->dir);
	assert_int_equal(glob_str("/elsewhere/carpd.conf", abs, fx->dir, out,
	    sizeof(out), &d), 0);
	assert_string_equal(out, "/c.txt");

	/* a literal pattern must match */
	assert_int_equal(glob_str(from, "missing.conf", fx->dir, out,
	    sizeof(out), &d), -1);
	snprintf(want, sizeof(want), "%s:7: include: missing.conf: no such "
	    "file\n", from);
	assert_string_equal(d.text, want);
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);
}

static void
test_glob_from_cwd(void **state)
{
	struct fixture	*fx = *state;
	struct conf_diag d;
	char		 old[PATH_MAX], out[128];

	free(write_file(fx->dir, "v2.conf", "x\n", 0));
	free(write_file(fx->dir, "v1.conf", "x\n", 0));
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(fx->dir), 0);
	conf_diag_init(&d);
	/* a file name without a directory: no "./" prefix appears */
	assert_int_equal(glob_str("carpd.conf", "v*.conf", "", out,
	    sizeof(out), &d), 0);
	assert_int_equal(chdir(old), 0);
	assert_string_equal(out, "v1.conf v2.conf");
	assert_null(d.text);
}

/* A line "KEYWORD ARG..." for the word helpers. */
static void
mkline(struct conf_line *l, char *kw, char *arg1, char *arg2)
{
	memset(l, 0, sizeof(*l));
	l->file = "f.conf";
	l->line = 3;
	l->words[l->nwords++] = kw;
	if (arg1 != NULL)
		l->words[l->nwords++] = arg1;
	if (arg2 != NULL)
		l->words[l->nwords++] = arg2;
}

static void
test_uint(void **state)
{
	static const struct {
		char		*word;
		uint64_t	 min, max;
		int		 rv;
		uint64_t	 value;
		const char	*diag;
	} cases[] = {
		{ "254", 0, 254, 0, 254, NULL },
		{ "0", 0, 254, 0, 0, NULL },
		{ "010", 0, 254, 0, 10, NULL },		/* decimal, not octal */
		{ "300", 0, 254, -1, 0, "advbase: 300 is out of range (0-254)" },
		{ "0", 1, 255, -1, 0, "advbase: 0 is out of range (1-255)" },
		{ "x1", 0, 254, -1, 0, "advbase: 'x1' is not a number" },
		{ "1x", 0, 254, -1, 0, "advbase: '1x' is not a number" },
		{ "", 0, 254, -1, 0, "advbase: '' is not a number" },
		{ "-1", 0, 254, -1, 0, "advbase: '-1' is not a number" },
		{ "+1", 0, 254, -1, 0, "advbase: '+1' is not a number" },
		{ "0x10", 0, 254, -1, 0, "advbase: '0x10' is not a number" },
		{ " 1", 0, 254, -1, 0, "advbase: ' 1' is not a number" },
		{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, NULL },
		{ "18446744073709551616", 0, UINT64_MAX, -1, 0,
		  "advbase: 18446744073709551616 is out of range "
		  "(0-18446744073709551615)" },
		{ "99999999999999999999999", 0, 254, -1, 0,
		  "advbase: 99999999999999999999999 is out of range (0-254)" },
	};
	struct conf_line l;
	struct conf_diag d;
	uint64_t	 v;
	char		 want[160];
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_diag_init(&d);
		mkline(&l, "advbase", cases[i].word, NULL);
		v = 12345;
		assert_int_equal(conf_uint(&l, 1, cases[i].min, cases[i].max,
		    &v, &d), cases[i].rv);
		if (cases[i].rv == 0) {
			assert_true(v == cases[i].value);
			assert_null(d.text);
		} else {
			assert_true(v == 12345);	/* untouched */
			snprintf(want, sizeof(want), "f.conf:3: %s\n",
			    cases[i].diag);
			assert_string_equal(d.text, want);
			assert_int_equal(d.nerrors, 1);
		}
		conf_diag_free(&d);
	}
	/* an index past the words */
	conf_diag_init(&d);
	mkline(&l, "vhid", NULL, NULL);
	assert_int_equal(conf_uint(&l, 1, 0, 9, &v, &d), -1);
	assert_string_equal(d.text, "f.conf:3: vhid: missing argument\n");
	conf_diag_free(&d);
}

static void
test_yesno(void **state)
{
	struct conf_line l;
	struct conf_diag d;
	int		 v;
	(void)state;

	conf_diag_init(&d);
	mkline(&l, "preempt", "yes", NULL);
	assert_int_equal(conf_yesno(&l, 1, &v, &d), 0);
	assert_int_equal(v, 1);
	mkline(&l, "preempt", "no", NULL);
	assert_int_equal(conf_yesno(&l, 1, &v, &d), 0);
	assert_int_equal(v, 0);
	assert_null(d.text);
	v = 7;
	mkline(&l, "preempt", "Yes", NULL);
	assert_int_equal(conf_yesno(&l, 1, &v, &d), -1);
	mkline(&l, "preempt", "1", NULL);
	assert_int_equal(conf_yesno(&l, 1, &v, &d), -1);
	assert_int_equal(v, 7);
	assert_string_equal(d.text,
	    "f.conf:3: preempt: 'Yes' is not yes or no\n"
	    "f.conf:3: preempt: '1' is not yes or no\n");
	conf_diag_free(&d);
}

static void
test_log_level(void **state)
{
	static const struct {
		char	*name;
		int	 level;
	} cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "notice", LOG_NOTICE }, { "warning", LOG_WARNING },
	};
	struct conf_line l;
	struct conf_diag d;
	size_t		 i;
	int		 v;
	(void)state;

	conf_diag_init(&d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mkline(&l, "log-level", cases[i].name, NULL);
		v = -1;
		assert_int_equal(conf_log_level(&l, 1, &v, &d), 0);
		assert_int_equal(v, cases[i].level);
		assert_string_equal(conf_log_level_name(v), cases[i].name);
	}
	assert_null(d.text);
	mkline(&l, "log-level", "err", NULL);
	assert_int_equal(conf_log_level(&l, 1, &v, &d), -1);
	assert_string_equal(d.text, "f.conf:3: log-level: 'err' is not debug, "
	    "info, notice or warning\n");
	assert_string_equal(conf_log_level_name(LOG_ERR), "unknown");
	conf_diag_free(&d);
}

static void
test_want_words(void **state)
{
	static const struct {
		int		 nargs, min, max, rv;
		const char	*diag;
	} cases[] = {
		{ 1, 1, 1, 0, NULL },
		{ 0, 1, 1, -1, "vhid: expected 1 argument, got 0" },
		{ 2, 1, 1, -1, "vhid: expected 1 argument, got 2" },
		{ 1, 2, 2, -1, "vhid: expected 2 arguments, got 1" },
		{ 0, 0, 0, 0, NULL },
		{ 1, 0, 0, -1, "vhid: expected no arguments, got 1" },
		{ 2, 1, -1, 0, NULL },
		{ 0, 1, -1, -1, "vhid: expected at least 1 argument, got 0" },
		{ 1, 2, -1, -1, "vhid: expected at least 2 arguments, got 1" },
		{ 2, 1, 2, 0, NULL },
		{ 0, 1, 2, -1, "vhid: expected 1 to 2 arguments, got 0" },
	};
	struct conf_line l;
	struct conf_diag d;
	char		 want[128];
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_diag_init(&d);
		mkline(&l, "vhid", cases[i].nargs > 0 ? "1" : NULL,
		    cases[i].nargs > 1 ? "2" : NULL);
		assert_int_equal(conf_want_words(&l, cases[i].min,
		    cases[i].max, &d), cases[i].rv);
		if (cases[i].diag == NULL)
			assert_null(d.text);
		else {
			snprintf(want, sizeof(want), "f.conf:3: %s\n",
			    cases[i].diag);
			assert_string_equal(d.text, want);
		}
		conf_diag_free(&d);
	}
}

/* The `user` keyword's names (carpd.conf(5), syncd.conf(5)). */
static void
test_username(void **state)
{
	static const struct {
		const char	*name;
		int		 ok;
	} cases[] = {
		{ "carpd", 1 }, { "syncd", 1 }, { "root", 1 }, { "_carpd", 1 },
		{ "a.b-c_d9", 1 }, { "Carp", 1 },
		{ "x234567890123456789012345678901", 1 },	/* 31 bytes */
		{ "x2345678901234567890123456789012", 0 },	/* 32 */
		{ "", 0 }, { "-carpd", 0 }, { "9carpd", 0 }, { "car pd", 0 },
		{ "carp:d", 0 }, { "carp/d", 0 }, { "carpd$", 0 },
	};
	struct conf_diag	 d;
	struct conf_line	 l;
	char			 dst[CONF_USERNAMELEN] = "old";
	size_t			 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(conf_valid_username(cases[i].name),
		    cases[i].ok);
		conf_diag_init(&d);
		mkline(&l, "user", (char *)cases[i].name, NULL);
		assert_int_equal(conf_username(&l, 1, dst, &d),
		    cases[i].ok ? 0 : -1);
		if (cases[i].ok) {
			assert_null(d.text);
			assert_string_equal(dst, cases[i].name);
		} else
			assert_non_null(strstr(d.text, "f.conf:3: user: '"));
		conf_diag_free(&d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lex_table, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_lex_word_limit, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_lex_line_limit_empty_word,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_lex_line_limit, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_open_errors, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test_setup_teardown(test_glob, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_glob_from_cwd, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_yesno),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_want_words),
		cmocka_unit_test(test_username),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
