/*
 * bal_hash.c: carp_balance.c from the command line, for
 * tests/netns/test_balance_hash.sh: which bucket nft's jhash puts a pair
 * in, the nft text of a balanced set, and the counters of a listing.
 *
 * usage:
 *   bal_hash bucket [-w] -n N -s SEED SRC DST [SRC DST ...]
 *	one bucket (0..N-1) a line per pair; -w: the WAN pair order
 *   bal_hash create|update [-O] [-w] -d DEV -m MODE -s SEED -v V1,V2,...
 *	    -o OWNED -a VIP [-a VIP ...]
 *	carp_balance_nft_create / _update text for that one set; -O: no
 *	`flags owner` (a table nft -f can leave behind); OWNED a bit mask
 *   bal_hash counters
 *	reads `nft list counters table ...` on stdin, prints "VHID
 *	ACCEPTED IGNORED" a line
 * Exit 0, 1 on a refused input, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "carp_balance.h"

static void
usage(void)
{
	fprintf(stderr, "usage: bal_hash bucket [-w] -n N -s SEED SRC DST ...\n"
	    "       bal_hash create|update [-O] [-w] -d DEV -m MODE -s SEED"
	    " -v V,... -o OWNED -a VIP ...\n"
	    "       bal_hash counters < listing\n");
	exit(2);
}

static unsigned long
num(const char *s, unsigned long max)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		usage();
	return v;
}

/* An address into a[16]; its family, or 0. */
static int
addr(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a) == 1)
		return AF_INET6;
	return 0;
}

static int
cmd_bucket(int argc, char **argv)
{
	uint8_t		 src[16], dst[16];
	unsigned long	 n = 0, seed = 0;
	int		 ch, wan = 0, i;

	while ((ch = getopt(argc, argv, "wn:s:")) != -1) {
		switch (ch) {
		case 'w': wan = 1; break;
		case 'n': n = num(optarg, CARP_MAX_NODES); break;
		case 's': seed = num(optarg, UINT32_MAX); break;
		default: usage();
		}
	}
	if (n == 0 || optind >= argc || (argc - optind) % 2 != 0)
		usage();
	for (i = optind; i < argc; i += 2) {
		int	 af = addr(argv[i], src);


		if (af == 0 || addr(argv[i + 1], dst) != af)
			usage();
		printf("%u\n", carp_balance_bucket(af, src, dst,
		    wan ? CARP_BAL_WAN : CARP_BAL_LAN, (uint32_t)seed,
		    (unsigned)n));
	}
	return 0;
}

static enum carp_balancing
mode(const char *s)
{
	int	 m;

	for (m = CARP_BAL_IP; m < CARP_BAL__MAX; m++)
		if (strcmp(s, carp_balance_mode_names[m]) == 0)
			return (enum carp_balancing)m;
	usage();
	return CARP_BAL_NONE;
}

static void
vhids(const char *s, struct carp_balance_set *set)
{
	char	 copy[1024], *tok, *save;

	if (strlen(s) >= sizeof(copy))
		usage();
	strcpy(copy, s);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (set->n >= CARP_MAX_NODES)
			usage();
		set->vhids[set->n++] = (uint8_t)num(tok, 255);
	}
}

static void
vip(const char *s, struct carp_balance_set *set)
{
	if (set->nvips >= CARP_BAL_MAX_VIPS)
		usage();
	set->vips[set->nvips].af = addr(s, set->vips[set->nvips].addr);
	if (set->vips[set->nvips].af == 0)
		usage();
	set->nvips++;
}

static int
cmd_text(int argc, char **argv, int create)
{
	static char		 text[65536];
	struct carp_balance_set	 set;
	unsigned		 flags = 0;
	int			 ch, len;

	memset(&set, 0, sizeof(set));
	while ((ch = getopt(argc, argv, "Owd:m:s:v:o:a:")) != -1) {
		switch (ch) {
		case 'O': flags |= CARP_BAL_NFT_NO_OWNER; break;
		case 'w': set.side = CARP_BAL_WAN; break;
		case 'd':
			if (strlen(optarg) >= sizeof(set.carpdev))
				usage();
			strcpy(set.carpdev, optarg);
			break;
		case 'm': set.mode = mode(optarg); break;
		case 's': set.seed = (uint32_t)num(optarg, UINT32_MAX); break;
		case 'v': vhids(optarg, &set); break;
		case 'o': set.owned = (uint32_t)num(optarg, UINT32_MAX); break;
		case 'a': vip(optarg, &set); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	len = create ? carp_balance_nft_create(&set, 1, flags, text,
	    sizeof(text)) : carp_balance_nft_update(&set, text, sizeof(text));
	if (len < 0) {
		fprintf(stderr, "bal_hash: set refused\n");
		return 1;
	}
	fwrite(text, 1, (size_t)len, stdout);
	return 0;
}

static int
cmd_counters(void)
{
	static char		 text[1 << 20];
	struct carp_bal_count	 c[256];
	size_t			 n;
	int			 i, k;

	n = fread(text, 1, sizeof(text) - 1, stdin);
	text[n] = '\0';
	if ((k = carp_balance_parse_counters(text, c, 256)) < 0) {
		fprintf(stderr, "bal_hash: not a counter listing\n");
		return 1;
	}
	for (i = 0; i < k; i++)
		printf("%u %llu %llu\n", c[i].vhid,
		    (unsigned long long)c[i].accepted,
		    (unsigned long long)c[i].ignored);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "bucket") == 0)
		return cmd_bucket(argc - 1, argv + 1);
	if (strcmp(argv[1], "create") == 0)
		return cmd_text(argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "update") == 0)
		return cmd_text(argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "counters") == 0 && argc == 2)
		return cmd_counters();
	usage();
	return 2;
}
