/*
 * carp_spawn.c: fork/exec of hooks and track scripts (carp_spawn.h).
 * Only async-signal-safe calls between fork and exec, apart from
 * priv_child_drop (libcap: a few syscalls, no lock of the parent).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "carp_spawn.h"
#include "priv.h"

/* In the child: never returns. */
static void
child(const char *cmd, char *const envp[])
{
	sigset_t	 none;
	int		 fd, sig;
	char *const	 argv[] = { "sh", "-c", (char *)cmd, NULL };

	/* its own group, so a timeout kills what it started too */
	(void)setpgid(0, 0);
	/* libevent's signal handlers and the SIGPIPE ignore stay behind */
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		_exit(126);
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(126);
	/* sockets, netlink, the control socket: none for the child */
	closefrom(3);
	if (priv_child_drop() == -1)
		_exit(126);
	execve("/bin/sh", argv, envp);
	_exit(127);
}

int
carp_spawn(const char *cmd, char *const envp[])
{
	pid_t	 pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		child(cmd, envp);
	/* both sides, so a kill right away finds the group */
	(void)setpgid(pid, pid);
	return (int)pid;
}

void
carp_spawn_kill(int pid)
{
	if (pid > 0)
		(void)kill(-(pid_t)pid, SIGKILL);
}

int
carp_spawn_reap(int *pid, int *status)
{
	pid_t	 p;

	do
		p = waitpid(-1, status, WNOHANG);
	while (p == -1 && errno == EINTR);
	if (p <= 0)
		return 0;
	*pid = (int)p;
	return 1;
}

const char *
carp_spawn_status(int status, char *buf, unsigned len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}
