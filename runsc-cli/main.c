/*
 * runsc: the command-line entry point. Parses the global flags, then runs
 * the verb named by the first other argument from the table below.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "runsc-cli/container.h"
#include "runsc-cli/runsc.h"

struct command {
	const char *name;
	int (*run)(struct runsc_globals *g, int argc, char **argv);
	const char *help;
};

/* In cmd_install.c. */
int cmd_install(struct runsc_globals *g, int argc, char **argv);
int cmd_uninstall(struct runsc_globals *g, int argc, char **argv);

static const struct command g_commands[] = {
	{ "create", cmd_create,
	  "create a container: runsc create --bundle DIR [--pid-file F] [--console-socket S] ID" },
	{ "start", cmd_start, "start a created container: runsc start ID" },
	{ "state", cmd_state, "print a container's state as JSON: runsc state ID" },
	{ "kill", cmd_kill, "signal a container: runsc kill [--all] ID [SIGNAL]" },
	{ "delete", cmd_delete, "delete a container: runsc delete [--force] ID" },
	{ "run", cmd_run, "create, start, wait and delete: runsc run [--bundle DIR] [-d] ID" },
	{ "exec", cmd_exec,
	  "run a process in a container: runsc exec [--process F | flags ID CMD...] ID" },
	{ "list", cmd_list, "list containers: runsc list [--format table|json] [-q]" },
	{ "ps", cmd_ps, "list a container's processes: runsc ps [--format table|json] ID" },
	{ "pause", cmd_pause, "freeze a container's processes: runsc pause ID" },
	{ "resume", cmd_resume, "thaw a paused container: runsc resume ID" },
	{ "update", cmd_update,
	  "change a container's cgroup limits: runsc update [--resources FILE|-] [--memory N] "
	  "[--pids-limit N] ... ID" },
	{ "events", cmd_events,
	  "print a container's cgroup stats as JSON: runsc events [--stats] [--interval D] ID" },
	{ "wait", cmd_wait,
	  "wait for a container's init and print its exit status: runsc wait ID" },
	{ "spec", cmd_spec, "write a default config.json: runsc spec [--bundle DIR]" },
	{ "features", cmd_features, "print what this runtime supports, as JSON" },
	{ "boot", cmd_boot, "the sandbox process of a container (started by create)" },
	{ "do", cmd_do, "run a program in a new sandbox: runsc do [flags] CMD [ARG...]" },
	{ "syscalls", cmd_syscalls, "print the syscall table: runsc syscalls [--markdown]" },
	{ "gofer", cmd_gofer,
	  "serve host directories to a sentry: runsc gofer --socket-fd N --mount DIR[:ro]..." },
	{ "install", cmd_install,
	  "add runsc to Docker's runtimes: runsc install [--config FILE] [--runtime NAME] "
	  "[--path PATH] [-- ARG...]" },
	{ "uninstall", cmd_uninstall,
	  "remove runsc from Docker's runtimes: runsc uninstall [--config FILE] [--runtime NAME]" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: runsc [global flags] COMMAND [flags] [args]\n\n"
	             "A user-space kernel sandbox: programs run on the sentry, never on the "
	             "host kernel.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(g_commands); i++)
		fprintf(out, "  %-10s %s\n", g_commands[i].name, g_commands[i].help);
	fprintf(out, "\nGlobal flags:\n"
	             "  --platform=NAME   how application code runs: systrap or ptrace (default\n"
	             "                    " RUNSC_DEFAULT_PLATFORM ", or $RUNSC_PLATFORM)\n"
	             "  --strace          log every system call of the application\n"
	             "  --debug           log at debug level\n"
	             "  --debug-log=FILE  write the log (and strace) to FILE instead of stderr\n"
	             "  --log=FILE        write errors to FILE\n"
	             "  --log-format=text|json\n"
	             "  --root=DIR        the containers' state (default " RUNSC_DEFAULT_ROOT ")\n"
	             "  --network=sandbox|host|none\n"
	             "  --syscall-patching  systrap: rewrite hot system-call sites into jumps\n"
	             "                    to a trampoline (no signal frame); experimental\n"
	             "  --systemd-cgroup  accepted for runc compatibility (cgroupfs is used)\n");
}

int runsc_parse_global(struct runsc_globals *g, int opt, const char *arg)
{
	switch (opt) {
	case 0x1000:
		g->platform = arg;
		return 1;
	case 0x1001:
		g->debug_log = arg;
		return 1;
	case 0x1002:
		g->log = arg;
		return 1;
	case 0x1003:
		g->debug = true;
		return 1;
	case 0x1004:
		g->strace = true;
		return 1;
	case 0x1005:
		if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) {
			fprintf(stderr, "runsc: --log-format must be text or json\n");
			return -1;
		}
		g->json_log = strcmp(arg, "json") == 0;
		return 1;
	case 0x1006:
		g->root = arg;
		return 1;
	case 0x1007:
		g->systemd_cgroup = true;
		return 1;
	case 0x1008:
		if (strcmp(arg, "sandbox") != 0 && strcmp(arg, "host") != 0 &&
		    strcmp(arg, "none") != 0) {
			fprintf(stderr, "runsc: --network must be sandbox, host or none\n");
			return -1;
		}
		g->network = arg;
		return 1;
	case 0x1009:
		/*
		 * Read by the systrap platform wherever the sandbox runs: this
		 * process, or the `runsc boot` it starts, which inherits it.
		 */
		setenv("RUNSC_SYSCALL_PATCHING", "1", 1);
		return 1;
	default:
		return 0;
	}
}

int runsc_setup_logging(const struct runsc_globals *g)
{
	/* A debug log is for reading later: it gets the info level (unsupported syscalls) too. */
	if (g->debug)
		log_set_level(LOG_DEBUG);
	else if (g->debug_log)
		log_set_level(LOG_INFO);
	const char *file = g->debug_log ? g->debug_log : g->log;
	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "runsc: cannot open log %s: %s\n", file, strerror(errno));
			return -1;
		}
		log_set_fd(fd);
	}
	log_set_json(g->json_log);
	return 0;
}

void runsc_error(const struct runsc_globals *g, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "runsc: %s\n", msg);
	if (g->log || g->debug_log)
		log_error("%s", msg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	/* RUNSC_PLATFORM picks the default platform: the test suite runs on each this way. */
	const char *platform = getenv("RUNSC_PLATFORM");
	struct runsc_globals g = { .platform = platform && *platform ? platform
		                                                     : RUNSC_DEFAULT_PLATFORM,
		                   .root = RUNSC_DEFAULT_ROOT,
		                   .network = "sandbox" };
	int opt;
	while ((opt = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		int r = runsc_parse_global(&g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("runsc version 0.1.0\n");
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
	const char *verb = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(g_commands); i++) {
		if (strcmp(g_commands[i].name, verb) == 0) {
			/* The verb sees its own name as argv[0] and parses from there. */
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 0;
			return g_commands[i].run(&g, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "runsc: unknown command \"%s\"\n\n", verb);
	usage(stderr);
	return 2;
}
