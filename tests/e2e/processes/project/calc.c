#include "proj.h"

unsigned long fib(unsigned n)
{
	unsigned long a = 0, b = 1;
	while (n--) {
		unsigned long c = a + b;
		a = b;
		b = c;
	}
	return a;
}

int is_prime(unsigned long n)
{
	if (n < 2)
		return 0;
	for (unsigned long d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}
