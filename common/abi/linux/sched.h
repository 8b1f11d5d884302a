/*
 * Process creation and waiting: clone flags, clone3's argument, wait
 * options and waitid's id types (include/uapi/linux/sched.h, wait.h).
 */
#ifndef COMMON_ABI_LINUX_SCHED_H
#define COMMON_ABI_LINUX_SCHED_H

#include <stdint.h>

#define LINUX_CSIGNAL              0x000000ffULL
#define LINUX_CLONE_VM             0x00000100ULL
#define LINUX_CLONE_FS             0x00000200ULL
#define LINUX_CLONE_FILES          0x00000400ULL
#define LINUX_CLONE_SIGHAND        0x00000800ULL
#define LINUX_CLONE_PIDFD          0x00001000ULL
#define LINUX_CLONE_PTRACE         0x00002000ULL
#define LINUX_CLONE_VFORK          0x00004000ULL
#define LINUX_CLONE_PARENT         0x00008000ULL
#define LINUX_CLONE_THREAD         0x00010000ULL
#define LINUX_CLONE_NEWNS          0x00020000ULL
#define LINUX_CLONE_SYSVSEM        0x00040000ULL
#define LINUX_CLONE_SETTLS         0x00080000ULL
#define LINUX_CLONE_PARENT_SETTID  0x00100000ULL
#define LINUX_CLONE_CHILD_CLEARTID 0x00200000ULL
#define LINUX_CLONE_DETACHED       0x00400000ULL
#define LINUX_CLONE_UNTRACED       0x00800000ULL
#define LINUX_CLONE_CHILD_SETTID   0x01000000ULL
#define LINUX_CLONE_NEWCGROUP      0x02000000ULL
#define LINUX_CLONE_NEWUTS         0x04000000ULL
#define LINUX_CLONE_NEWIPC         0x08000000ULL
#define LINUX_CLONE_NEWUSER        0x10000000ULL
#define LINUX_CLONE_NEWPID         0x20000000ULL
#define LINUX_CLONE_NEWNET         0x40000000ULL
#define LINUX_CLONE_IO             0x80000000ULL
/* clone3 only. */
#define LINUX_CLONE_CLEAR_SIGHAND 0x100000000ULL
#define LINUX_CLONE_INTO_CGROUP   0x200000000ULL
#define LINUX_CLONE_NEWTIME       0x00000080ULL

#define LINUX_CLONE_NS_FLAGS                                                                   \
	(LINUX_CLONE_NEWNS | LINUX_CLONE_NEWCGROUP | LINUX_CLONE_NEWUTS | LINUX_CLONE_NEWIPC | \
	 LINUX_CLONE_NEWUSER | LINUX_CLONE_NEWPID | LINUX_CLONE_NEWNET)

/* struct clone_args of clone3(2). */
struct linux_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};
#define LINUX_CLONE_ARGS_SIZE_VER0 64
#define LINUX_CLONE_ARGS_SIZE_VER1 80
#define LINUX_CLONE_ARGS_SIZE_VER2 88

/* wait4 and waitid options. */
#define LINUX_WNOHANG     0x00000001
#define LINUX_WUNTRACED   0x00000002
#define LINUX_WSTOPPED    0x00000002
#define LINUX_WEXITED     0x00000004
#define LINUX_WCONTINUED  0x00000008
#define LINUX_WNOWAIT     0x01000000
#define LINUX___WNOTHREAD 0x20000000
#define LINUX___WALL      0x40000000
#define LINUX___WCLONE    0x80000000

/* waitid id types. */
#define LINUX_P_ALL   0
#define LINUX_P_PID   1
#define LINUX_P_PGID  2
#define LINUX_P_PIDFD 3

/* SIGCHLD si_codes. */
#define LINUX_CLD_EXITED    1
#define LINUX_CLD_KILLED    2
#define LINUX_CLD_DUMPED    3
#define LINUX_CLD_TRAPPED   4
#define LINUX_CLD_STOPPED   5
#define LINUX_CLD_CONTINUED 6

#endif /* COMMON_ABI_LINUX_SCHED_H */
