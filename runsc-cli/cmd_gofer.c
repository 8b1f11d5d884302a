/*
 * runsc gofer --socket-fd N --mount HOST_DIR[:ro] [--mount ...]: serves the
 * host directories, in order (mount index 0, 1, ...), over the gofer
 * protocol on the channel fd N until the client closes every channel.
 *
 * Once its mounts are open it confines itself (gofer/confine.h): a mount
 * namespace of its own with an empty read-only root, the capabilities
 * that serve other users' files and no others, no_new_privs and a seccomp
 * allowlist. Then the protocol's rules (gofer/README.md) are its inner
 * wall: every host access relative to an fd it holds, never following a
 * symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/confine.h"
#include "gofer/server.h"
#include "runsc-cli/runsc.h"

static int usage(void)
{
	fprintf(stderr, "usage: runsc gofer --socket-fd N --mount HOST_DIR[:ro] [--mount ...]\n");
	return 2;
}

/* Adds "HOST_DIR" or "HOST_DIR:ro" to s. Returns 0, or -1 after printing an error. */
static int add_mount(struct gofer_server *s, const char *arg)
{
	size_t len = strlen(arg);
	bool ro = len > 3 && strcmp(arg + len - 3, ":ro") == 0;
	char *dir = strndup(arg, ro ? len - 3 : len);
	if (!dir)
		return -1;
	int err = gofer_server_add_mount(s, dir, ro);
	if (err < 0)
		fprintf(stderr, "runsc gofer: cannot serve %s: %s\n", dir, strerror(-err));
	free(dir);
	return err < 0 ? -1 : 0;
}

int cmd_gofer(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "socket-fd", required_argument, NULL, 's' },
		{ "mount", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct gofer_server *s;
	int sock = -1, opt, err;

	log_set_prefix("runsc-gofer");
	/*
	 * The terminal's signals are the sandbox's: a process group of its own
	 * keeps ^C, ^\ and ^Z (sent to the foreground group, which the sentry
	 * is in) away from the gofer, and its error messages never stop it
	 * with SIGTTOU. It starts with no signal blocked, whatever the mask of
	 * the sentry thread that started it (sentry/boot/sigforward.c).
	 */
	setpgid(0, 0);
	signal(SIGTTOU, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	err = gofer_server_new(&s);
	if (err < 0) {
		fprintf(stderr, "runsc gofer: %s\n", strerror(-err));
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			goto out_usage;
		if (r > 0)
			continue;
		if (opt == 's') {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 0 || v > INT32_MAX)
				goto out_usage;
			sock = (int)v;
		} else if (opt == 'm') {
			if (add_mount(s, optarg) < 0)
				goto out_free;
		} else {
			goto out_usage;
		}
	}
	if (sock < 0 || optind != argc)
		goto out_usage;
	if (fcntl(sock, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "runsc gofer: --socket-fd %d: %s\n", sock, strerror(errno));
		goto out_free;
	}
	if (runsc_setup_logging(g) < 0)
		goto out_free;

	/* Modes arrive with the application's umask applied by the sentry. */
	umask(0);
	/* Every held node is an fd: allow as many as the hard limit lets us. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (gofer_confine(s) < 0)
		goto out_free;
	err = gofer_server_serve(s, sock);
	gofer_server_free(s);
	if (err < 0) {
		log_error("gofer: %s", strerror(-err));
		return 1;
	}
	return 0;

out_usage:
	usage();
	gofer_server_free(s);
	return 2;
out_free:
	gofer_server_free(s);
	return 1;
}
