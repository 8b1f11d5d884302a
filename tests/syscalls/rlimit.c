/* rlimit: getrlimit, setrlimit and prlimit64, and RLIMIT_NOFILE's effect on fd numbers. */
#include <fcntl.h>
#include <sys/resource.h>

#include "test.h"

static struct rlimit get(int res)
{
	struct rlimit rl = { 1, 1 };

	CHECK_EQ(syscall(SYS_getrlimit, res, &rl), 0);
	CHECK(rl.rlim_cur <= rl.rlim_max);
	return rl;
}

int main(void)
{
	struct rlimit nofile = get(RLIMIT_NOFILE);
	CHECK(nofile.rlim_cur >= 64);

	/* Lower the soft limit and read it back, through each interface. */
	struct rlimit lower = { 64, nofile.rlim_max };
	CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_NOFILE, &lower), 0);
	CHECK_EQ(get(RLIMIT_NOFILE).rlim_cur, 64);
	CHECK_EQ(get(RLIMIT_NOFILE).rlim_max, nofile.rlim_max);
	struct rlimit old = { 0, 0 };
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old), 0);
	CHECK_EQ(old.rlim_cur, 64);
	CHECK_EQ(old.rlim_max, nofile.rlim_max);
	/* prlimit64 on our own pid works like pid 0; it sets and returns the old value at once. */
	struct rlimit lower2 = { 32, nofile.rlim_max };
	CHECK_EQ(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, &lower2, &old), 0);
	CHECK_EQ(old.rlim_cur, 64);
	CHECK_EQ(get(RLIMIT_NOFILE).rlim_cur, 32);

	/* The limit applies to new fds: dup2 to 32 fails, F_DUPFD from 32 too, dup runs out. */
	CHECK_ERR(syscall(SYS_dup2, 0, 32), EBADF);
	CHECK_EQ(syscall(SYS_dup2, 0, 31), 31);
	CHECK_ERR(syscall(SYS_fcntl, 0, F_DUPFD, 32), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, 0, F_DUPFD, 31), EMFILE);
	long fd;
	int opened = 0;
	while ((fd = syscall(SYS_dup, 0)) >= 0) {
		CHECK(fd < 31);
		opened++;
	}
	CHECK_EQ(errno, EMFILE);
	CHECK(opened > 0);
	for (fd = 3; fd < 32; fd++)
		syscall(SYS_close, fd);

	/* Raising the soft limit back up to the hard limit is allowed. */
	CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_NOFILE, &nofile), 0);
	CHECK_EQ(get(RLIMIT_NOFILE).rlim_cur, nofile.rlim_cur);

	/* EINVAL: soft above hard. */
	struct rlimit inverted = { 20, 10 };
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, &inverted), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &inverted, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_CORE, &inverted), EINVAL);
	CHECK_EQ(get(RLIMIT_NOFILE).rlim_cur, nofile.rlim_cur);
	/* EINVAL: an unknown resource, for all three calls. */
	struct rlimit rl;
	CHECK_ERR(syscall(SYS_getrlimit, RLIM_NLIMITS, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, 100, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, -1, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_setrlimit, RLIM_NLIMITS, &nofile), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, RLIM_NLIMITS, NULL, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, 100, NULL, NULL), EINVAL);

	/* Every known resource can be read; RLIM_INFINITY reads back as all ones. */
	for (int res = 0; res < RLIM_NLIMITS; res++)
		get(res);
	struct rlimit core = get(RLIMIT_CORE);
	struct rlimit core0 = { 0, core.rlim_max };
	CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_CORE, &core0), 0);
	CHECK_EQ(get(RLIMIT_CORE).rlim_cur, 0);
	if (core.rlim_max == RLIM_INFINITY) {
		struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
		CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_CORE, &inf), 0);
		CHECK_EQ(get(RLIMIT_CORE).rlim_cur, (long long)~0ULL);
	}
	return 0;
}
