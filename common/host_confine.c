/* Confinement mechanisms: see host_confine.h. */
#include "common/host_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/log.h"

/* ---- Namespaces ---- */

/* The child's side of confine_spawn, before fn runs. Returns 0 or -errno. */
static int enter_namespaces(const struct confine_ns *ns, int parent_pidfd)
{
	/* Die with the caller; and if it is already gone, do not start at all. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		return -errno;
	struct pollfd p = { .fd = parent_pidfd, .events = POLLIN };
	if (poll(&p, 1, 0) != 0)
		return -ESRCH;
	close(parent_pidfd);

	int flags = ns->flags & ~CLONE_NEWPID;
	if (ns->netns_path)
		flags &= ~CLONE_NEWNET;
	if (flags && unshare(flags) != 0)
		return -errno;
	/* Nothing mounted from now on may propagate back to the host. */
	if ((flags & CLONE_NEWNS) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -errno;
	if (ns->netns_path) {
		int fd = open(ns->netns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		int err = setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
		close(fd);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * A new PID namespace applies to the caller's next child only
 * (unshare(CLONE_NEWPID)), and the child is made with glibc's fork() so
 * that glibc's view of the new process (its thread id) is right; the
 * caller then returns to its own PID namespace for its later children.
 * The other namespaces are the child's own unshare().
 */
pid_t confine_spawn(const struct confine_ns *ns, int (*fn)(void *), void *arg)
{
	int parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parent_pidfd < 0)
		return -errno;
	int own_pidns = -1;
	int err = 0;
	pid_t pid = -1;
	if (ns->flags & CLONE_NEWPID) {
		own_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || unshare(CLONE_NEWPID) != 0) {
			err = -errno;
			goto out_close;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (own_pidns >= 0)
			close(own_pidns);
		err = enter_namespaces(ns, parent_pidfd);
		if (err < 0) {
			log_error("entering the sandbox's namespaces: %s", strerror(-err));
			_exit(126);
		}
		int status = fn(arg);
		fflush(NULL);
		_exit(status);
	}
	if (pid < 0)
		err = -errno;
	if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) != 0)
		log_warn("confine: cannot return to the caller's PID namespace: %s",
		         strerror(errno));
out_close:
	if (own_pidns >= 0)
		close(own_pidns);
	close(parent_pidfd);
	return err < 0 ? err : pid;
}

int confine_private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) != 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -errno;
	return 0;
}

/* ---- The root ---- */

int confine_pivot_empty_root(bool with_proc)
{
	/*
	 * The new root is staged on /proc: any directory would do, since the
	 * mount is private to this namespace, and /proc is there on every host
	 * (gVisor's gofer stages its root there too).
	 */
	static const char stage[] = "/proc";
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount("runsc-root", stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "mode=0555,size=4k,nr_inodes=8") != 0)
		return -errno;
	if (with_proc) {
		if (mkdir("/proc/proc", 0555) != 0)
			return -errno;
		/* subset=pid (Linux 5.8): the pid directories only, no /proc/sys. */
		if (mount("proc", "/proc/proc", "proc", ro, "subset=pid") != 0 &&
		    (errno != EINVAL || mount("proc", "/proc/proc", "proc", ro, NULL) != 0))
			return -errno;
	}
	/* pivot_root(".", "."): the old root lands on top of the new one, then goes. */
	if (chdir(stage) != 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return -errno;
	if (umount2(".", MNT_DETACH) != 0)
		return -errno;
	if (chdir("/") != 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | ro, NULL) != 0)
		return -errno;
	return 0;
}

/* ---- Privileges ---- */

int confine_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -errno;
	/* Dropping from the bounding set needs CAP_SETPCAP; without it there is nothing to drop. */
	if (data[0].effective & (1U << CAP_SETPCAP)) {
		for (int cap = 0; cap < 64; cap++) {
			if (keep & CONFINE_CAP(cap))
				continue;
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
				break; /* past the kernel's last capability */
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
				return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -errno;
	for (int i = 0; i < 2; i++) {
		data[i].permitted &= (uint32_t)(keep >> (32 * i));
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	return 0;
}

int confine_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

/* ---- Seccomp ---- */

int confine_mode_from_env(enum confine_mode *out)
{
	const char *v = getenv("RUNSC_SECCOMP");
	if (!v || !*v || strcmp(v, "kill") == 0)
		*out = CONFINE_KILL;
	else if (strcmp(v, "log") == 0)
		*out = CONFINE_LOG;
	else if (strcmp(v, "trap") == 0)
		*out = CONFINE_TRAP;
	else {
		log_error("RUNSC_SECCOMP=%s: want kill, log or trap", v);
		return -EINVAL;
	}
	return 0;
}

/* Appends v in base (10 or 16) to buf at *len. Async-signal-safe. */
static void put_num(char *buf, size_t *len, uint64_t v, unsigned base)
{
	char digits[24];
	int nd = 0;
	do {
		digits[nd++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && nd < (int)sizeof(digits));
	while (nd > 0)
		buf[(*len)++] = digits[--nd];
}

static void put_str(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + *len, s, n);
	*len += n;
}

/*
 * RUNSC_SECCOMP=trap: the call fails with ENOSYS and is logged with the
 * address it was made from (for addr2line). Async-signal-safe.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	char buf[128];
	size_t len = 0;
	put_str(buf, &len, "runsc: seccomp: syscall ");
	put_num(buf, &len, (unsigned)si->si_syscall, 10);
	put_str(buf, &len, " not in the allowlist (ENOSYS), called at 0x");
	put_num(buf, &len, (uint64_t)si->si_call_addr, 16);
	put_str(buf, &len, "\n");
	ssize_t n = write(log_fd(), buf, len);
	(void)n;
	((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

int confine_seccomp(const struct confine_rule *rules, size_t count, enum confine_mode mode)
{
	uint32_t def = mode == CONFINE_LOG    ? SCMP_ACT_LOG
	               : mode == CONFINE_TRAP ? SCMP_ACT_TRAP
	                                      : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return -ENOMEM;
	int err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (err == 0)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* A binary search on the syscall number rather than a linear list. */
	if (err == 0)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < count && err == 0; i++) {
		const struct confine_rule *r = &rules[i];
		err = seccomp_rule_add_exact_array(ctx, r->action, r->nr, r->nargs, r->args);
		if (err < 0) {
			char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
			log_error("seccomp: rule for %s: %s", name ? name : "?", strerror(-err));
			free(name);
		}
	}
	if (err == 0 && mode == CONFINE_TRAP) {
		/* The handler returns through rt_sigreturn, which the lists need not allow. */
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0);
		if (err == -EEXIST)
			err = 0;
	}
	if (err == 0 && mode == CONFINE_TRAP) {
		struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) != 0)
			err = -errno;
	}
	if (err == 0)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err == 0 && mode != CONFINE_KILL)
		log_warn("seccomp: RUNSC_SECCOMP=%s: calls outside the allowlist are %s, not fatal",
		         mode == CONFINE_LOG ? "log" : "trap",
		         mode == CONFINE_LOG ? "allowed and logged by the kernel" : "ENOSYS");
	return err;
}

size_t confine_allowed_count(const struct confine_rule *rules, size_t count)
{
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		if (rules[i].action != SCMP_ACT_ALLOW)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = rules[j].action == SCMP_ACT_ALLOW && rules[j].nr == rules[i].nr;
		if (!seen)
			n++;
	}
	return n;
}
