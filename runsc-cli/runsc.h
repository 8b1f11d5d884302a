/*
 * The runsc command line: global flags (parsed in main.c) and the verbs,
 * one file each (cmd_<verb>.c), which only parse their arguments and call
 * into the library.
 */
#ifndef RUNSC_CLI_RUNSC_H
#define RUNSC_CLI_RUNSC_H

#include <stdbool.h>

struct runsc_globals {
	const char *platform;  /* --platform (default "ptrace") */
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
	{                                                                                        \
		"log-format", required_argument, NULL, 0x1005                                    \
	}

int cmd_do(struct runsc_globals *g, int argc, char **argv);
int cmd_syscalls(struct runsc_globals *g, int argc, char **argv);
int cmd_gofer(struct runsc_globals *g, int argc, char **argv);

#endif /* RUNSC_CLI_RUNSC_H */
