#include <stdio.h>

#include "proj.h"

void report(const char *what, unsigned long value)
{
	printf("%s = %lu\n", what, value);
}
