/*
 * death_fault MODE: a CPU fault kills the process with its signal's default action.
 *   segv: a load from address 0       -> SIGSEGV (139)
 *   ud2:  an undefined instruction    -> SIGILL  (132)
 *   int3: a breakpoint                -> SIGTRAP (133)
 *   div0: an integer division by zero -> SIGFPE  (136)
 *   hlt:  a privileged instruction    -> SIGSEGV (139)
 */
#include "test.h"

int main(int argc, char **argv)
{
	CHECK_EQ(argc, 2);
	const char *mode = argv[1];

	if (strcmp(mode, "segv") == 0) {
		volatile int *null = NULL;
		(void)*null;
	} else if (strcmp(mode, "ud2") == 0) {
		__asm__ volatile("ud2");
	} else if (strcmp(mode, "int3") == 0) {
		__asm__ volatile("int3");
	} else if (strcmp(mode, "div0") == 0) {
		/* In assembly: the compiler may assume that C never divides by zero. */
		__asm__ volatile("xor %%ecx, %%ecx\n\t"
		                 "mov $1, %%eax\n\t"
		                 "cltd\n\t"
		                 "idivl %%ecx"
		                 :
		                 :
		                 : "eax", "ecx", "edx", "cc");
	} else if (strcmp(mode, "hlt") == 0) {
		__asm__ volatile("hlt");
	} else {
		test_fail(__FILE__, __LINE__, "unknown mode %s", mode);
	}
	test_unreachable(mode);
}
