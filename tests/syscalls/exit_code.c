/*
 * exit_code HOW STATUS: the status a process exits with is the low 8 bits of its argument.
 *   exit STATUS:        exit(3), which ends in exit_group
 *   exit_group STATUS:  the raw exit_group system call
 *   exit_thread STATUS: the raw exit system call; the last thread's exit ends the process
 */
#include "test.h"

int main(int argc, char **argv)
{
	CHECK_EQ(argc, 3);
	long status = strtol(argv[2], NULL, 0);

	if (strcmp(argv[1], "exit") == 0) {
		exit((int)status);
	} else if (strcmp(argv[1], "exit_group") == 0) {
		syscall(SYS_exit_group, status);
	} else if (strcmp(argv[1], "exit_thread") == 0) {
		syscall(SYS_exit, status);
	} else {
		test_fail(__FILE__, __LINE__, "unknown mode %s", argv[1]);
	}
	test_unreachable(argv[1]);
}
