/* Copies stdin to stdout; exits 2 when a write fails (EPIPE once the reader is gone). */
#include <unistd.h>

int main(void)
{
	static char buf[65536];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));
			if (w <= 0)
				return 2;
			off += w;
		}
	}
	return n < 0;
}
