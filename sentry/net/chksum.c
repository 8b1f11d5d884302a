/*
 * The Internet checksum for lwIP (RFC 1071), eight bytes at a time.
 *
 * lwIP checksums every TCP and UDP segment it sends and receives (Debian's
 * build has the checksums compiled in, loopback included), all through
 * lwip_standard_chksum, which it calls through its PLT: this definition
 * takes the place of the library's, as stack.c's tcpip_try_callback does.
 * The library's sums 16-bit words (32-bit ones in its inner loop); this
 * one adds 64-bit words with their carries, which the one's complement sum
 * allows (the result folds to the same 16 bits), for a fraction of the
 * time on a loopback stream (docs/performance.md, "Network").
 *
 * The contract is the library's (LWIP_CHKSUM_ALGORITHM 3): the folded,
 * uncomplemented sum of the bytes read as 16-bit words in memory order; a
 * buffer starting at an odd address is summed as if shifted by a byte, and
 * the result's bytes swapped back. tests/unit/sentry/net/test_chksum
 * compares the two on random buffers, lengths and alignments.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <lwip/arch.h>

u16_t lwip_standard_chksum(const void *dataptr, int len);

/* a + b with the carry added back (one's complement addition on 64 bits). */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < a);
}

u16_t lwip_standard_chksum(const void *dataptr, int len)
{
	const uint8_t *p = dataptr;
	uint64_t sum = 0;
	bool odd = (uintptr_t)p & 1;
	if (odd && len > 0) {
		/* The first byte is the high half of a word (memory order: [0, b]). */
		sum = (uint64_t)*p++ << 8;
		len--;
	}
	while (len >= 32) {
		uint64_t w[4];
		memcpy(w, p, sizeof(w));
		sum = add_carry(sum, w[0]);
		sum = add_carry(sum, w[1]);
		sum = add_carry(sum, w[2]);
		sum = add_carry(sum, w[3]);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		sum = add_carry(sum, w);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, sizeof(w));
		sum = add_carry(sum, w);
		p += 2;
		len -= 2;
	}
	if (len > 0)
		sum = add_carry(sum, *p); /* the last byte is a word's low half */
	/* Fold 64 bits to 16, carries included. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	if (odd)
		sum = ((sum & 0xff) << 8) | (sum >> 8);
	return (u16_t)sum;
}
