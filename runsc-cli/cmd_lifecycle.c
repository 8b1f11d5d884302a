/*
 * The OCI lifecycle verbs, as runc has them: create, start, state, kill,
 * delete, run and wait. They parse their arguments here; the work is in
 * lifecycle.c and container.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/control.h"
#include "runsc-cli/container.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/runsc.h"

/* Parses the global flags and a verb's own (opts, ending in a zero entry). */
#define VERB_OPTIONS(...)                                           \
	static const struct option opts[] = { RUNSC_GLOBAL_OPTIONS, \
		                              __VA_ARGS__,          \
		                              { NULL, 0, NULL, 0 } }

/* The one operand a verb wants (the container id); prints usage otherwise. */
static const char *one_id(const struct runsc_globals *g, int argc, char **argv, const char *usage)
{
	if (optind != argc - 1) {
		runsc_error(g, "usage: %s", usage);
		return NULL;
	}
	return argv[optind];
}

int cmd_create(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "bundle", required_argument, NULL, 'b' },
	             { "pid-file", required_argument, NULL, 'p' },
	             { "console-socket", required_argument, NULL, 'c' },
	             { "no-pivot", no_argument, NULL, 'n' },
	             { "no-new-keyring", no_argument, NULL, 'k' },
	             { "preserve-fds", required_argument, NULL, 'f' });
	struct create_args a = { 0 };
	int opt;
	while ((opt = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'b':
			a.bundle = optarg;
			break;
		case 'p':
			a.pid_file = optarg;
			break;
		case 'c':
			a.console_socket = optarg;
			break;
		case 'n':
		case 'k':
			break; /* runc's: nothing to do for a sandbox */
		case 'f':
			if (strcmp(optarg, "0") != 0) {
				runsc_error(g, "--preserve-fds is not supported");
				return 1;
			}
			break;
		default:
			return 2;
		}
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	a.id = one_id(g, argc, argv,
	              "runsc create --bundle DIR [--pid-file F] [--console-socket S] ID");
	if (!a.id)
		return 1;
	pid_t pid;
	return lifecycle_create(g, &a, &pid) < 0 ? 1 : 0;
}

int cmd_start(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "help", no_argument, NULL, 'h' });
	int opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (runsc_parse_global(g, opt, optarg) <= 0)
			return 2;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	const char *id = one_id(g, argc, argv, "runsc start ID");
	return id && lifecycle_start(g, id) == 0 ? 0 : 1;
}

int cmd_state(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "help", no_argument, NULL, 'h' });
	int opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (runsc_parse_global(g, opt, optarg) <= 0)
			return 2;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	const char *id = one_id(g, argc, argv, "runsc state ID");
	if (!id)
		return 1;
	struct container *c;
	if (lifecycle_open(g, id, false, &c) < 0)
		return 1;
	pid_t pid;
	enum oci_status status = container_oci_status(c, &pid);
	char *j = container_state_json(c, OCI_STATE_CLI, status, pid, NULL);
	container_close(c);
	if (!j)
		return 1;
	printf("%s\n", j);
	free(j);
	return 0;
}

/* The signals the sandbox process passes on to init (sentry/boot/sigforward.h). */
static bool forwarded_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
	case SIGINT:
	case SIGQUIT:
	case SIGUSR1:
	case SIGUSR2:
	case SIGALRM:
	case SIGTERM:
	case SIGSTKFLT:
	case SIGCONT:
	case SIGTSTP:
	case SIGURG:
	case SIGVTALRM:
	case SIGPROF:
	case SIGWINCH:
	case SIGIO:
	case SIGPWR:
		return true;
	default:
		return sig >= SIGRTMIN && sig <= SIGRTMAX;
	}
}

int cmd_kill(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "all", no_argument, NULL, 'a' });
	bool all = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt != 'a')
			return 2;
		all = true;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	if (optind >= argc || argc - optind > 2) {
		runsc_error(g, "usage: runsc kill [--all] ID [SIGNAL]");
		return 1;
	}
	const char *id = argv[optind];
	int sig = optind + 1 < argc ? parse_signal(argv[optind + 1]) : SIGTERM;
	if (sig < 0) {
		runsc_error(g, "unknown signal \"%s\"", argv[optind + 1]);
		return 1;
	}
	struct container *c;
	if (lifecycle_open(g, id, false, &c) < 0)
		return 1;
	int ret = 0;
	const char *sandbox = container_str(c, "sandbox_id");
	bool own_sandbox = !sandbox || strcmp(sandbox, id) == 0;
	if (!container_sandbox_alive(c)) {
		runsc_error(g, "container not running");
		ret = 1;
	} else if (sig == SIGKILL && own_sandbox) {
		/* The whole sandbox ends with its init, even a frozen or stuck one. */
		kill((pid_t)container_int(c, "sandbox_pid"), SIGKILL);
	} else if (container_frozen(c)) {
		/*
		 * A frozen sentry cannot answer. A signal for init that the sandbox
		 * forwards (sentry/boot/sigforward.h) goes to the sandbox process,
		 * pending until resume, as runc's signal to a paused init is.
		 */
		if (!all && own_sandbox && forwarded_signal(sig)) {
			kill((pid_t)container_int(c, "sandbox_pid"), sig);
		} else {
			runsc_error(g, "container %s is paused: resume it to signal %s", id,
			            all ? "all its processes" : "it");
			ret = 1;
		}
	} else {
		json_t *req = json_pack("{s:i,s:b}", "signal", sig, "all", all), *reply;
		char err[1024];
		if (container_call(c, "signal", req, &reply, err, sizeof(err)) < 0) {
			runsc_error(g, "%s", err);
			ret = 1;
		} else {
			json_decref(reply);
		}
		json_decref(req);
	}
	container_close(c);
	return ret;
}

int cmd_delete(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "force", no_argument, NULL, 'f' });
	bool force = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt != 'f')
			return 2;
		force = true;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	const char *id = one_id(g, argc, argv, "runsc delete [--force] ID");
	return id && lifecycle_delete(g, id, force) == 0 ? 0 : 1;
}

/* runsc run: the sandbox is our child; signals we get are passed on to it. */
static volatile pid_t g_run_child;

static void forward_signal(int sig)
{
	if (g_run_child > 0)
		kill(g_run_child, sig);
}

int cmd_run(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "bundle", required_argument, NULL, 'b' },
	             { "pid-file", required_argument, NULL, 'p' },
	             { "console-socket", required_argument, NULL, 'c' },
	             { "detach", no_argument, NULL, 'd' }, { "no-pivot", no_argument, NULL, 'n' },
	             { "keep", no_argument, NULL, 'K' });
	struct create_args a = { 0 };
	bool detach = false, keep = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'b':
			a.bundle = optarg;
			break;
		case 'p':
			a.pid_file = optarg;
			break;
		case 'c':
			a.console_socket = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'K':
			keep = true;
			break;
		case 'n':
			break;
		default:
			return 2;
		}
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	a.id = one_id(g, argc, argv, "runsc run [--bundle DIR] [--detach] ID");
	if (!a.id)
		return 1;
	a.foreground = !detach;
	pid_t pid;
	if (lifecycle_create(g, &a, &pid) < 0)
		return 1;
	g_run_child = pid;
	static const int forwarded[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
		                         SIGUSR1, SIGUSR2, SIGWINCH };
	if (!detach) {
		struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
		for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
			sigaction(forwarded[i], &sa, NULL);
	}
	if (lifecycle_start(g, a.id) < 0) {
		lifecycle_delete(g, a.id, true);
		waitpid(pid, NULL, 0);
		return 1;
	}
	if (detach)
		return 0;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_run_child = 0;
	if (!keep)
		lifecycle_delete(g, a.id, true);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int cmd_wait(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "help", no_argument, NULL, 'h' });
	int opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (runsc_parse_global(g, opt, optarg) <= 0)
			return 2;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	const char *id = one_id(g, argc, argv, "runsc wait ID");
	if (!id)
		return 1;
	struct container *c;
	int e = 0;
	if (lifecycle_open(g, id, false, &c) < 0)
		return 1;
	/* The lock is not held while waiting: delete and kill must go on. */
	int sock = container_connect(c);
	json_t *req = json_pack("{s:s,s:s}", "op", "wait", "container", id);
	container_close(c);
	json_t *reply = NULL;
	e = sock < 0 ? sock : control_call(sock, req, NULL, 0, &reply);
	json_decref(req);
	if (sock >= 0)
		close(sock);
	if (e < 0 || !json_is_integer(json_object_get(reply, "status"))) {
		runsc_error(g, "container %s is not running", id);
		json_decref(reply);
		return 1;
	}
	int status = (int)json_integer_value(json_object_get(reply, "status"));
	json_decref(reply);
	printf("{\"exit_status\":%d}\n", lifecycle_exit_code(status));
	return 0;
}
