/*
 * stall_probe.c: how late the machine lets a process run, for tests
 * that judge how fast a daemon answers on shared, loaded cores. It only
 * sleeps 1 ms at a time; when it wakes later than it should by MIN_MS or
 * more (default 5), it prints "LATE_MS START_S": the stall's length in ms
 * and its start (wall clock, s), the instant it should have woken. A
 * daemon asleep in its event loop at the same priority is woken no sooner
 * than this probe was: a reply that took longer than a bound is the
 * daemon's only for the part of it that no stall of the probe covers.
 *
 * usage: stall_probe STOPFILE [MIN_MS]
 * Runs until STOPFILE exists; then prints "# N wakeups, max LATE_MS ms"
 * and exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS		1000000L

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const struct timespec tick = { 0, TICK_NS };
	double min_ms = 5, max = 0, before, late;
	long n = 0;
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: stall_probe STOPFILE [MIN_MS]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		min_ms = strtod(argv[2], &end);
		if (errno != 0 || *end != '\0' || min_ms <= 0)
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (access(argv[1], F_OK) == -1) {
		before = mono_ms();
		nanosleep(&tick, NULL);
		late = mono_ms() - before - TICK_NS / 1e6;
		n++;
		if (late > max)
			max = late;
		if (late >= min_ms)
			printf("%.3f %.6f\n", late, wall_s() - late / 1e3);
	}
	printf("# %ld wakeups, max %.3f ms\n", n, max);
	return 0;
}
