/*
 * balancer.c: active/active balancing at run time (carpd.conf(5)
 * BALANCING, carp_balance.h for the data path). The shell around the pure
 * core: per carpdev, the groups of carpnodes that share a VIP, their
 * nftables table (nft_shell.c), the ARP and ND responder (carp_net.c,
 * carp_nd.c) and the VIPs on the carpdev (carp_vip.c).
 *
 * Every node of a group is an ordinary vhost with its own FSM; the group
 * only follows their states: the nodes this host is MASTER of make the
 * owned mask, which the table's verdict map and the ARP responder use.
 * The VIPs sit on the carpdev (with its real MAC, the kernel never
 * answering ARP for them: the table drops those requests before it sees
 * them) while this host owns at least one bucket.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carp_balance.h"
#include "carp_net.h"
#include "nft_shell.h"
#include "carp_vip.h"
#include "carpd.h"
#include "log.h"

/* The nft text of a carpdev's table: 32 groups of 32 nodes fit easily. */
#define BAL_NFT_TEXT	(64 * 1024)

int
carpd_conf_balances(const struct carpd_conf *c)
{
	int i;

	for (i = 0; i < c->nvhosts; i++)
		if (c->vhosts[i].balancing != CARP_BAL_NONE)
			return 1;
	return 0;
}

static void
set_from_conf(struct carp_balance_set *set, const struct carp_vhost_conf *c,
    uint32_t seed)
{
	int i;

	memset(set, 0, sizeof(*set));
	snprintf(set->carpdev, sizeof(set->carpdev), "%s", c->carpdev);
	set->mode = c->balancing;
	set->side = c->balance_side;
	set->seed = seed;
	set->n = c->nnodes;
	memcpy(set->vhids, c->node_vhids, sizeof(set->vhids));
	for (i = 0; i < c->naddrs && i < CARP_BAL_MAX_VIPS; i++) {
		set->vips[i].af = c->addrs[i].af;
		memcpy(set->vips[i].addr, c->addrs[i].addr, 16);
	}
	set->nvips = (unsigned)i;
}

static int
set_has_vip(const struct carp_balance_set *set, int af, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < set->nvips; i++)
		if (set->vips[i].af == af && memcmp(set->vips[i].addr, a,
		    af == AF_INET6 ? 16 : 4) == 0)
			return 1;
	return 0;
}

/*
 * The address the kernel's solicitations from the set's IPv6 VIPs leave
 * from instead (carp_balance.h nd_src): the carpdev's link-local, else
 * its first global address that is not a VIP. None: the table has no
 * such rewrite, and clients the kernel solicits from a VIP learn the
 * VIP at the real MAC; said once per table.
 */
static void
nd_source(struct carpdev *dev, struct carp_balance_set *set)
{
	uint8_t a[16];
	int i;

	memset(set->nd_src, 0, sizeof(set->nd_src));
	for (i = 0; i < (int)set->nvips; i++)
		if (set->vips[i].af == AF_INET6)
			break;
	if (i == (int)set->nvips)
		return;
	if (carp_nl_source_addr(dev->env->nl, dev->ifindex, AF_INET6, a) == 0 &&
	    !set_has_vip(set, AF_INET6, a))
		memcpy(set->nd_src, a, 16);
	else
		log_warnx("vhid %u on %s: no IPv6 address of its own: the "
		    "kernel's neighbour solicitations from a VIP carry the real "
		    "MAC", set->vhids[0], dev->name);
}

/* The whole table of a carpdev from its groups' current masks. */
static int
table_write(struct carpdev *dev)
{
	struct carp_balance_set sets[CARPD_MAX_BALGROUPS];
	char err[256], *text;
	unsigned i;
	int rv = -1;

	for (i = 0; i < (unsigned)dev->nbg; i++) {
		sets[i] = dev->bg[i]->set;
		nd_source(dev, &sets[i]);
	}
	if ((text = malloc(BAL_NFT_TEXT)) == NULL)
		return -1;
	if (dev->nbg == 0) {
		/* the last group went: the table goes with it */
		char name[IFNAMSIZ + 16];

		if (carp_balance_table_name(dev->name, name, sizeof(name)) > 0)
			snprintf(text, BAL_NFT_TEXT, "delete table netdev %s\n",
			    name);
		else
			text[0] = '\0';
	} else if (carp_balance_nft_create(sets, (unsigned)dev->nbg, 0, text,
	    BAL_NFT_TEXT) < 0) {
		log_warnx("balancing on %s: cannot build the table", dev->name);
		goto out;
	}
	if (text[0] != '\0' &&
	    nft_shell_run(dev->env->nft, text, err, sizeof(err)) == -1) {
		log_warnx("balancing on %s: nftables: %s", dev->name, err);
		dev->env->bal_nft_errors++;
		goto out;
	}
	/* new counters (a new table): read at the next status or scrape,
	 * not up to a second later (control.c balance_refresh) */
	dev->env->bal_read_us = 0;
	rv = 0;
out:
	free(text);
	return rv;
}

static int
table_update(struct balgroup *bg)
{
	char text[8192], err[256];

	if (carp_balance_nft_update(&bg->set, text, sizeof(text)) < 0) {
		log_warnx("vhid %u: cannot build the bucket update",
		    bg->set.vhids[0]);
		return -1;
	}
	if (nft_shell_run(bg->dev->env->nft, text, err, sizeof(err)) == -1) {
		log_warnx("vhid %u: nftables: %s", bg->set.vhids[0], err);
		bg->dev->env->bal_nft_errors++;
		return -1;
	}
	return 0;
}

static void
vips_apply(struct balgroup *bg, int up)
{
	struct carpd *env = bg->dev->env;
	int i;

	for (i = 0; i < bg->naddrs; i++) {
		if (up)
			carp_nl_addr_add(env->nl, bg->dev->ifindex,
			    &bg->addrs[i]);
		else
			carp_nl_addr_del(env->nl, bg->dev->ifindex,
			    &bg->addrs[i]);
	}
	bg->vips_up = up;
}

/* Follow the nodes' states: the map, then the VIPs. */
static void
group_follow(struct balgroup *bg)
{
	int master[CARP_MAX_NODES];
	uint32_t owned;
	unsigned i;

	for (i = 0; i < bg->set.n; i++)
		master[i] = bg->node[i] != NULL &&
		    bg->node[i]->fsm.state == CARP_S_MASTER;
	owned = carp_balance_owned(master, bg->set.n);
	if (owned == bg->set.owned)
		return;
	log_info("vhid %u on %s: buckets owned here 0x%x -> 0x%x",
	    bg->set.vhids[0], bg->dev->name, bg->set.owned, owned);
	bg->set.owned = owned;
	table_update(bg);
	if (owned != 0 && !bg->vips_up)
		vips_apply(bg, 1);
	else if (owned == 0 && bg->vips_up)
		vips_apply(bg, 0);
}

void
carpd_balance_follow(struct vhost *vh)
{
	if (vh->bg != NULL)
		group_follow(vh->bg);
}

/* ------------------------------------------------------------------ */
/* the ARP responder                                                   */

static void
arp_frame(struct carpdev *dev, const uint8_t *frame, size_t len)
{
	struct carp_arp_ctx ctx;
	enum carp_arp_verdict v, seen = CARP_ARP_NOT_OURS;
	struct balgroup *bg;
	uint8_t out[CARP_ARP_FRAME_LEN];
	size_t outn;
	int i;

	for (i = 0; i < dev->nbg; i++) {
		bg = dev->bg[i];
		carp_arp_ctx_from_set(&bg->set, dev->real_mac, &ctx);
		v = carp_arp_answer(frame, len, &ctx, out, sizeof(out), &outn);
		if (v == CARP_ARP_NOT_OURS)
			continue;	/* maybe another group's VIP */
		bg->arp[v]++;
		if (v == CARP_ARP_REPLY &&
		    carp_net_send_frame(&dev->env->net, dev->ifindex, out,
		    outn) == -1)
			bg->arp_send_errors++;
		seen = v;
		break;
	}
	/* every ARP request on the segment reaches the tap: a request for
	 * another host is normal, counted but never logged */
	if (seen == CARP_ARP_NOT_OURS)
		dev->arp_other++;
}

/* The same for a neighbour solicitation (carp_nd.h). */
static void
nd_frame(struct carpdev *dev, const uint8_t *frame, size_t len)
{
	struct carp_nd_ctx ctx;
	enum carp_nd_verdict v, seen = CARP_ND_NOT_OURS;
	struct balgroup *bg;
	uint8_t out[CARP_ND_NA_LEN];
	size_t outn;
	int i;

	for (i = 0; i < dev->nbg; i++) {
		bg = dev->bg[i];
		carp_nd_ctx_from_set(&bg->set, dev->real_mac,
		    dev->env->ipv6_forwarding, &ctx);
		v = carp_nd_answer(frame, len, &ctx, out, sizeof(out), &outn);
		if (v == CARP_ND_NOT_OURS)
			continue;	/* maybe another group's VIP */
		bg->nd[v]++;
		if (v == CARP_ND_REPLY &&
		    carp_net_send_frame(&dev->env->net, dev->ifindex, out,
		    outn) == -1)
			bg->nd_send_errors++;
		seen = v;
		break;
	}
	/* solicitations for the carpdev's own addresses and the other
	 * hosts' DAD reach the tap too: counted, never logged */
	if (seen == CARP_ND_NOT_OURS)
		dev->nd_other++;
}

static void
arp_cb(int fd, short what, void *arg)
{
	struct carpdev *dev = arg;
	uint8_t buf[CARP_NET_RESOLVE_SNAP];
	size_t len;
	int n;

	(void)what;
	/* bounded: a flood of requests must not starve the adverts */
	for (n = 0; n < 64; n++) {
		if (carp_net_arp_read(fd, buf, sizeof(buf), &len) != 1)
			break;
		/* the socket's filter lets only ARP and IPv6 NS through */
		if (len >= 14 && buf[12] == 0x86 && buf[13] == 0xdd)
			nd_frame(dev, buf, len);
		else
			arp_frame(dev, buf, len);
	}
}

static int
arp_open(struct carpdev *dev)
{
	if (dev->arp_fd != -1)
		return 0;
	if (carp_nl_lladdr(dev->env->nl, dev->ifindex, dev->real_mac) == -1)
		return -1;
	if ((dev->arp_fd = carp_net_arp_open(dev->ifindex)) == -1)
		return -1;
	dev->arp_ev = event_new(dev->env->base, dev->arp_fd,
	    EV_READ | EV_PERSIST, arp_cb, dev);
	event_add(dev->arp_ev, NULL);
	return 0;
}

static void
arp_close(struct carpdev *dev)
{
	if (dev->arp_fd == -1)
		return;
	event_free(dev->arp_ev);
	close(dev->arp_fd);	/* the memberships go with it */
	dev->arp_fd = -1;
	dev->arp_ev = NULL;
}

/* ------------------------------------------------------------------ */
/* groups                                                              */

static struct balgroup *
group_find(struct carpdev *dev, uint8_t leader)
{
	int i;

	for (i = 0; i < dev->nbg; i++)
		if (dev->bg[i]->set.vhids[0] == leader)
			return dev->bg[i];
	return NULL;
}

/*
 * The carpdev's filter must pass the solicited-node groups of the IPv6
 * VIPs (RFC 4861 7.2.2: a resolving client sends its NS there) also
 * while the VIPs are off the carpdev (no bucket owned here): carpd's tap
 * then sees and counts them. 33:33:ff + the VIP's last 24 bits (RFC
 * 2464 7, RFC 4291 2.7.1).
 */
static void
solicited_members(struct carpdev *dev, const struct carp_balance_set *set,
    int add)
{
	uint8_t mac[6] = { 0x33, 0x33, 0xff };
	unsigned i;

	for (i = 0; i < set->nvips; i++) {
		if (set->vips[i].af != AF_INET6)
			continue;
		memcpy(mac + 3, set->vips[i].addr + 13, 3);
		carp_net_arp_member(dev->arp_fd, dev->ifindex, mac, add);
	}
}

static struct balgroup *
group_new(struct carpdev *dev, const struct carp_vhost_conf *c)
{
	struct balgroup *bg;
	uint8_t mac[6];

	if (dev->nbg == CARPD_MAX_BALGROUPS) {
		log_warnx("vhid %u: more than %d balanced groups on %s",
		    c->vhid, CARPD_MAX_BALGROUPS, dev->name);
		return NULL;
	}
	if (arp_open(dev) == -1)
		return NULL;
	if ((bg = calloc(1, sizeof(*bg))) == NULL)
		goto fail;
	bg->dev = dev;
	set_from_conf(&bg->set, c, dev->env->conf->balance_seed);
	bg->naddrs = c->naddrs;
	memcpy(bg->addrs, c->addrs, sizeof(bg->addrs));
	carp_balance_mac(c->balancing, c->leader, mac);
	if (carp_net_arp_member(dev->arp_fd, dev->ifindex, mac, 1) == -1)
		goto fail;
	solicited_members(dev, &bg->set, 1);
	dev->bg[dev->nbg++] = bg;
	if (table_write(dev) == -1) {
		dev->bg[--dev->nbg] = NULL;
		carp_net_arp_member(dev->arp_fd, dev->ifindex, mac, 0);
		solicited_members(dev, &bg->set, 0);
		goto fail;
	}
	return bg;
fail:
	free(bg);
	if (dev->nbg == 0)		/* no group left to answer for */
		arp_close(dev);
	return NULL;
}

static void
group_free(struct balgroup *bg)
{
	struct carpdev *dev = bg->dev;
	uint8_t mac[6];
	int i;

	if (bg->vips_up)
		vips_apply(bg, 0);
	carp_balance_mac(bg->set.mode, bg->set.vhids[0], mac);
	if (dev->arp_fd != -1) {
		carp_net_arp_member(dev->arp_fd, dev->ifindex, mac, 0);
		solicited_members(dev, &bg->set, 0);
	}
	for (i = 0; i < dev->nbg; i++)
		if (dev->bg[i] == bg) {
			dev->bg[i] = dev->bg[--dev->nbg];
			break;
		}
	free(bg);
	table_write(dev);
	if (dev->nbg == 0)
		arp_close(dev);
}

int
carpd_balance_attach(struct vhost *vh)
{
	const struct carp_vhost_conf *c = &vh->conf;
	struct balgroup *bg;

	char err[256];

	/* the first balanced vhost may come with a reload: CAP_NET_ADMIN,
	 * kept after the privilege drop, is all libnftables needs */
	if (vh->env->nft == NULL &&
	    (vh->env->nft = nft_shell_open(err, sizeof(err))) == NULL) {
		log_warnx("vhid %u: balancing: nftables: %s", c->vhid, err);
		return -1;
	}
	if ((bg = group_find(vh->dev, c->leader)) == NULL &&
	    (bg = group_new(vh->dev, c)) == NULL)
		return -1;
	if (bg->node[c->node_index] != NULL) {
		log_warnx("vhid %u: node %u of group %u taken", c->vhid,
		    c->node_index, c->leader);
		return -1;
	}
	bg->node[c->node_index] = vh;
	vh->bg = bg;
	vh->vif = vh->dev->ifindex;	/* VIPs on the carpdev (group_follow) */
	carp_balance_mac(c->balancing, c->leader, vh->vmac);
	return 0;
}

void
carpd_balance_detach(struct vhost *vh)
{
	struct balgroup *bg = vh->bg;
	int i, left = 0;

	if (bg == NULL)
		return;
	bg->node[vh->conf.node_index] = NULL;
	vh->bg = NULL;
	for (i = 0; i < CARP_MAX_NODES; i++)
		left += bg->node[i] != NULL;
	if (left == 0)
		group_free(bg);
	else
		group_follow(bg);
}

/* The table's counters for one carpdev into the groups (status, metrics). */
void
carpd_balance_counters(struct carpdev *dev)
{
	struct carp_bal_count cnt[CARP_MAX_NODES * 4];
	char name[IFNAMSIZ + 16], cmd[64], err[256], *text;
	int i, j, n, k;

	if (dev->nbg == 0 || dev->env->nft == NULL ||
	    carp_balance_table_name(dev->name, name, sizeof(name)) < 0 ||
	    (text = malloc(BAL_NFT_TEXT)) == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "list counters table netdev %s", name);
	n = nft_shell_list(dev->env->nft, cmd, text, BAL_NFT_TEXT, err,
	    sizeof(err));
	if (n >= 0)
		n = carp_balance_parse_counters(text, cnt,
		    sizeof(cnt) / sizeof(cnt[0]));
	free(text);
	for (i = 0; n > 0 && i < dev->nbg; i++)
		for (j = 0; j < (int)dev->bg[i]->set.n; j++)
			for (k = 0; k < n; k++)
				if (cnt[k].vhid == dev->bg[i]->set.vhids[j]) {
					dev->bg[i]->accepted[j] = cnt[k].accepted;
					dev->bg[i]->ignored[j] = cnt[k].ignored;
				}
}

int
carpd_balance_setup(struct carpd *env)
{
	char err[256];

	if (!carpd_conf_balances(env->conf))
		return 0;
	/* as root, before the drop: the socket is bound to carpd's life */
	if ((env->nft = nft_shell_open(err, sizeof(err))) == NULL) {
		log_warnx("balancing: nftables: %s", err);
		return -1;
	}
	return 0;
}

void
carpd_balance_teardown(struct carpd *env)
{
	nft_shell_close(env->nft);	/* an owner table goes with it */
	env->nft = NULL;
}
