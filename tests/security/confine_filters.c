/*
 * The sentry's and the gofer's seccomp allowlists (sentry/boot/confine.c,
 * gofer/confine.c) kill: each case installs one of them, in kill mode, in a
 * fresh child process and makes one call. A call outside the list (or with
 * arguments the list does not allow) must kill the child with SIGSYS, not
 * fail and let it go on; the calls the list allows, or answers with an
 * errno, must return. The sentry's list of --network=host (confine.c's
 * g_sentry_hostnet_rules added) allows the socket calls of host sockets,
 * and socket(2) only as hostinet makes it. Also: the default lists allow
 * fewer than 80 syscalls, and host mode at most 10 more.
 *
 * check_packet_links runs sentry/net/packet_link under the sentry's list:
 * a link's receiving thread (pthread_create, its buffers, recvmmsg) gets a
 * frame that another link sends (sendmsg), over a socketpair made before.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "gofer/confine.h"
#include "sentry/boot/confine.h"
#include "sentry/net/iface.h"
#include "sentry/net/packet_link.h"

static int g_failed;

struct call {
	const char *what;
	long nr;
	long args[5];
	/* What must happen: killed by SIGSYS, or return this value / fail with this errno. */
	bool killed;
	long ret;
	int err;
	bool any; /* returns, whatever the value (a new fd) */
};

static struct confine_rule *g_host_rules;
static size_t g_host_rules_count;

static const struct rules {
	const char *name;
	struct confine_rule *const *rules_ptr; /* or NULL: rules */
	const struct confine_rule *rules;
	const size_t *count;
} g_sentry = { "sentry", NULL, g_sentry_rules, &g_sentry_rules_count },
  g_sentry_host = { "sentry --network=host", &g_host_rules, NULL, &g_host_rules_count },
  g_gofer = { "gofer", NULL, g_gofer_rules, &g_gofer_rules_count };

static void check(const struct rules *r, const struct call *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		if (confine_seccomp(r->rules_ptr ? *r->rules_ptr : r->rules, *r->count,
		                    CONFINE_KILL) != 0)
			_exit(100);
		errno = 0;
		long ret =
		        syscall(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4]);
		if (c->killed)
			_exit(101); /* survived */
		if (c->any ? ret < 0 : c->err ? (ret != -1 || errno != c->err) : ret != c->ret)
			_exit(102);
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("FAIL: %s: %s: fork or wait\n", r->name, c->what);
		g_failed = 1;
		return;
	}
	bool ok = c->killed ? WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS
	                    : WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("%s: %s: %s: %s\n", ok ? "ok" : "FAIL", r->name, c->what,
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "returned");
	if (!ok)
		g_failed = 1;
}

/* The receiving link's callback: the frame's first byte to the pipe (fd in arg). */
static void on_link_frame(void *arg, int ifindex, const uint8_t *frame, size_t len)
{
	ssize_t w = write(*(const int *)arg, frame, 1);
	(void)w;
}

static void check_packet_links(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		int sp[2], pipefd[2];
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0 ||
		    pipe2(pipefd, O_CLOEXEC) < 0)
			_exit(100);
		struct net_iface_info rx = { .name = "rx0", .type = NET_ARPHRD_ETHER, .mtu = 1500 },
		                      tx = { .name = "tx0", .type = NET_ARPHRD_ETHER, .mtu = 1500 };
		int irx = net_iface_add(&rx), itx = net_iface_add(&tx);
		if (irx < 0 || itx < 0 || packet_link_register(irx, sp[0]) < 0 ||
		    packet_link_register(itx, sp[1]) < 0)
			_exit(100);
		if (confine_seccomp(g_sentry_rules, g_sentry_rules_count, CONFINE_KILL) != 0)
			_exit(100);
		if (packet_link_start(irx, on_link_frame, &pipefd[1]) < 0)
			_exit(102);
		uint8_t frame[60] = { 0x42 };
		struct iovec iov = { frame, sizeof(frame) };
		if (packet_link_send(itx, &iov, 1) < 0)
			_exit(103);
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		uint8_t got = 0;
		if (poll(&p, 1, 5000) != 1 || read(pipefd[0], &got, 1) != 1 || got != 0x42)
			_exit(104);
		_exit(0);
	}
	int status;
	bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0;
	printf("%s: sentry: a packet link sends and receives a frame: %s %d\n", ok ? "ok" : "FAIL",
	       pid > 0 && WIFSIGNALED(status) ? "signal" : "exit",
	       pid > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (!ok)
		g_failed = 1;
}

int main(void)
{
	/* The lists name libseccomp's numbers; glibc's must agree. */
	static const struct call sentry_calls[] = {
		{ "close is allowed", SYS_close, { -1 }, .err = EBADF },
		{ "ioctl(TCGETS) is allowed", SYS_ioctl, { -1, TCGETS, 0 }, .err = EBADF },
		{ "execve", SYS_execve, { (long)"/bin/true", 0, 0 }, .killed = true },
		{ "socket(AF_INET)", SYS_socket, { AF_INET, SOCK_STREAM, 0 }, .killed = true },
		{ "socket(AF_INET) as hostinet makes it (host mode only)",
		  SYS_socket,
		  { AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP },
		  .killed = true },
		{ "connect (host mode only)", SYS_connect, { -1, 0, 0 }, .killed = true },
		{ "socketpair(AF_UNIX) is allowed (systrap's lend sockets)",
		  SYS_socketpair,
		  { AF_UNIX, SOCK_DGRAM, 0, 0 },
		  .err = EFAULT },
		{ "socketpair(AF_INET)",
		  SYS_socketpair,
		  { AF_INET, SOCK_STREAM, 0, 0 },
		  .killed = true },
		{ "openat(AT_FDCWD) fails with ENOENT",
		  SYS_openat,
		  { AT_FDCWD, (long)"/etc/passwd", O_RDONLY },
		  .err = ENOENT },
		{ "openat relative to an fd",
		  SYS_openat,
		  { 0, (long)"x", O_RDONLY },
		  .killed = true },
		{ "clone3 fails with ENOSYS", SYS_clone3, { 0, 0 }, .err = ENOSYS },
		{ "clone(CLONE_NEWUSER)",
		  SYS_clone,
		  { CLONE_NEWUSER | SIGCHLD, 0, 0, 0 },
		  .killed = true },
		{ "unshare", SYS_unshare, { CLONE_NEWNS }, .killed = true },
		{ "ptrace(PTRACE_ATTACH)", SYS_ptrace, { PTRACE_ATTACH, 1, 0, 0 }, .killed = true },
		{ "ptrace(PTRACE_POKEDATA)",
		  SYS_ptrace,
		  { PTRACE_POKEDATA, 1, 0, 0 },
		  .killed = true },
		{ "ioctl(TIOCSTI)", SYS_ioctl, { 0, TIOCSTI, 0 }, .killed = true },
		{ "prctl(PR_SET_DUMPABLE)",
		  SYS_prctl,
		  { PR_SET_DUMPABLE, 1, 0, 0 },
		  .killed = true },
		{ "seccomp with other flags",
		  SYS_seccomp,
		  { SECCOMP_SET_MODE_FILTER, 0, 0 },
		  .killed = true },
		{ "mount", SYS_mount, { 0, 0, 0, 0 }, .killed = true },
		{ "fcntl(F_SETLK)", SYS_fcntl, { 0, F_SETLK, 0 }, .killed = true },
		{ "recvmmsg is allowed (packet links)",
		  SYS_recvmmsg,
		  { -1, 0, 0, 0, /*timeout=*/0 },
		  .err = EBADF },
		{ "sendmsg is allowed (gofer, packet links)",
		  SYS_sendmsg,
		  { -1, 0, 0 },
		  .err = EBADF },
		{ "sendmmsg (packet links send one frame at a time)",
		  SYS_sendmmsg,
		  { -1, 0, 0, 0 },
		  .killed = true },
	};
	static const struct call gofer_calls[] = {
		{ "getdents64 is allowed", SYS_getdents64, { -1, 0, 0 }, .err = EBADF },
		{ "close is allowed", SYS_close, { -1 }, .err = EBADF },
		{ "socketpair(AF_INET)",
		  SYS_socketpair,
		  { AF_INET, SOCK_STREAM, 0, 0 },
		  .killed = true },
		{ "execve", SYS_execve, { (long)"/bin/true", 0, 0 }, .killed = true },
		{ "socket(AF_INET)", SYS_socket, { AF_INET, SOCK_STREAM, 0 }, .killed = true },
		{ "ptrace", SYS_ptrace, { PTRACE_ATTACH, 1, 0, 0 }, .killed = true },
		{ "process_vm_writev", SYS_process_vm_writev, { 1, 0, 0, 0 }, .killed = true },
		{ "kill", SYS_kill, { 1, 0 }, .killed = true },
		{ "chroot", SYS_chroot, { (long)"/" }, .killed = true },
		{ "mount", SYS_mount, { 0, 0, 0, 0 }, .killed = true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(sentry_calls); i++)
		check(&g_sentry, &sentry_calls[i]);

	/* --network=host: the host sockets' calls, socket(2) only as hostinet.c makes it. */
	g_host_rules = sentry_confine_rules(NET_MODE_HOST, &g_host_rules_count);
	if (!g_host_rules)
		return 1;
	const int nbc = SOCK_NONBLOCK | SOCK_CLOEXEC;
	const struct call host_calls[] = {
		{ "socket(AF_INET, TCP) as hostinet makes it",
		  SYS_socket,
		  { AF_INET, SOCK_STREAM | nbc, IPPROTO_TCP },
		  .any = true },
		{ "socket(AF_INET6, UDP) as hostinet makes it",
		  SYS_socket,
		  { AF_INET6, SOCK_DGRAM | nbc, IPPROTO_UDP },
		  .any = true },
		{ "socket(AF_INET, SOCK_STREAM, 0): blocking, protocol unnamed",
		  SYS_socket,
		  { AF_INET, SOCK_STREAM, 0 },
		  .killed = true },
		{ "socket(AF_INET, SOCK_RAW)",
		  SYS_socket,
		  { AF_INET, SOCK_RAW | nbc, IPPROTO_ICMP },
		  .killed = true },
		{ "socket(AF_UNIX)",
		  SYS_socket,
		  { AF_UNIX, SOCK_STREAM | nbc, 0 },
		  .killed = true },
		{ "socket(AF_NETLINK)",
		  SYS_socket,
		  { AF_NETLINK, SOCK_DGRAM | nbc, 0 },
		  .killed = true },
		{ "socket(AF_PACKET)",
		  SYS_socket,
		  { AF_PACKET, SOCK_DGRAM | nbc, 0 },
		  .killed = true },
		{ "connect is allowed", SYS_connect, { -1, 0, 0 }, .err = EBADF },
		{ "bind is allowed", SYS_bind, { -1, 0, 0 }, .err = EBADF },
		{ "listen is allowed", SYS_listen, { -1, 0 }, .err = EBADF },
		{ "getsockopt is allowed", SYS_getsockopt, { -1, 0, 0, 0 }, .err = EBADF },
		{ "setsockopt is allowed", SYS_setsockopt, { -1, 0, 0, 0 }, .err = EBADF },
		{ "getsockname is allowed", SYS_getsockname, { -1, 0, 0 }, .err = EBADF },
		{ "getpeername is allowed", SYS_getpeername, { -1, 0, 0 }, .err = EBADF },
		{ "execve", SYS_execve, { (long)"/bin/true", 0, 0 }, .killed = true },
		{ "socketpair(AF_INET)",
		  SYS_socketpair,
		  { AF_INET, SOCK_STREAM, 0, 0 },
		  .killed = true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(host_calls); i++)
		check(&g_sentry_host, &host_calls[i]);
	for (size_t i = 0; i < ARRAY_SIZE(gofer_calls); i++)
		check(&g_gofer, &gofer_calls[i]);

	check_packet_links();

	size_t ns = confine_allowed_count(g_sentry_rules, g_sentry_rules_count);
	size_t nh = confine_allowed_count(g_host_rules, g_host_rules_count);
	size_t ng = confine_allowed_count(g_gofer_rules, g_gofer_rules_count);
	printf("allowed: sentry %zu syscalls (%zu with --network=host), gofer %zu\n", ns, nh, ng);
	free(g_host_rules);
	/*
	 * The target (docs/architecture.md): under 80 for the lists every
	 * sandbox runs with. --network=host widens the sentry's on purpose, by
	 * the socket calls of host sockets only (at most 10 more).
	 */
	if (ns >= 80 || ng >= 80 || nh > ns + 10) {
		printf("FAIL: an allowlist has 80 syscalls or more, or host mode adds more than "
		       "10\n");
		g_failed = 1;
	}
	return g_failed;
}
