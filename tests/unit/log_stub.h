#ifndef LOG_STUB_H
#define LOG_STUB_H
extern char	log_stub_last[1024];	/* last message logged */
extern int	log_stub_count;		/* messages logged so far */
#endif
