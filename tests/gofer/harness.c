/* Helpers for the tests that drive `runsc gofer`; see harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/gofer/harness.h"

int harness_start(const char *runsc, const char *const *mounts, unsigned nmounts,
                  struct gofer_proc *out)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	char fdarg[16];
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	const char **argv = calloc(5 + 2 * nmounts, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	unsigned n = 0;
	argv[n++] = runsc;
	argv[n++] = "gofer";
	argv[n++] = "--socket-fd";
	argv[n++] = fdarg;
	for (unsigned i = 0; i < nmounts; i++) {
		argv[n++] = "--mount";
		argv[n++] = mounts[i];
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0) {
		free(argv);
		return -errno;
	}
	if (pid == 0) {
		/* Only the gofer's end crosses exec. */
		fcntl(sv[1], F_SETFD, 0);
		execv(runsc, (char *const *)argv);
		_exit(127);
	}
	free(argv);
	close(sv[1]);
	out->pid = pid;
	out->sock = sv[0];
	return 0;
}

int harness_start_client(const char *runsc, const char *const *mounts, unsigned nmounts,
                         struct gofer_proc *out, struct gofer_client **out_client)
{
	int err = harness_start(runsc, mounts, nmounts, out);
	if (err < 0)
		return err;
	err = gofer_client_new(out->sock, out_client);
	out->sock = -1;
	return err;
}

long long harness_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int harness_wait(struct gofer_proc *p, int timeout_ms)
{
	int status;
	long long deadline = harness_now_ms() + timeout_ms;
	if (p->sock >= 0) {
		close(p->sock);
		p->sock = -1;
	}
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid)
			return status;
		if (r < 0)
			return -1;
		if (harness_now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			return -1;
		}
		usleep(10 * 1000);
	}
}

char *harness_tmpdir(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	char *path;
	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/%s.XXXXXX", base, prefix) < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void harness_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int harness_write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(content);
	ssize_t n = write(fd, content, len);
	int err = n == (ssize_t)len ? 0 : -EIO;
	close(fd);
	return err;
}
