/*
 * The demo program: prints, maps memory, reads the clock and exits 7.
 * Its output is the same natively and in the sandbox, so the e2e tests
 * compare the two runs byte for byte.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("hello from a static program (pid %s)\n", getpid() > 0 ? "ok" : "bad");

	size_t len = 1 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 'x', len);
	unsigned long sum = 0;
	for (size_t i = 0; i < len; i += 4096)
		sum += (unsigned char)p[i];
	printf("mapped and touched %zu KiB: checksum %lu\n", len / 1024, sum);
	munmap(p, len);

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	printf("the clock moved forward across a 10 ms sleep: %s\n", ms >= 10 ? "yes" : "no");

	struct utsname u;
	uname(&u);
	printf("running on %s %s\n", u.sysname, u.machine);
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	printf("exiting with 7\n");
	return 7;
}
