/*
 * pcap_out.c: pcap files through libpcap, the only project file that
 * includes it (house style R5). A "dead" handle (pcap_open_dead) gives the
 * file header for link type RAW without any capture device; records go
 * through stdio, so pcap_out_flush is what makes them visible.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "pcap_out.h"

#define PCAP_OUT_SNAPLEN	65535

struct pcap_out {
	pcap_t		*p;
	pcap_dumper_t	*d;
	int		 failed;	/* a write or flush failed */
};

/* The stream to write: stdout for "-", else a new file only we can read. */
static FILE *
out_stream(const char *path, const char **why)
{
	FILE	*f;
	int	 fd;

	if (strcmp(path, "-") == 0)
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "wb")) == NULL) {
		*why = strerror(errno);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	return f;
}

struct pcap_out *
pcap_out_open(const char *path, const char **why)
{
	struct pcap_out	*o;
	FILE		*f;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if ((o->p = pcap_open_dead(DLT_RAW, PCAP_OUT_SNAPLEN)) == NULL) {
		*why = "pcap_open_dead failed";
		free(o);
		return NULL;
	}
	if ((f = out_stream(path, why)) == NULL) {
		pcap_close(o->p);
		free(o);
		return NULL;
	}
	/* pcap_dump_fopen writes the file header and owns f from now on */
	if ((o->d = pcap_dump_fopen(o->p, f)) == NULL) {
		*why = "cannot write the pcap file header";
		if (f != stdout)
			fclose(f);
		pcap_close(o->p);
		free(o);
		return NULL;
	}
	return o;
}

int
pcap_out_write(struct pcap_out *o, uint64_t time_us, const uint8_t *pkt,
    size_t caplen, size_t len)
{
	struct pcap_pkthdr	 h;

	if (o == NULL || caplen > PCAP_OUT_SNAPLEN || caplen > len ||
	    len > UINT32_MAX)
		return -1;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(time_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(time_us % 1000000);
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)o->d, &h, pkt);
	if (ferror(pcap_dump_file(o->d))) {
		o->failed = 1;
		return -1;
	}
	return 0;
}

int
pcap_out_flush(struct pcap_out *o)
{
	if (o == NULL)
		return -1;
	if (pcap_dump_flush(o->d) == -1) {
		o->failed = 1;
		return -1;
	}
	return 0;
}

int
pcap_out_close(struct pcap_out *o)
{
	int	 rc;

	if (o == NULL)
		return 0;
	rc = pcap_out_flush(o) == -1 || o->failed ? -1 : 0;
	pcap_dump_close(o->d);		/* fclose, stdout included */
	pcap_close(o->p);
	free(o);
	return rc;
}
