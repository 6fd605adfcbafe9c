/*
 * log_stub.c: link-time replacement for common/log.c in unit tests. It keeps
 * the last message so a test can assert on it, and turns fatal() into a
 * test failure instead of an exit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "log_stub.h"

char	log_stub_last[1024];
int	log_stub_count;

static void
stub_record(const char *fmt, va_list ap)
{
	vsnprintf(log_stub_last, sizeof(log_stub_last), fmt, ap);
	log_stub_count++;
	if (getenv("LOG_STUB_VERBOSE") != NULL)
		fprintf(stderr, "log: %s\n", log_stub_last);
}

#define STUB(name)					\
void name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	stub_record(fmt, ap);				\
	va_end(ap);					\
}
STUB(log_warn)
STUB(log_warnx)
STUB(log_notice)
STUB(log_info)
STUB(log_debug)
STUB(log_crit)

void
vlog(int pri, const char *fmt, va_list ap)
{
	(void)pri;
	stub_record(fmt, ap);
}

void
log_init(const char *ident, int debug, int facility)
{
	(void)ident; (void)debug; (void)facility;
}

void	log_setlevel(int level) { (void)level; }
int	log_getlevel(void) { return LOG_DEBUG; }

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stub_record(fmt, ap);
	va_end(ap);
	fprintf(stderr, "fatal in unit test: %s\n", log_stub_last);
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stub_record(fmt, ap);
	va_end(ap);
	fprintf(stderr, "fatalx in unit test: %s\n", log_stub_last);
	abort();
}
