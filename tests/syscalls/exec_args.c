/*
 * exec_args: execve's argv and envp wherever the strings lie: scattered
 * over the heap and the stack, one ending on the last byte before an
 * unreadable page, one longer than two pages, and the edges of Linux's
 * checks: a string or an array running into an unreadable page is EFAULT,
 * a string of MAX_ARG_STRLEN (32 pages) or more is E2BIG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

#define LONG_LEN       (3 * PAGE_SIZE - 1)
#define MAX_ARG_STRLEN (32 * PAGE_SIZE)

static const char g_edge[] = "ends-on-the-page-boundary";

static int child(int argc, char **argv, char **envp)
{
	/* argv: self, "child", edge, long, "stack", heap; envp: "E1=heap", edge, NULL. */
	if (argc != 6 || strcmp(argv[2], g_edge) != 0 || strlen(argv[3]) != LONG_LEN ||
	    strspn(argv[3], "L") != LONG_LEN || strcmp(argv[4], "on-the-stack") != 0 ||
	    strcmp(argv[5], "on-the-heap") != 0)
		return 10;
	if (!envp[0] || strcmp(envp[0], "E1=heap") != 0 || !envp[1] ||
	    strcmp(envp[1], g_edge) != 0 || envp[2])
		return 11;
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child(argc, argv, envp);
	const char *self = "/proc/self/exe";

	/* Two readable pages, then one that is not. */
	char *area = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                  -1, 0);
	CHECK(area != MAP_FAILED);
	CHECK(mprotect(area + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE) == 0);
	char *end = area + 2 * PAGE_SIZE;
	char *edge = end - sizeof(g_edge);
	memcpy(edge, g_edge, sizeof(g_edge));

	char *longstr = malloc(LONG_LEN + 1);
	CHECK(longstr != NULL);
	memset(longstr, 'L', LONG_LEN);
	longstr[LONG_LEN] = 0;
	char stack_str[] = "on-the-stack";
	char *heap_str = strdup("on-the-heap"), *env_heap = strdup("E1=heap");
	CHECK(heap_str && env_heap);

	/* A string that runs into the unreadable page, and an array that does. */
	char *unended = end - 8;
	memset(unended, 'x', 8);
	char *bad_str[] = { (char *)self, "child", unended, NULL };
	CHECK_ERR(execve(self, bad_str, envp), EFAULT);
	char **bad_array = (char **)(end - 2 * sizeof(char *));
	bad_array[0] = (char *)self;
	bad_array[1] = "child"; /* the terminating NULL would be in the unreadable page */
	CHECK_ERR(execve(self, bad_array, envp), EFAULT);
	memcpy(edge, g_edge, sizeof(g_edge)); /* bad_array overwrote the page's end */

	/* MAX_ARG_STRLEN: with its NUL a string may be 32 pages long, not one byte more. */
	char *huge = malloc(MAX_ARG_STRLEN + 1);
	CHECK(huge != NULL);
	memset(huge, 'H', MAX_ARG_STRLEN);
	huge[MAX_ARG_STRLEN] = 0;
	char *too_long[] = { (char *)self, "child", huge, NULL };
	CHECK_ERR(execve(self, too_long, envp), E2BIG);

	char *args[] = { (char *)self, "child", edge, longstr, stack_str, heap_str, NULL };
	char *env[] = { env_heap, edge, NULL };
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execve(self, args, env);
		_exit(99);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return 0;
}
