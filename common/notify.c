/*
 * notify.c: sd_notify wrapper. sd_notify() returns 0 and does nothing when
 * NOTIFY_SOCKET is unset, so running in the foreground or under another
 * supervisor needs no special case. Failures are ignored on purpose: a
 * lost notification must never stop the daemon, and errno is preserved.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

#define NOTIFY_STATUSMAX	256

static void
notify_send(const char *state)
{
	int	saved_errno = errno;

	(void)sd_notify(0, state);
	errno = saved_errno;
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/*
 * MONOTONIC_USEC is required by Type=notify-reload (systemd 253+) to match
 * the reload to this message; systemd 252 (Debian 12) ignores it.
 */
void
notify_reloading(void)
{
	struct timespec	ts;
	char		msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

/* Newlines would start a new assignment in the sd_notify state string. */
void
notify_status(const char *fmt, ...)
{
	char	msg[NOTIFY_STATUSMAX] = "STATUS=";
	size_t	pre = sizeof("STATUS=") - 1, i;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg + pre, sizeof(msg) - pre, fmt, ap);
	va_end(ap);
	for (i = pre; msg[i] != '\0'; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	notify_send(msg);
}
