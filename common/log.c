/*
 * log.c: OpenBSD-style logging. Lines go to stderr in the foreground (-d)
 * and to syslog (hence the journal) otherwise. Every entry point saves and
 * restores errno, so a log call never disturbs the caller's error handling.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

/* Longest message body we format before appending strerror(). */
#define LOG_MSGMAX	1024

/*
 * The logger's own state: the one file-static allowed in the project
 * (house style R7). Before log_init() runs, messages go to stderr so
 * early errors and carpctl's fatal() are still seen.
 */
static struct {
	const char	*ident;
	int		 debug;
	int		 level;
} logger = {
	.ident = NULL,
	.debug = 1,
	.level = LOG_INFO,
};

static void	log_fmt(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	log_errno(int, int, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));

/*
 * debug != 0: log to stderr. Otherwise open syslog with the pid in each
 * line and the connection made now, before any chroot or privilege drop
 * could make /dev/log unreachable (LOG_NDELAY).
 */
void
log_init(const char *ident, int debug, int facility)
{
	int	saved_errno = errno;

	logger.ident = ident;
	logger.debug = debug;
	if (!debug)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	errno = saved_errno;
}

/*
 * Messages with a priority numerically above level are dropped. Levels
 * below LOG_CRIT are refused so that fatal() and log_crit() always show.
 */
void
log_setlevel(int level)
{
	if (level >= LOG_CRIT && level <= LOG_DEBUG)
		logger.level = level;
}

int
log_getlevel(void)
{
	return (logger.level);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	int	saved_errno = errno;
	char	msg[LOG_MSGMAX];

	if (pri > logger.level) {
		errno = saved_errno;
		return;
	}
	if (logger.debug) {
		/* Format first so one line is written in one stdio call. */
		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

static void
log_fmt(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/*
 * Format the caller's message, then append ": strerror(err)". A NULL fmt
 * logs the error string alone (OpenBSD's fatal(NULL) idiom).
 */
static void
log_errno(int pri, int err, const char *fmt, va_list ap)
{
	char	msg[LOG_MSGMAX];

	if (fmt == NULL) {
		log_fmt(pri, "%s", strerror(err));
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_fmt(pri, "%s: %s", msg, strerror(err));
}

void
log_warn(const char *fmt, ...)
{
	int	saved_errno = errno;
	va_list	ap;

	va_start(ap, fmt);
	log_errno(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

/* One body for each plain level; vlog() restores errno itself. */
#define LOG_PLAIN(name, pri)			\
void						\
name(const char *fmt, ...)			\
{						\
	va_list	ap;				\
						\
	va_start(ap, fmt);			\
	vlog(pri, fmt, ap);			\
	va_end(ap);				\
}

LOG_PLAIN(log_warnx, LOG_ERR)
LOG_PLAIN(log_notice, LOG_NOTICE)
LOG_PLAIN(log_info, LOG_INFO)
LOG_PLAIN(log_debug, LOG_DEBUG)
LOG_PLAIN(log_crit, LOG_CRIT)

/*
 * fatal: log "fatal: <msg>: strerror(errno)" at LOG_CRIT and exit(1).
 * Only for startup failures and broken invariants (house style R17).
 */
void
fatal(const char *fmt, ...)
{
	int	saved_errno = errno;
	char	msg[LOG_MSGMAX];
	va_list	ap;

	if (fmt == NULL)
		log_fmt(LOG_CRIT, "fatal: %s", strerror(saved_errno));
	else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_fmt(LOG_CRIT, "fatal: %s: %s", msg, strerror(saved_errno));
	}
	exit(1);
}

/* fatalx: like fatal() without the errno string. */
void
fatalx(const char *fmt, ...)
{
	char	msg[LOG_MSGMAX] = "";
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	log_fmt(LOG_CRIT, "fatal: %s", msg);
	exit(1);
}
