/* sysinfo: plausible uptime, memory and process counts, consistent with CLOCK_BOOTTIME. */
#include <sys/sysinfo.h>
#include <time.h>

#include "test.h"

int main(void)
{
	struct timespec boot0, boot1;
	struct sysinfo si;

	memset(&si, 0xff, sizeof(si));
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &boot0), 0);
	CHECK_EQ(syscall(SYS_sysinfo, &si), 0);
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &boot1), 0);

	/* Linux rounds uptime up to the next second of CLOCK_BOOTTIME. */
	CHECK(si.uptime > 0);
	CHECK(si.uptime >= boot0.tv_sec);
	CHECK(si.uptime <= boot1.tv_sec + 1);

	CHECK(si.mem_unit >= 1);
	CHECK(si.totalram > 0);
	CHECK((unsigned long long)si.totalram * si.mem_unit >= 16ULL << 20);
	CHECK(si.freeram <= si.totalram);
	CHECK(si.sharedram <= si.totalram);
	CHECK(si.bufferram <= si.totalram);
	CHECK(si.freeswap <= si.totalswap);
	CHECK(si.freehigh <= si.totalhigh);
	CHECK(si.procs >= 1);
	return 0;
}
