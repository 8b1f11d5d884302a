/*
 * Signals as the guest ABI defines them (x86-64): numbers, the kernel's
 * struct sigaction (not glibc's), sigset_t of 64 bits, siginfo.
 */
#ifndef COMMON_ABI_LINUX_SIGNAL_H
#define COMMON_ABI_LINUX_SIGNAL_H

#include <stdint.h>

#define LINUX_NSIG     64
#define LINUX_SIGRTMIN 32

#define LINUX_SIGHUP    1
#define LINUX_SIGINT    2
#define LINUX_SIGQUIT   3
#define LINUX_SIGILL    4
#define LINUX_SIGTRAP   5
#define LINUX_SIGABRT   6
#define LINUX_SIGBUS    7
#define LINUX_SIGFPE    8
#define LINUX_SIGKILL   9
#define LINUX_SIGUSR1   10
#define LINUX_SIGSEGV   11
#define LINUX_SIGUSR2   12
#define LINUX_SIGPIPE   13
#define LINUX_SIGALRM   14
#define LINUX_SIGTERM   15
#define LINUX_SIGSTKFLT 16
#define LINUX_SIGCHLD   17
#define LINUX_SIGCONT   18
#define LINUX_SIGSTOP   19
#define LINUX_SIGTSTP   20
#define LINUX_SIGTTIN   21
#define LINUX_SIGTTOU   22
#define LINUX_SIGURG    23
#define LINUX_SIGXCPU   24
#define LINUX_SIGXFSZ   25
#define LINUX_SIGVTALRM 26
#define LINUX_SIGPROF   27
#define LINUX_SIGWINCH  28
#define LINUX_SIGIO     29
#define LINUX_SIGPWR    30
#define LINUX_SIGSYS    31

/* A signal set: bit (sig - 1) stands for sig. */
typedef uint64_t linux_sigset_t;

static inline linux_sigset_t linux_sigmask(int sig)
{
	return 1ULL << (sig - 1);
}

#define LINUX_SIG_DFL 0ULL
#define LINUX_SIG_IGN 1ULL

#define LINUX_SA_NOCLDSTOP      0x00000001u
#define LINUX_SA_NOCLDWAIT      0x00000002u
#define LINUX_SA_SIGINFO        0x00000004u
#define LINUX_SA_UNSUPPORTED    0x00000400u
#define LINUX_SA_EXPOSE_TAGBITS 0x00000800u
#define LINUX_SA_RESTORER       0x04000000u
#define LINUX_SA_ONSTACK        0x08000000u
#define LINUX_SA_RESTART        0x10000000u
#define LINUX_SA_NODEFER        0x40000000u
#define LINUX_SA_RESETHAND      0x80000000u

/* The kernel's struct sigaction on x86-64 (rt_sigaction(2)). */
struct linux_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	linux_sigset_t mask;
};

#define LINUX_SIG_BLOCK   0
#define LINUX_SIG_UNBLOCK 1
#define LINUX_SIG_SETMASK 2

/* sigaltstack(2): stack_t, and its flags. */
struct linux_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};
#define LINUX_SS_ONSTACK    1
#define LINUX_SS_DISABLE    2
#define LINUX_SS_AUTODISARM (1U << 31)
#define LINUX_MINSIGSTKSZ   2048

/* si_code values used by the sentry. */
#define LINUX_SI_USER     0
#define LINUX_SI_KERNEL   0x80
#define LINUX_SI_QUEUE    (-1)
#define LINUX_SI_TIMER    (-2)
#define LINUX_SI_SIGIO    (-5)
#define LINUX_SI_TKILL    (-6)
#define LINUX_SEGV_MAPERR 1
#define LINUX_SEGV_ACCERR 2

/* siginfo_t: 128 bytes; the union is kept as raw words. */
struct linux_siginfo {
	int32_t signo;
	int32_t errno_;
	int32_t code;
	int32_t pad0;
	union {
		uint64_t raw[14];
		struct {
			int32_t pid;
			uint32_t uid;
		} kill;
		struct {
			uint64_t addr;
		} fault;
	};
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo is 128 bytes");
/*
 * The part of siginfo the kernel keeps (struct kernel_siginfo): the rest
 * of the 128 bytes is always zero when it reaches the application.
 */
#define LINUX_KERNEL_SIGINFO_SIZE 48

/* signalfd(2)'s record (include/uapi/linux/signalfd.h). */
struct linux_signalfd_siginfo {
	uint32_t ssi_signo;
	int32_t ssi_errno;
	int32_t ssi_code;
	uint32_t ssi_pid;
	uint32_t ssi_uid;
	int32_t ssi_fd;
	uint32_t ssi_tid;
	uint32_t ssi_band;
	uint32_t ssi_overrun;
	uint32_t ssi_trapno;
	int32_t ssi_status;
	int32_t ssi_int;
	uint64_t ssi_ptr;
	uint64_t ssi_utime;
	uint64_t ssi_stime;
	uint64_t ssi_addr;
	uint16_t ssi_addr_lsb;
	uint16_t pad2;
	int32_t ssi_syscall;
	uint64_t ssi_call_addr;
	uint32_t ssi_arch;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct linux_signalfd_siginfo) == 128, "signalfd_siginfo is 128 bytes");
#define LINUX_SFD_CLOEXEC  02000000
#define LINUX_SFD_NONBLOCK 04000

#endif /* COMMON_ABI_LINUX_SIGNAL_H */
