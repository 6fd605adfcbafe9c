/*
 * vip_driver.c: a command-line front to carp_vip.c so that
 * tests/netns/test_vip.sh can drive every function against a real kernel
 * inside a network namespace. One subcommand per call; results on stdout,
 * carp_vip.c's log lines on stderr. Exit 0 on success, 1 when the
 * function failed, 2 on a usage error.
 *
 * LINK is an interface name or a numeric ifindex.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carp_conf.h"
#include "carp_vip.h"
#include "conf_lex.h"
#include "log.h"

struct cmd {
	const char	*name;
	int		 nargs;		/* minimum */
	int		 maxargs;
	const char	*usage;
	int		(*fn)(struct carp_nl *, char **);
};

/* A name or a number; -1 (message printed) if there is no such link. */
static int
link_arg(struct carp_nl *nl, const char *s)
{
	char	*end;
	long	 v;
	int	 idx;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0 && v > 0 && v < 1 << 30)
		return (int)v;
	if ((idx = carp_nl_ifindex(nl, s)) <= 0) {
		fprintf(stderr, "vip_driver: no link %s\n", s);
		return -1;
	}
	return idx;
}

static int
addr_arg(const char *s, struct carp_addr *a)
{
	if (carp_addr_parse(s, a) == -1) {
		fprintf(stderr, "vip_driver: bad address %s\n", s);
		return -1;
	}
	return 0;
}

static int
mac_arg(const char *s, uint8_t mac[6])
{
	unsigned int	 b[6];
	char		 extra;
	int		 i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &extra) != 6) {
		fprintf(stderr, "vip_driver: bad MAC %s\n", s);
		return -1;
	}
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
print_result(int r)
{
	if (r < 0)
		return 1;
	printf("%d\n", r);
	return 0;
}

static int
cmd_ifindex(struct carp_nl *nl, char **av)
{
	return print_result(carp_nl_ifindex(nl, av[0]));
}

static int
cmd_macvlan(struct carp_nl *nl, char **av)
{
	uint8_t	 mac[6];

	if (mac_arg(av[2], mac) == -1)
		return 2;
	return print_result(carp_nl_macvlan_create(nl, av[0], av[1], mac));
}

static int
cmd_delete(struct carp_nl *nl, char **av)
{
	int	 idx;

	if ((idx = link_arg(nl, av[0])) == -1)
		return 1;
	return carp_nl_link_delete(nl, idx) == 0 ? 0 : 1;
}

static int
set_up(struct carp_nl *nl, const char *s, int up)
{
	int	 idx;

	if ((idx = link_arg(nl, s)) == -1)
		return 1;
	return carp_nl_link_set_up(nl, idx, up) == 0 ? 0 : 1;
}

static int
cmd_up(struct carp_nl *nl, char **av)
{
	return set_up(nl, av[0], 1);
}

static int
cmd_down(struct carp_nl *nl, char **av)
{
	return set_up(nl, av[0], 0);
}

static int
cmd_parent(struct carp_nl *nl, char **av)
{
	int	 idx;

	if ((idx = link_arg(nl, av[0])) == -1)
		return 1;
	return carp_nl_parent_sysctls(nl, idx) == 0 ? 0 : 1;
}

static int
addr_op(struct carp_nl *nl, char **av, int add)
{
	struct carp_addr	 a;
	int			 idx, r;

	if (addr_arg(av[1], &a) == -1)
		return 2;
	if ((idx = link_arg(nl, av[0])) == -1)
		return 1;
	r = add ? carp_nl_addr_add(nl, idx, &a) : carp_nl_addr_del(nl, idx, &a);
	return r == 0 ? 0 : 1;
}

static int
cmd_addr_add(struct carp_nl *nl, char **av)
{
	return addr_op(nl, av, 1);
}

static int
cmd_addr_del(struct carp_nl *nl, char **av)
{
	return addr_op(nl, av, 0);
}

static int
cmd_carrier(struct carp_nl *nl, char **av)
{
	int	 idx;

	if ((idx = link_arg(nl, av[0])) == -1)
		return 1;
	return print_result(carp_nl_carrier(nl, idx));
}

static int
cmd_lladdr(struct carp_nl *nl, char **av)
{
	uint8_t	 m[6];
	int	 idx;

	if ((idx = link_arg(nl, av[0])) == -1 ||
	    carp_nl_lladdr(nl, idx, m) == -1)
		return 1;
	printf("%02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3],
	    m[4], m[5]);
	return 0;
}

static int
cmd_source(struct carp_nl *nl, char **av)
{
	char	 buf[INET6_ADDRSTRLEN];
	uint8_t	 out[16];
	int	 idx, af;

	if (strcmp(av[1], "4") == 0)
		af = AF_INET;
	else if (strcmp(av[1], "6") == 0)
		af = AF_INET6;
	else
		return 2;
	if ((idx = link_arg(nl, av[0])) == -1 ||
	    carp_nl_source_addr(nl, idx, af, out) == -1)
		return 1;
	printf("%s\n", inet_ntop(af, out, buf, sizeof(buf)));
	return 0;
}

static int
cmd_cleanup(struct carp_nl *nl, char **av)
{
	struct conf_diag	 diag;
	struct carpd_conf	*conf;
	int			 n;

	conf_diag_init(&diag);
	conf = carp_conf_parse(av[0], &diag);
	if (diag.text != NULL)
		fputs(diag.text, stderr);
	conf_diag_free(&diag);
	if (conf == NULL)
		return 1;
	n = carp_nl_cleanup(nl, conf);
	carp_conf_free(conf);
	return print_result(n);
}

static void
monitor_print(void *arg, int ifindex, int carrier_up)
{
	(void)arg;
	printf("%d %d\n", ifindex, carrier_up);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * monitor SECONDS [STALL_SECONDS RCVBUF]: print "ready", then every
 * event as "IFINDEX CARRIER" until SECONDS have passed. The optional
 * arguments shrink the socket buffer and sleep before the first read, so
 * a test can overrun the monitor on purpose.
 */
static int
cmd_monitor(struct carp_nl *nl, char **av)
{
	struct pollfd	 pfd;
	int64_t		 end;
	int		 left, rcvbuf;

	pfd.fd = carp_nl_monitor_fd(nl);
	pfd.events = POLLIN;
	end = now_ms() + atoi(av[0]) * 1000;
	if (av[1] != NULL && av[2] != NULL) {
		rcvbuf = atoi(av[2]);
		if (setsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf)) == -1)
			return 1;
	}
	printf("ready\n");
	if (av[1] != NULL)
		sleep((unsigned int)atoi(av[1]));
	while ((left = (int)(end - now_ms())) > 0) {
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return 1;
		if (pfd.revents & POLLIN)
			carp_nl_monitor_read(nl, monitor_print, NULL);
	}
	return 0;
}

static const struct cmd cmds[] = {
	{ "ifindex", 1, 1, "NAME", cmd_ifindex },
	{ "macvlan", 3, 3, "PARENT NAME MAC", cmd_macvlan },
	{ "delete", 1, 1, "LINK", cmd_delete },
	{ "up", 1, 1, "LINK", cmd_up },
	{ "down", 1, 1, "LINK", cmd_down },
	{ "parent-sysctls", 1, 1, "LINK", cmd_parent },
	{ "addr-add", 2, 2, "LINK ADDR/LEN", cmd_addr_add },
	{ "addr-del", 2, 2, "LINK ADDR/LEN", cmd_addr_del },
	{ "carrier", 1, 1, "LINK", cmd_carrier },
	{ "lladdr", 1, 1, "LINK", cmd_lladdr },
	{ "source", 2, 2, "LINK 4|6", cmd_source },
	{ "cleanup", 1, 1, "CONFFILE", cmd_cleanup },
	{ "monitor", 1, 3, "SECONDS [STALL_SECONDS RCVBUF]", cmd_monitor },
};

static int
usage(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "usage: vip_driver %s %s\n", cmds[i].name,
		    cmds[i].usage);
	return 2;
}

int
main(int argc, char **argv)
{
	const struct cmd	*c = NULL;
	struct carp_nl		*nl;
	size_t			 i;
	int			 rc, nargs = argc - 2;

	log_init("vip_driver", 1, LOG_DAEMON);
	log_setlevel(LOG_DEBUG);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL || nargs < c->nargs || nargs > c->maxargs)
		return usage();
	if ((nl = carp_nl_open()) == NULL)
		return 1;
	rc = c->fn(nl, argv + 2);
	carp_nl_close(nl);
	return rc;
}
