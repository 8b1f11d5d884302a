#include "proj.h"

int main(void)
{
	report("fib(50)", fib(50));
	unsigned long primes = 0;
	for (unsigned long n = 0; n < 10000; n++)
		primes += is_prime(n);
	report("primes below 10000", primes);
	return 0;
}
