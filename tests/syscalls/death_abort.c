/*
 * death_abort: abort() raises SIGABRT. This process is its pid namespace's init (as in the
 * sandbox), which drops a SIGABRT it sends itself; glibc's abort() then falls back to `hlt`,
 * a fault, and a fault kills even an init: SIGSEGV (139).
 */
#include "test.h"

int main(void)
{
	abort();
}
