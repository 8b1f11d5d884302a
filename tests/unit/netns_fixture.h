/*
 * What the unit tests that build network namespaces and veth pairs share
 * (tests/unit/runsc-cli/test_network, tests/unit/sentry/net/test_packet_link):
 * running `ip` quietly, and stepping the calling thread into a named
 * namespace (`ip netns add`'s /run/netns/NAME) and back. Each test keeps
 * its own names (made unique by its pid) and its own clean-up. Include
 * after <cmocka.h>.
 */
#ifndef TESTS_UNIT_NETNS_FIXTURE_H
#define TESTS_UNIT_NETNS_FIXTURE_H

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv (NULL-terminated) with its output discarded; returns its exit status, or -1. */
static inline int netns_run(const char *const *argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(...) netns_run((const char *const[]){ __VA_ARGS__, NULL })

/* The calling thread into network namespace name (/run/netns/NAME). */
static inline void netns_enter(const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

/* Back into the namespace of orig_fd (the test's own, opened from /proc/self/ns/net). */
static inline void netns_leave(int orig_fd)
{
	assert_int_equal(setns(orig_fd, CLONE_NEWNET), 0);
}

#endif /* TESTS_UNIT_NETNS_FIXTURE_H */
