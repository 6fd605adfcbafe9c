/*
 * test_epoch.c: the persisted start counter (common/epoch.c): created,
 * raised by one, never below the floor, and distinct for processes that
 * raise it at the same time (the lock).
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "epoch.h"

#define RACERS		4
#define PER_RACER	50

static char dir[] = "/tmp/test_epoch.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 path[256];
	(void)state;

	snprintf(path, sizeof(path), "%s/e", dir);
	unlink(path);
	return rmdir(dir);
}

static void
test_raise(void **state)
{
	uint32_t e = 0;
	(void)state;

	assert_int_equal(epoch_next(dir, "e", 0, &e), 0);
	assert_int_equal(e, 1);
	assert_int_equal(epoch_next(dir, "e", 0, &e), 0);
	assert_int_equal(e, 2);
	assert_int_equal(epoch_next(dir, "e", 1000, &e), 0);	/* the floor */
	assert_int_equal(e, 1000);
	assert_int_equal(epoch_next(dir, "e", 10, &e), 0);	/* file wins */
	assert_int_equal(e, 1001);
	assert_int_equal(epoch_next("/nonexistent/x", "e", 0, &e), -1);
}

/* Children raise it together; every value comes out once. */
static void
test_lock(void **state)
{
	int	 fds[2], i, status;
	uint32_t v, first, seen[RACERS * PER_RACER + 1];
	pid_t	 pid;
	ssize_t	 n;
	(void)state;

	assert_int_equal(epoch_next(dir, "e", 0, &first), 0);
	assert_int_equal(pipe(fds), 0);
	for (i = 0; i < RACERS; i++) {
		assert_true((pid = fork()) != -1);
		if (pid == 0) {
			close(fds[0]);
			for (int k = 0; k < PER_RACER; k++)
				if (epoch_next(dir, "e", 0, &v) == -1 ||
				    write(fds[1], &v, sizeof(v)) != sizeof(v))
					_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	memset(seen, 0, sizeof(seen));
	for (i = 0; (n = read(fds[0], &v, sizeof(v))) == sizeof(v); i++) {
		assert_true(v > first && v <= first + RACERS * PER_RACER);
		assert_int_equal(seen[v - first], 0);
		seen[v - first] = 1;
	}
	close(fds[0]);
	assert_int_equal(i, RACERS * PER_RACER);
	while (wait(&status) > 0)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raise),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
