#ifndef PROJ_H
#define PROJ_H
unsigned long fib(unsigned n);
int is_prime(unsigned long n);
void report(const char *what, unsigned long value);
#endif
