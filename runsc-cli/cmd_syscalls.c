/* runsc syscalls: prints the syscall table and each call's support level. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runsc-cli/runsc.h"
#include "syscalls/syscalls.h"

int cmd_syscalls(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "markdown", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	bool markdown = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "m", opts, NULL)) != -1) {
		if (opt != 'm') {
			fprintf(stderr, "usage: runsc syscalls [--markdown]\n");
			return 2;
		}
		markdown = true;
	}
	fflush(stdout);
	int err = syscalls_write_table(STDOUT_FILENO, markdown);
	if (err < 0) {
		fprintf(stderr, "runsc syscalls: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
