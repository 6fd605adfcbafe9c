/*
 * carp_nat.c: the nat base chains of an `nft list chains` listing
 * (carp_nat.h). A line at a time; every line is one of five shapes, each
 * allowed at one depth only, so anything else means the text is not such
 * a listing and nothing is concluded from it.
 */
#include <stdio.h>
#include <string.h>

#include "carp_nat.h"

#define WORDS_MAX	4	/* the words of a line that matter */

enum depth {
	D_TOP,		/* between tables */
	D_TABLE,	/* inside "table F T {" */
	D_CHAIN,	/* inside "chain C {" */
};

/* One line, split at blanks into up to WORDS_MAX words. */
struct nat_line {
	char	 buf[2 * CARP_NAT_NAMELEN + 64];
	char	*w[WORDS_MAX];
	int	 n;
	int	 cut;	/* longer than buf: no name is that long */
};

/* The line starting at p into l; the start of the next one. */
static const char *
line_split(const char *p, struct nat_line *l)
{
	size_t	 len = strcspn(p, "\n");
	char	*s, *save = NULL;

	l->cut = len >= sizeof(l->buf);
	snprintf(l->buf, sizeof(l->buf), "%.*s", (int)len, p);
	l->n = 0;
	for (s = strtok_r(l->buf, " \t\r", &save); s != NULL && l->n <
	    WORDS_MAX; s = strtok_r(NULL, " \t\r", &save))
		l->w[l->n++] = s;
	return p[len] == '\n' ? p + len + 1 : p + len;
}

/* A name as nft prints it (quoted if it needs to be) into out; -1 if it
 * does not fit or a quote is unbalanced. */
static int
name_copy(const char *w, char *out, size_t cap)
{
	size_t	 n = strlen(w);

	if (n >= 2 && w[0] == '"' && w[n - 1] == '"') {
		w++;
		n -= 2;
	}
	if (n == 0 || n >= cap || memchr(w, '"', n) != NULL)
		return -1;
	memcpy(out, w, n);
	out[n] = '\0';
	return 0;
}

/* "KEYWORD NAME... {": the given number of words, the last a brace. */
static int
opens(const struct nat_line *l, const char *kw, int nwords)
{
	return l->n == nwords && strcmp(l->w[0], kw) == 0 &&
	    strcmp(l->w[nwords - 1], "{") == 0;
}

int
carp_nat_find(const char *text, struct carp_nat_chain *hit)
{
	struct carp_nat_chain	 cur;
	struct nat_line		 l;
	enum depth		 d = D_TOP;
	const char		*p = text;

	memset(&cur, 0, sizeof(cur));
	while (*p != '\0') {
		p = line_split(p, &l);
		if (l.cut)
			return -1;
		if (l.n == 0)
			continue;
		if (l.n == 1 && strcmp(l.w[0], "}") == 0) {
			if (d == D_TOP)
				return -1;
			d = d == D_CHAIN ? D_TABLE : D_TOP;
		} else if (d == D_TOP && opens(&l, "table", 4)) {
			if (name_copy(l.w[1], cur.family, sizeof(cur.family))
			    == -1 || name_copy(l.w[2], cur.table,
			    sizeof(cur.table)) == -1)
				return -1;
			d = D_TABLE;
		} else if (d == D_TABLE && opens(&l, "chain", 3)) {
			if (name_copy(l.w[1], cur.chain, sizeof(cur.chain))
			    == -1)
				return -1;
			d = D_CHAIN;
		} else if (d == D_CHAIN && strcmp(l.w[0], "type") == 0) {
			/* only a base chain has this line */
			if (l.n >= 2 && strcmp(l.w[1], "nat") == 0) {
				*hit = cur;
				return 1;
			}
		} else if (d != D_CHAIN)
			return -1;	/* a chain may hold more (comments) */
	}
	return d == D_TOP ? 0 : -1;
}
