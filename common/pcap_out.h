/*
 * pcap_out.h: write IP packets to a pcap file through libpcap (pcap_out.c
 * is the only file that includes it), for syncd's pcap-file and carpctl
 * sync dump. Link type RAW: each record is an IPv4 or IPv6 packet, told
 * apart by its version nibble, so an IPv6 sync peer's frames need no
 * faked IPv4 header.
 */
#ifndef CARPSYNC_PCAP_OUT_H
#define CARPSYNC_PCAP_OUT_H

#include <stddef.h>
#include <stdint.h>

struct pcap_out;

/*
 * Create (truncate) path, mode 0600: the records show every replicated
 * connection. "-" is standard output. NULL with *why set (static text or
 * strerror) on failure.
 */
struct pcap_out *pcap_out_open(const char *path, const char **why);
/*
 * One record: caplen bytes of a packet that was len bytes long (caplen <
 * len if it was cut), stamped time_us (microseconds since the epoch).
 * 0, or -1 if the file could not be written. Buffered: see flush.
 */
int	pcap_out_write(struct pcap_out *, uint64_t time_us, const uint8_t *pkt,
	    size_t caplen, size_t len);
/* Push buffered records to the file, so a reader sees them now. 0 or -1. */
int	pcap_out_flush(struct pcap_out *);
/* Flush and close; 0, or -1 if something was not written. NULL is fine. */
int	pcap_out_close(struct pcap_out *);

#endif
