/* stack_overflow: unbounded recursion with large frames runs off the stack: SIGSEGV (139). */
#include "test.h"

static volatile unsigned long g_stop_depth = ~0UL;

/* recurse uses 64 KiB of stack per call and cannot be turned into a loop. */
static unsigned long recurse(unsigned long depth)
{
	volatile unsigned char frame[64 * 1024];

	frame[0] = (unsigned char)depth;
	frame[sizeof(frame) - 1] = (unsigned char)depth;
	if (depth == g_stop_depth)
		return frame[0];
	return recurse(depth + 1) + frame[sizeof(frame) - 1];
}

int main(void)
{
	/* 8 MiB of stack is 128 frames: going through 2^64 of them cannot end well. */
	unsigned long r = recurse(0);
	test_fail(__FILE__, __LINE__, "recursion returned %lu", r);
}
