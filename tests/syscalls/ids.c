/* ids: process, thread and user ids agree between raw calls, glibc and each other. */
#include "test.h"

int main(void)
{
	long pid = syscall(SYS_getpid);
	CHECK(pid > 0);
	CHECK_EQ(getpid(), pid);
	/* A single-threaded process: its only thread's id is the process id. */
	CHECK_EQ(syscall(SYS_gettid), pid);
	CHECK_EQ(gettid(), pid);
	/* The parent may be outside our pid namespace (then 0), but it is not us. */
	long ppid = syscall(SYS_getppid);
	CHECK(ppid >= 0);
	CHECK(ppid != pid);
	CHECK_EQ(getppid(), ppid);

	/* Not set-id: real and effective ids are the same. */
	long uid = syscall(SYS_getuid), euid = syscall(SYS_geteuid);
	long gid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
	CHECK(uid >= 0 && gid >= 0);
	CHECK_EQ(uid, euid);
	CHECK_EQ(gid, egid);
	CHECK_EQ(getuid(), uid);
	CHECK_EQ(getegid(), egid);

	/* getgroups(0, NULL) counts; a buffer of that size gets them all. */
	long n = syscall(SYS_getgroups, 0, NULL);
	CHECK(n >= 0 && n <= 65536);
	gid_t groups[256];
	CHECK(n <= 256);
	CHECK_EQ(syscall(SYS_getgroups, n, groups), n);
	CHECK_EQ(syscall(SYS_getgroups, 256, groups), n);
	/* EINVAL: a size too small (when there is at least one group) or negative. */
	if (n > 0)
		CHECK_ERR(syscall(SYS_getgroups, n - 1, groups), EINVAL);
	CHECK_ERR(syscall(SYS_getgroups, -1, groups), EINVAL);
	CHECK_ERR(syscall(SYS_getgroups, -1, NULL), EINVAL);

	/* The ids do not change between calls. */
	CHECK_EQ(syscall(SYS_getpid), pid);
	CHECK_EQ(syscall(SYS_getuid), uid);
	return 0;
}
