/*
 * forkbomb (tests/e2e, in the sandbox only): forks children that wait on a
 * pipe until fork fails, lets them all go, reaps them, and reports. Exits
 * 0 when fork failed with EAGAIN (the sandbox's task limit) and every
 * child was reaped with status 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	if (pipe(p) != 0)
		return 2;
	int n = 0, err = 0;
	while (n < 100000) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			char c;
			close(p[1]);
			ssize_t r = read(p[0], &c, 1);
			_exit(r == 0 ? 0 : 1);
		}
		n++;
	}
	close(p[1]); /* EOF: every child exits */
	int reaped = 0, bad = 0, st;
	while (wait(&st) > 0) {
		reaped++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	printf("forked %d, then %s; reaped %d, %d bad\n", n, err ? strerror(err) : "no error",
	       reaped, bad);
	return err == EAGAIN && reaped == n && bad == 0 ? 0 : 1;
}
