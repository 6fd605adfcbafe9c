/*
 * log.h: OpenBSD-style logging (log.c). stderr in the foreground (-d),
 * syslog otherwise. Every function saves and restores errno.
 */
#ifndef CARPSYNC_LOG_H
#define CARPSYNC_LOG_H

#include <stdarg.h>
#include <syslog.h>

/*
 * log_init: debug != 0 logs to stderr, otherwise openlog(ident, facility).
 * Messages above `level` (a LOG_* priority) are suppressed.
 */
void	log_init(const char *ident, int debug, int facility);
void	log_setlevel(int level);	/* LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING */
int	log_getlevel(void);

void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));	/* + strerror(errno) */
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_crit(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	vlog(int pri, const char *, va_list) __attribute__((__format__(printf, 2, 0)));
void	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2), __noreturn__));

#endif
