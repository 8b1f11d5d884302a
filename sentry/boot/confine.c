/*
 * The sentry's confinement: see confine.h.
 *
 * The allowlist below is every host syscall the sentry makes once
 * confined, measured over the whole test suite (the kernel's
 * raw_syscalls:sys_enter tracepoint, filtered on the confined processes,
 * and RUNSC_SECCOMP=trap), then checked against the code: a few calls the
 * suite does not reach but the code makes are in it too (fsync, fdatasync,
 * clock_getres of CPU clocks, getrusage for /proc/stat, restart_syscall).
 * Who makes each call is in its reason: the sentry's own
 * code, glibc under it, or a stub (a fork of a sentry thread, so under this
 * filter too): the stub's set-up before it jumps to the stub code
 * (host_stub.c's stub_child), the stub code itself (stub.S), and the
 * memory operations the sentry injects at its gadget.
 */
#include "sentry/boot/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <termios.h>

#include "common/abi/linux/tty.h"
#include "common/host_info.h"
#include "common/log.h"
#include "sentry/net/netmode.h"

/* glibc's pthread_create (nptl's create_thread) when clone3 is not available. */
#define THREAD_CLONE_FLAGS                                                                  \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

#define ALLOW(name, reason)                                                     \
	{                                                                       \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .why = (reason) \
	}
#define ALLOW_IF(name, cond, reason)                                                          \
	{                                                                                     \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .nargs = 1, .args = { cond }, \
		.why = (reason)                                                               \
	}
#define ALLOW_IF2(name, c1, c2, reason)                                                         \
	{                                                                                       \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .nargs = 2, .args = { c1, c2 }, \
		.why = (reason)                                                                 \
	}
#define ALLOW_IF3(name, c1, c2, c3, reason)                                 \
	{                                                                   \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ALLOW, .nargs = 3, \
		.args = { c1, c2, c3 }, .why = (reason)                     \
	}
#define ALLOW_IOCTL(cmd, reason) ALLOW_IF(ioctl, CONFINE_EQ32(1, cmd), reason)
#define FAIL_IF(name, err, cond, reason)                                                           \
	{                                                                                          \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ERRNO(err), .nargs = 1, .args = { cond }, \
		.why = (reason)                                                                    \
	}
#define FAIL(name, err, reason)                                                      \
	{                                                                            \
		.nr = SCMP_SYS(name), .action = SCMP_ACT_ERRNO(err), .why = (reason) \
	}

const struct confine_rule g_sentry_rules[] = {
	/* Memory: the sentry's own (malloc, thread stacks) and the stubs' injected operations. */
	ALLOW(mmap,
	      "malloc, thread stacks; a stub's injected mmap (its own filter wants MAP_FIXED)"),
	ALLOW(munmap, "free, thread exit; a stub's injected munmap, and stub.S dropping the "
	              "sentry's memory"),
	ALLOW(mprotect, "glibc (thread stack guards); a stub's injected mprotect"),
	ALLOW(mremap, "realloc of big blocks; a stub's injected mremap"),
	ALLOW(madvise, "free (MADV_DONTNEED), thread exit; a stub's injected madvise"),
	ALLOW(mincore, "a stub's injected mincore (the application's mincore(2))"),
	ALLOW(msync, "a stub's injected msync (the application's msync(2))"),
	ALLOW(brk, "malloc's main arena"),

	/* Threads and their synchronisation. */
	ALLOW_IF(clone, CONFINE_EQ(0, THREAD_CLONE_FLAGS),
	         "pthread_create: a sentry thread per task"),
	ALLOW_IF(clone, CONFINE_EQ(0, SIGCHLD),
	         "a new stub process: a raw fork of the sentry thread that will trace it"),
	ALLOW_IF(clone, CONFINE_EQ(0, CLONE_PARENT | CLONE_PTRACE),
	         "a stub's injected clone for an application fork (ptrace.c)"),
	ALLOW_IF(clone, CONFINE_EQ(0, CLONE_PARENT | CLONE_PTRACE | CLONE_VM),
	         "a stub's injected clone for an application thread (ptrace.c)"),
	FAIL(clone3, ENOSYS,
	     "seccomp cannot see clone3's flags (they are in memory): glibc then uses clone"),
	ALLOW(futex, "pthread mutexes and condition variables, thread joins; systrap's hand-off"),
	ALLOW(set_robust_list, "glibc, in every new thread"),
	ALLOW(rseq, "glibc registers each new thread's rseq area; a new stub unregisters it"),
	ALLOW(exit, "a sentry thread ends"),
	ALLOW(exit_group, "the sentry ends; a stub that fails to set up (stub.S)"),
	ALLOW(sched_yield, "spinning briefly before a wait (systrap's hand-off on one CPU); the "
	                   "application's sched_yield(2)"),
	ALLOW(gettid, "the ptrace platform's tracer check, pthread_getcpuclockid"),
	ALLOW(getpid, "glibc's raise() and the stub clone check (kcmp, pidfd_open)"),
	ALLOW(getppid, "a new stub checks that its parent is the sentry"),
	ALLOW(rt_sigprocmask, "glibc (thread creation, raise); a new stub unblocks every signal"),
	ALLOW(rt_sigaction,
	      "glibc's first pthread_create installs its SIGCANCEL and SIGSETXID handlers"),
	ALLOW(restart_syscall,
	      "the kernel restarts a wait (futex, poll) stopped by ^Z and continued"),
	ALLOW(kill, "killing stubs and the gofer (SIGKILL)"),
	ALLOW(tgkill, "interrupting a stub (SIGCHLD), stopping a clone (SIGSTOP); raise()"),
	ALLOW(sched_getaffinity, "the CPUs a stub may use; the application's sched_getaffinity(2)"),
	ALLOW(sched_setaffinity,
	      "placing a stub and its sentry thread on one CPU or two (ptrace.c, "
	      "systrap.c)"),

	/* Time. */
	ALLOW(clock_gettime, "CPU-time clocks of the sentry's threads (the vDSO does the others)"),
	ALLOW(clock_getres, "the application's clock_getres(2) (host_time.c)"),
	ALLOW_IF2(prlimit64, CONFINE_EQ(0, 0), CONFINE_EQ(2, 0),
	          "getrlimit: the limits an exec'd process inherits from the runtime (oci.c)"),
	ALLOW(getrusage, "/proc's CPU times of the sentry"),
	ALLOW(sysinfo, "/proc/meminfo, sysinfo(2)"),
	ALLOW(getrandom, "AT_RANDOM, /dev/urandom, getrandom(2) of the application"),

	/* Host files the sentry holds: stdio, donated gofer files, memfds, eventfds. */
	ALLOW(read, "stdio, eventfds (task wake-ups), timerfds"),
	ALLOW(write, "stdio, the log, eventfds"),
	ALLOW(pread64, "gofer files and memfds (tmpfs data); a stub's injected big read"),
	ALLOW(pwrite64, "gofer files and memfds"),
	ALLOW(lseek, "host files (stdio redirected to a file)"),
	ALLOW_IF(newfstatat, CONFINE_MASKED(3, AT_EMPTY_PATH, AT_EMPTY_PATH),
	         "glibc's fstat(): fstatat(fd, \"\", AT_EMPTY_PATH) of a host file"),
	ALLOW_IF(statx, CONFINE_MASKED(2, AT_EMPTY_PATH, AT_EMPTY_PATH),
	         "attributes of a donated gofer file, by fd (AT_EMPTY_PATH)"),
	ALLOW(fstatfs, "whether a gofer file's host filesystem is noexec (systrap: a PROT_EXEC "
	               "mapping of it need not be a CALL)"),
	ALLOW(ftruncate, "tmpfs file sizes (memfds); systrap's shared regions"),
	ALLOW(fallocate, "fallocate(2) on tmpfs and gofer files"),
	ALLOW(fsync, "fsync(2) on gofer files"),
	ALLOW(fdatasync, "fdatasync(2) on gofer files"),
	ALLOW(memfd_create, "the data of a tmpfs file; systrap's shared regions"),
	ALLOW(close, "every fd; a stub's injected close of a lent fd"),
	ALLOW(dup, "a stub's injected dup: the filter turns it into a notification (fd lending)"),
	ALLOW_IF(fcntl, CONFINE_EQ32(1, F_GETFL), "host file status flags"),
	ALLOW_IF(fcntl, CONFINE_EQ32(1, F_SETFL), "O_NONBLOCK on host files"),
	ALLOW_IF(fcntl, CONFINE_EQ32(1, F_DUPFD_CLOEXEC), "copies of host fds (stdio, epoll)"),
	/* A host terminal: host_tty.c's g_requests pass these through, on the terminal only. */
	ALLOW_IOCTL(LINUX_TCGETS, "terminal modes; isatty()"),
	ALLOW_IOCTL(LINUX_TCSETS, "terminal modes"),
	ALLOW_IOCTL(LINUX_TCSETSW, "terminal modes"),
	ALLOW_IOCTL(LINUX_TCSETSF, "terminal modes"),
	ALLOW_IOCTL(LINUX_TCGETS2, "terminal modes with arbitrary speeds"),
	ALLOW_IOCTL(LINUX_TCSETS2, "terminal modes with arbitrary speeds"),
	ALLOW_IOCTL(LINUX_TCSETSW2, "terminal modes with arbitrary speeds"),
	ALLOW_IOCTL(LINUX_TCSETSF2, "terminal modes with arbitrary speeds"),
	ALLOW_IOCTL(LINUX_TCGETA, "old terminal modes"),
	ALLOW_IOCTL(LINUX_TCSETA, "old terminal modes"),
	ALLOW_IOCTL(LINUX_TCSETAW, "old terminal modes"),
	ALLOW_IOCTL(LINUX_TCSETAF, "old terminal modes"),
	ALLOW_IOCTL(LINUX_TIOCGWINSZ, "window size"),
	ALLOW_IOCTL(LINUX_TIOCSWINSZ, "window size"),
	ALLOW_IOCTL(LINUX_FIONREAD, "bytes to read on a host pipe, socket or terminal; SIOCINQ "
	                            "(the same number) of a --network=host socket (hostinet.c)"),
	ALLOW_IOCTL(LINUX_TIOCOUTQ, "a terminal's output queue (tcdrain); SIOCOUTQ (the same "
	                            "number) of a --network=host socket (hostinet.c)"),
	ALLOW_IOCTL(LINUX_TIOCGEXCL, "a terminal's exclusive mode"),
	ALLOW_IOCTL(LINUX_TIOCEXCL, "a terminal's exclusive mode"),
	ALLOW_IOCTL(LINUX_TIOCNXCL, "a terminal's exclusive mode"),
	ALLOW_IOCTL(LINUX_TCFLSH, "tcflush"),
	ALLOW_IOCTL(LINUX_TCXONC, "tcflow"),
	ALLOW_IOCTL(LINUX_TCSBRK, "tcdrain, tcsendbreak"),
	ALLOW_IOCTL(LINUX_TCSBRKP, "tcsendbreak"),
	ALLOW_IF(ioctl, CONFINE_EQ32(1, SECCOMP_IOCTL_NOTIF_RECV),
	         "fd lending to stubs (ptrace.c, systrap.c)"),
	ALLOW_IF(ioctl, CONFINE_EQ32(1, SECCOMP_IOCTL_NOTIF_SEND),
	         "fd lending to stubs (ptrace.c, systrap.c)"),
	ALLOW_IF(ioctl, CONFINE_EQ32(1, SECCOMP_IOCTL_NOTIF_ADDFD),
	         "fd lending to stubs (ptrace.c, systrap.c)"),
	ALLOW(ppoll,
	      "waits on host fds and the task's wake-up eventfd (waitqueue.c), --network=host "
	      "sockets among them"),
	ALLOW(poll, "readiness of host files and --network=host sockets"),
	ALLOW(eventfd2, "a task's wake-up fd"),
	ALLOW(epoll_create1, "epoll instances that watch host files"),
	ALLOW(epoll_ctl, "epoll instances that watch host files"),
	ALLOW(epoll_wait, "epoll instances that watch host files"),
	ALLOW(timerfd_create, "timerfd(2) files"),
	ALLOW(timerfd_settime, "timerfd(2) files"),
	ALLOW(timerfd_gettime, "timerfd(2) files"),
	/* Only AT_FDCWD: relative to the empty root, glibc's lazy lookups find nothing. */
	FAIL_IF(openat, ENOENT, CONFINE_EQ32(0, AT_FDCWD),
	        "glibc's lazy reads of host files (malloc: /proc/sys/vm/overcommit_memory)"),

	/* Sockets: the gofer's channels, the host sockets it donates, the control socket. */
	ALLOW(accept4, "a client of the control socket (runsc boot: control_server.c); with "
	               "--network=host, accept(2) on a host socket (hostinet.c)"),
	ALLOW(sendmsg,
	      "gofer requests, with fds; a frame out of a --network=sandbox link "
	      "(sentry/net/packet_link.c); with --network=host every send of a host socket"),
	ALLOW(recvmsg,
	      "gofer replies, with fds; with --network=host every receive of a host socket"),
	ALLOW(recvmmsg, "a --network=sandbox link's receiving thread: batches of frames from its "
	                "AF_PACKET socket (sentry/net/packet_link.c)"),
	ALLOW(shutdown, "host sockets; the gofer channels at the end"),
	ALLOW_IF(socketpair, CONFINE_EQ(0, AF_UNIX),
	         "systrap's lend socket of an address space: host fds lent to its stubs"),

	/* The ptrace platform. */
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_TRACEME), "a new stub asks to be traced"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_SYSEMU), "running application code"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_CONT), "running an injected memory operation"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_GETREGS), "application registers"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_SETREGS), "application registers"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_POKEUSER), "a syscall's result in rax"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_GETREGSET), "FP and vector state"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_SETREGSET), "FP and vector state"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_GETSIGINFO), "telling a fault from an interrupt"),
	ALLOW_IF2(ptrace, CONFINE_EQ(0, PTRACE_SETOPTIONS),
	          CONFINE_EQ(3, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL),
	          "a new stub: TRACESYSGOOD and EXITKILL, no other option"),
	ALLOW_IF2(ptrace, CONFINE_EQ(0, PTRACE_SEIZE),
	          CONFINE_EQ(3, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL),
	          "a clone's new tracer takes it, with the same options"),
	ALLOW_IF(ptrace, CONFINE_EQ(0, PTRACE_DETACH), "a clone is handed to its own tracer"),
	ALLOW(wait4, "stub stops and exits, the gofer's exit"),
	ALLOW(process_vm_readv, "reading application memory"),
	ALLOW(process_vm_writev, "writing application memory"),
	ALLOW(pidfd_open, "taking a stub's seccomp listener"),
	ALLOW(pidfd_getfd, "taking a stub's seccomp listener"),
	ALLOW(kcmp, "finding a file already lent to a stub (KCMP_FILE)"),
	ALLOW_IF2(seccomp, CONFINE_EQ(0, SECCOMP_SET_MODE_FILTER),
	          CONFINE_EQ(1, SECCOMP_FILTER_FLAG_NEW_LISTENER),
	          "stub.S installs the stub's own filter, with its listener"),
	ALLOW_IF(prctl, CONFINE_EQ32(0, PR_SET_PDEATHSIG), "a new stub dies with the sentry"),
	ALLOW_IF(prctl, CONFINE_EQ32(0, PR_SET_NO_NEW_PRIVS), "a new stub sets no_new_privs"),
	ALLOW(setpgid, "a new stub leaves the sentry's process group (terminal signals)"),
	ALLOW(close_range, "a new stub closes every fd"),
};
const size_t g_sentry_rules_count = ARRAY_SIZE(g_sentry_rules);

/*
 * --network=host only (sentry/net/hostinet.c): the application's inet
 * sockets are host sockets, so the sentry makes the socket calls that
 * g_sentry_rules leaves out. socket(2) is allowed only as hostinet makes
 * it: AF_INET or AF_INET6, non-blocking and close-on-exec, TCP or UDP
 * (or ICMP ping) named explicitly; never AF_UNIX, AF_NETLINK, AF_PACKET or
 * a raw socket. sendmsg, recvmsg, accept4, shutdown, poll, ppoll, the
 * epoll calls and the SIOCINQ/SIOCOUTQ ioctls are in g_sentry_rules
 * already.
 */
#define HOSTINET_TYPE(t) CONFINE_EQ32(1, (t) | SOCK_NONBLOCK | SOCK_CLOEXEC)
const struct confine_rule g_sentry_hostnet_rules[] = {
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET), HOSTINET_TYPE(SOCK_STREAM),
	          CONFINE_EQ32(2, IPPROTO_TCP), "an application's TCP socket (hostinet.c)"),
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET), HOSTINET_TYPE(SOCK_DGRAM),
	          CONFINE_EQ32(2, IPPROTO_UDP), "an application's UDP socket (hostinet.c)"),
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET), HOSTINET_TYPE(SOCK_DGRAM),
	          CONFINE_EQ32(2, IPPROTO_ICMP), "an application's ping socket (hostinet.c)"),
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET6), HOSTINET_TYPE(SOCK_STREAM),
	          CONFINE_EQ32(2, IPPROTO_TCP), "an application's TCP socket (hostinet.c)"),
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET6), HOSTINET_TYPE(SOCK_DGRAM),
	          CONFINE_EQ32(2, IPPROTO_UDP), "an application's UDP socket (hostinet.c)"),
	ALLOW_IF3(socket, CONFINE_EQ32(0, AF_INET6), HOSTINET_TYPE(SOCK_DGRAM),
	          CONFINE_EQ32(2, IPPROTO_ICMPV6), "an application's ping socket (hostinet.c)"),
	ALLOW(bind, "bind(2) of a host socket (hostinet.c)"),
	ALLOW(listen, "listen(2) of a host socket (hostinet.c)"),
	ALLOW(connect, "connect(2) of a host socket (hostinet.c)"),
	ALLOW(getsockname, "getsockname(2) of a host socket; accept's peer address (hostinet.c)"),
	ALLOW(getpeername, "getpeername(2) of a host socket; accept's peer address (hostinet.c)"),
	ALLOW(getsockopt, "the allowed options of a host socket; SO_ERROR after a blocking "
	                  "connect (hostinet.c)"),
	ALLOW(setsockopt, "the allowed options of a host socket (hostinet.c)"),
};
const size_t g_sentry_hostnet_rules_count = ARRAY_SIZE(g_sentry_hostnet_rules);

struct confine_rule *sentry_confine_rules(enum net_mode net, size_t *count)
{
	bool host = net == NET_MODE_HOST;
	size_t n = g_sentry_rules_count + (host ? g_sentry_hostnet_rules_count : 0);
	struct confine_rule *r = malloc(n * sizeof(*r));
	if (!r)
		return NULL;
	memcpy(r, g_sentry_rules, g_sentry_rules_count * sizeof(*r));
	if (host)
		memcpy(r + g_sentry_rules_count, g_sentry_hostnet_rules,
		       g_sentry_hostnet_rules_count * sizeof(*r));
	*count = n;
	return r;
}

int sentry_confine(const struct platform_ops *platform)
{
	enum confine_mode mode;
	int err = confine_mode_from_env(&mode);
	if (err < 0)
		return err;
	/* Host facts that come from /proc and /sys: read them while there is a /proc. */
	host_info_load();
	err = confine_pivot_empty_root(/*with_proc=*/false);
	if (err < 0) {
		log_error("confine: pivot_root into an empty root: %s", strerror(-err));
		return err;
	}
	err = confine_caps(0);
	if (err < 0) {
		log_error("confine: dropping capabilities: %s", strerror(-err));
		return err;
	}
	err = confine_no_new_privs();
	if (err == 0 && platform->prepare_confined) {
		err = platform->prepare_confined();
		if (err < 0) {
			log_error("confine: platform %s: %s", platform->name, strerror(-err));
			return err;
		}
	}
	size_t nrules = 0;
	struct confine_rule *rules = NULL;
	if (err == 0) {
		rules = sentry_confine_rules(net_mode_get(), &nrules);
		err = rules ? confine_seccomp(rules, nrules, mode) : -ENOMEM;
	}
	if (err < 0) {
		free(rules);
		log_error("confine: seccomp: %s", strerror(-err));
		return err;
	}
	log_debug("confine: the sentry is confined: %zu syscalls allowed%s",
	          confine_allowed_count(rules, nrules),
	          net_mode_get() == NET_MODE_HOST ? " (--network=host)" : "");
	free(rules);
	return 0;
}
