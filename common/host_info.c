/* Host randomness and CPU facts: see host_info.h. */
#include "common/host_info.h"

#include <errno.h>
#include <sys/auxv.h>
#include <sys/random.h>

#include "common/log.h"

void host_random_bytes(void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			log_fatal("getrandom: %s", n < 0 ? "failed" : "returned 0");
		p += n;
		len -= (size_t)n;
	}
}

uint64_t host_random_u64(void)
{
	uint64_t v;
	host_random_bytes(&v, sizeof(v));
	return v;
}

uint64_t host_auxval(unsigned long tag)
{
	return getauxval(tag);
}
