/*
 * notify.h: service manager notifications (sd_notify). notify.c is the only
 * file that includes libsystemd (house style R5). Every call is a silent
 * no-op when not started by systemd (NOTIFY_SOCKET unset).
 */
#ifndef CARPSYNC_NOTIFY_H
#define CARPSYNC_NOTIFY_H

void	notify_ready(void);		/* READY=1: startup or reload done */
void	notify_stopping(void);		/* STOPPING=1 */
void	notify_reloading(void);		/* RELOADING=1; send notify_ready() after */
void	notify_status(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));	/* STATUS=<text> */

#endif
