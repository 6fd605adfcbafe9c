/*
 * carp_spawn.h: runs the shell commands of hooks and track scripts
 * (carpd.conf(5) TRACKING, HOOKS) without ever blocking: /bin/sh -c CMD
 * in its own process group, stdin/stdout/stderr on /dev/null, the
 * daemon's user with no capability left, a given environment. The daemon
 * reaps through its SIGCHLD event (carp_health.c).
 */
#ifndef CARPD_CARP_SPAWN_H
#define CARPD_CARP_SPAWN_H

/* The child's pid (also its process group), or -1 (errno set). */
int	carp_spawn(const char *cmd, char *const envp[]);
/* SIGKILL to the whole process group of a spawned child. */
void	carp_spawn_kill(int pid);
/*
 * One ended child: 1 with its pid and wait status, 0 if none is left to
 * reap now (never waits).
 */
int	carp_spawn_reap(int *pid, int *status);
/* "exit 3", "signal 9" for a wait status. */
const char *carp_spawn_status(int status, char *buf, unsigned len);

#endif
