/*
 * The application sees only the sandbox's processes: it is pid 1, its
 * parent is outside its pid namespace (0), and no host process can be
 * signalled, whatever pid it names.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	if (syscall(SYS_getpid) != 1 || syscall(SYS_gettid) != 1 || syscall(SYS_getppid) != 0) {
		printf("pid %ld tid %ld ppid %ld: not the sandbox's init\n", syscall(SYS_getpid),
		       syscall(SYS_gettid), syscall(SYS_getppid));
		return 1;
	}
	/* Signal 0 probes without sending; every host pid must be invisible. */
	for (int pid = 2; pid < 70000; pid += 7) {
		if (syscall(SYS_kill, pid, 0) != -1 || errno != ESRCH) {
			printf("kill(%d, 0) reached a process\n", pid);
			return 1;
		}
	}
	if (syscall(SYS_kill, -1, SIGKILL) != -1 || errno != ESRCH) {
		printf("kill(-1, SIGKILL) reached a process\n");
		return 1;
	}
	if (syscall(SYS_tgkill, 2, 2, 0) != -1 || errno != ESRCH) {
		printf("tgkill reached a thread\n");
		return 1;
	}
	return 0;
}
