/*
 * runsc do: run one program in a new sandbox, with the caller's stdio,
 * environment and working directory, and exit with its status (128+N when
 * signal N killed it, as a shell reports it).
 *
 * The sandbox runs in a child process, as a container's does: pid 1 of its
 * own PID, mount, IPC and UTS namespaces (the host's network namespace:
 * with --network=host the application's inet sockets are host sockets
 * there, sentry/net/hostinet.h), which starts the gofer,
 * builds the mounts, confines itself (sentry/boot/confine.h) and runs the
 * program. This process only waits for it. It stays in the caller's
 * process group, so a terminal on stdin is the sandbox's as before, and ^C
 * and ^Z reach it from the terminal directly (and go to the program's
 * foreground group there); the signals sent to this process alone (kill,
 * timeout(1)) are forwarded to it. When the sandbox
 * ends on such a signal this process dies of the same one, as runsc itself
 * did before the sandbox had a process of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/host_confine.h"
#include "common/log.h"
#include "runsc-cli/container.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/network.h"
#include "runsc-cli/runsc.h"
#include "sentry/boot/boot.h"

extern char **environ;

/* Finds cmd in $PATH as execvp(3) does. Returns 0 and the path in buf, or -errno. */
static int resolve_command(const char *cmd, char *buf, size_t size)
{
	if (strchr(cmd, '/')) {
		if (snprintf(buf, size, "%s", cmd) >= (int)size)
			return -ENAMETOOLONG;
		return access(buf, F_OK) == 0 ? 0 : -errno;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = snprintf(buf, size, "%.*s/%s", (int)(end - path), path, cmd);
		struct stat st;
		if (n > 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			err = -EACCES;
		}
		path = *end ? end + 1 : end;
	}
	return err;
}

/*
 * HOST:GUEST[:ro], both absolute. The host path is made canonical (the
 * gofer refuses symlinks on the way). *spec is the copy the fields point into.
 */
static int parse_volume(const char *arg, struct sentry_volume *v, char **spec)
{
	char *s = strdup(arg);
	if (!s)
		return -1;
	char *guest = strchr(s, ':');
	if (!guest)
		goto fail;
	*guest++ = '\0';
	char *mode = strchr(guest, ':');
	v->readonly = false;
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") == 0)
			v->readonly = true;
		else if (strcmp(mode, "rw") != 0)
			goto fail;
	}
	if (s[0] != '/' || guest[0] != '/')
		goto fail;
	char *host = realpath(s, NULL);
	if (!host)
		goto fail;
	v->host = host;
	v->guest = guest;
	*spec = s;
	return 0;
fail:
	free(s);
	return -1;
}

/*
 * Signals sent to runsc do, forwarded to the sandbox process, whose
 * forwarder (sentry/boot/sigforward.h) gives them to the program, the
 * sandbox's init: like any PID-namespace init, it ignores those it has no
 * handler for. Until the forwarder runs, the sandbox process ends on them
 * with status 128+N (Linux delivers a signal to the init of a PID
 * namespace only if it has a handler, SIGKILL and SIGSTOP aside), and
 * runsc do then dies of the signal itself.
 */
static const int g_forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
/*
 * The job-control stops (^Z, and a background read or write of the
 * terminal) never stop an init either: runsc do stops the sandbox with
 * SIGSTOP, then itself, and a SIGCONT it gets continues the sandbox too.
 */
static const int g_stops[] = { SIGTSTP, SIGTTIN, SIGTTOU };
static volatile pid_t g_sandbox_pid;
static volatile sig_atomic_t g_received; /* the last forwarded signal runsc do received */

/*
 * A signal from the terminal (si_code SI_KERNEL: ^C, ^\, ^Z) went to the
 * whole foreground process group, the sandbox process included, whose
 * forwarder gives it to the sandbox's own foreground group
 * (sentry/boot/sigforward.h): runsc do leaves it to that. Not a hangup:
 * Linux sends that to the session leader alone, runsc do when it leads
 * the terminal's session.
 */
static bool from_terminal(int sig, const siginfo_t *si)
{
	return si && si->si_code == SI_KERNEL && sig != SIGHUP;
}

static void forward_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (from_terminal(sig, si))
		return;
	int saved = errno;
	if (sig != SIGCONT)
		g_received = sig;
	if (g_sandbox_pid > 0)
		kill(g_sandbox_pid, sig);
	errno = saved;
}

static void stop_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (from_terminal(sig, si))
		return;
	int saved = errno;
	if (g_sandbox_pid > 0)
		kill(g_sandbox_pid, SIGSTOP);
	/* Stop as the signal's default action would (not at all in an orphaned group). */
	struct sigaction dfl = { .sa_handler = SIG_DFL }, mine;
	sigaction(sig, &dfl, &mine);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	sigprocmask(SIG_BLOCK, &one, NULL);
	sigaction(sig, &mine, NULL);
	/* Continued (or never stopped): so is the sandbox. */
	if (g_sandbox_pid > 0)
		kill(g_sandbox_pid, SIGCONT);
	errno = saved;
}

/* In the sandbox: the whole sandbox ends (its PID namespace with it). */
static void end_sandbox(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	_exit(128 + sig);
}

/* Installs handler for the signals of sigs the caller does not ignore. */
static void handle(const int *sigs, size_t count, void (*handler)(int, siginfo_t *, void *))
{
	for (size_t i = 0; i < count; i++) {
		struct sigaction old,
		        sa = { .sa_sigaction = handler, .sa_flags = SA_RESTART | SA_SIGINFO };
		sigfillset(&sa.sa_mask);
		/* A signal the caller ignores stays ignored, here as in the sandbox. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

struct sandbox_arg {
	const struct sentry_do_args *args;
	sigset_t mask; /* the caller's signal mask, back in the sandbox */
};

/* The sandbox process: returns runsc do's exit status. */
static int sandbox_main(void *p)
{
	struct sandbox_arg *a = p;
	handle(g_forwarded, ARRAY_SIZE(g_forwarded), end_sandbox);
	sigprocmask(SIG_SETMASK, &a->mask, NULL);
	int status = sentry_do(a->args);
	if (status < 0) {
		fprintf(stderr, "runsc: %s: %s\n", a->args->argv[0], strerror(-status));
		return status == -ENOENT ? 127 : 126;
	}
	return lifecycle_exit_code(status);
}

/* Runs the sandbox in its own process and namespaces; returns runsc do's exit status. */
static int run_sandbox(const struct sentry_do_args *args)
{
	struct sandbox_arg a = { .args = args };
	sigset_t block;
	sigemptyset(&block);
	for (size_t i = 0; i < ARRAY_SIZE(g_forwarded); i++)
		sigaddset(&block, g_forwarded[i]);
	for (size_t i = 0; i < ARRAY_SIZE(g_stops); i++)
		sigaddset(&block, g_stops[i]);
	sigaddset(&block, SIGCONT);
	/* No forwarding before the sandbox's pid is known. */
	sigprocmask(SIG_BLOCK, &block, &a.mask);
	/*
	 * The host's network namespace: --network=host serves the application's
	 * inet sockets there; the other modes never use it.
	 */
	struct confine_ns ns = { .flags = CONFINE_NS_SANDBOX };
	pid_t pid = confine_spawn(&ns, sandbox_main, &a);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &a.mask, NULL);
		fprintf(stderr, "runsc: cannot create the sandbox's namespaces: %s%s\n",
		        strerror(-pid), pid == -EPERM ? " (runsc do needs root)" : "");
		return 126;
	}
	g_sandbox_pid = pid;
	static const int cont[] = { SIGCONT };
	handle(g_forwarded, ARRAY_SIZE(g_forwarded), forward_signal);
	handle(cont, 1, forward_signal);
	handle(g_stops, ARRAY_SIZE(g_stops), stop_signal);
	sigprocmask(SIG_SETMASK, &a.mask, NULL);

	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "runsc: waiting for the sandbox: %s\n", strerror(errno));
			return 126;
		}
	}
	if (WIFEXITED(wstatus)) {
		int sig = g_received;
		if (sig && WEXITSTATUS(wstatus) == 128 + sig) {
			/* The sandbox ended on our signal: die of it, as runsc did before. */
			signal(sig, SIG_DFL);
			sigset_t one;
			sigemptyset(&one);
			sigaddset(&one, sig);
			sigprocmask(SIG_UNBLOCK, &one, NULL);
			raise(sig);
		}
		return WEXITSTATUS(wstatus);
	}
	int sig = WTERMSIG(wstatus);
	fprintf(stderr, "runsc: the sandbox was killed by signal %d (%s)%s\n", sig, strsignal(sig),
	        sig == SIGSYS ? ": a host syscall outside the seccomp allowlist (see "
	                        "RUNSC_SECCOMP in common/host_confine.h)"
	                      : "");
	return 128 + sig;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: runsc do [flags] CMD [ARG...]\n\n"
	             "  --platform=NAME        systrap or ptrace (default " RUNSC_DEFAULT_PLATFORM
	             ", or $RUNSC_PLATFORM)\n"
	             "  --hostname=NAME        the sandbox's hostname (default: the host's)\n"
	             "  --kernel-release=REL   what uname reports as the release (default 6.1.0)\n"
	             "  --volume=HOST:GUEST[:ro]  bind-mount a host directory into the sandbox\n"
	             "  --network=host         inet sockets are host sockets (default: sandbox)\n"
	             "  --strace, --debug, --debug-log=FILE: as the global flags\n");
}

int cmd_do(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "hostname", required_argument, NULL, 'H' },
		{ "kernel-release", required_argument, NULL, 'R' },
		{ "volume", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char host[HOST_NAME_MAX + 1] = "runsc";
	gethostname(host, sizeof(host));
	struct sentry_do_args args = { .hostname = host, .release = "6.1.0" };
	struct sentry_volume volumes[16];
	char *volume_specs[16];
	int nvolumes = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'H':
			args.hostname = optarg;
			break;
		case 'R':
			args.release = optarg;
			break;
		case 'v':
			if (nvolumes == (int)ARRAY_SIZE(volumes) ||
			    parse_volume(optarg, &volumes[nvolumes], &volume_specs[nvolumes]) < 0) {
				fprintf(stderr,
				        "runsc do: bad --volume %s: want HOST:GUEST[:ro] with "
				        "absolute paths (at most 16)\n",
				        optarg);
				return 2;
			}
			nvolumes++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;

	char path[PATH_MAX];
	int err = resolve_command(argv[optind], path, sizeof(path));
	if (err < 0) {
		fprintf(stderr, "runsc: %s: %s\n", argv[optind], strerror(-err));
		return err == -ENOENT ? 127 : 126;
	}
	char cwd[PATH_MAX];
	args.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	args.volumes = volumes;
	args.nvolumes = nvolumes;
	args.platform = g->platform;
	args.exe_path = path;
	args.argv = argv + optind;
	args.envp = environ;
	args.strace = g->strace;
	args.confine = true;
	args.network = g->network;
	/* --network=host: the sandbox's view of the interfaces is the host's (network.h). */
	static struct runsc_net host_net;
	if (g->network && strcmp(g->network, "host") == 0) {
		char why[256];
		if (runsc_net_read(&host_net, why, sizeof(why)) == 0) {
			args.links = host_net.links;
			args.nlinks = host_net.nlinks;
			args.routes = host_net.routes;
			args.nroutes = host_net.nroutes;
		} else {
			fprintf(stderr, "runsc: %s: the sandbox shows lo alone\n", why);
		}
	}
	return run_sandbox(&args);
}
