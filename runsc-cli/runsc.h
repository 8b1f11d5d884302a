/*
 * The runsc command line: global flags (parsed in main.c) and the verbs,
 * one file each (cmd_<verb>.c), which only parse their arguments and call
 * into the library.
 */
#ifndef RUNSC_CLI_RUNSC_H
#define RUNSC_CLI_RUNSC_H

#include <stdbool.h>

#include "common/util.h"

struct runsc_globals {
	const char *root;      /* --root: the containers' state (default /run/runsc) */
	const char *platform;  /* --platform (default "ptrace") */
	const char *network;   /* --network: sandbox (default), host or none */
	bool json_log;         /* --log-format json */
	bool systemd_cgroup;   /* --systemd-cgroup */
	const char *debug_log; /* --debug-log FILE */
	const char *log;       /* --log FILE */
	bool debug;            /* --debug */
	bool strace;           /* --strace */
};

/*
 * Parses the global flags that may also follow a verb (runc clients put
 * them first; people type them anywhere). Returns 1 when opt was one of
 * them, 0 when it was not, -1 on a bad value.
 */
int runsc_parse_global(struct runsc_globals *g, int opt, const char *arg);

/* Applies the logging flags. Returns 0, or -1 after printing an error. */
int runsc_setup_logging(const struct runsc_globals *g);

/* getopt_long entries for the global flags, to append to a verb's own. */
#define RUNSC_GLOBAL_OPTIONS                                                                     \
	{ "platform", required_argument, NULL, 0x1000 },                                         \
	        { "debug-log", required_argument, NULL, 0x1001 },                                \
	        { "log", required_argument, NULL, 0x1002 },                                      \
	        { "debug", no_argument, NULL, 0x1003 }, { "strace", no_argument, NULL, 0x1004 }, \
	        { "log-format", required_argument, NULL, 0x1005 },                               \
	        { "root", required_argument, NULL, 0x1006 },                                     \
	        { "systemd-cgroup", no_argument, NULL, 0x1007 },                                 \
	        { "network", required_argument, NULL, 0x1008 },                                  \
	{                                                                                        \
		"syscall-patching", no_argument, NULL, 0x1009                                    \
	}

/*
 * Reports a command's failure as runc does: "runsc: MSG" on stderr, and
 * an error line in the --log file (JSON with --log-format json), where
 * podman and containerd's shim read it.
 */
void runsc_error(const struct runsc_globals *g, const char *fmt, ...) PRINTF_LIKE(2, 3);

int cmd_do(struct runsc_globals *g, int argc, char **argv);
int cmd_boot(struct runsc_globals *g, int argc, char **argv);
int cmd_create(struct runsc_globals *g, int argc, char **argv);
int cmd_start(struct runsc_globals *g, int argc, char **argv);
int cmd_state(struct runsc_globals *g, int argc, char **argv);
int cmd_kill(struct runsc_globals *g, int argc, char **argv);
int cmd_delete(struct runsc_globals *g, int argc, char **argv);
int cmd_run(struct runsc_globals *g, int argc, char **argv);
int cmd_exec(struct runsc_globals *g, int argc, char **argv);
int cmd_list(struct runsc_globals *g, int argc, char **argv);
int cmd_ps(struct runsc_globals *g, int argc, char **argv);
int cmd_spec(struct runsc_globals *g, int argc, char **argv);
int cmd_features(struct runsc_globals *g, int argc, char **argv);
int cmd_wait(struct runsc_globals *g, int argc, char **argv);
int cmd_syscalls(struct runsc_globals *g, int argc, char **argv);
int cmd_gofer(struct runsc_globals *g, int argc, char **argv);
int cmd_pause(struct runsc_globals *g, int argc, char **argv);
int cmd_resume(struct runsc_globals *g, int argc, char **argv);
int cmd_update(struct runsc_globals *g, int argc, char **argv);
int cmd_events(struct runsc_globals *g, int argc, char **argv);

#endif /* RUNSC_CLI_RUNSC_H */
