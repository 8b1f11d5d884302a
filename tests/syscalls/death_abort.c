/* death_abort: abort() raises SIGABRT, whose default action kills the process (134). */
#include "test.h"

int main(void)
{
	abort();
}
