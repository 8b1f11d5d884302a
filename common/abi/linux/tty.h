/*
 * The terminal ioctls of the guest ABI (x86-64: asm-generic/ioctls.h,
 * asm-generic/termbits.h). The kernel's struct termios, 36 bytes, and
 * struct winsize are in misc.h; glibc's struct termios (60 bytes, with
 * speeds) is not the kernel's and never crosses the ABI.
 */
#ifndef COMMON_ABI_LINUX_TTY_H
#define COMMON_ABI_LINUX_TTY_H

#include <stdint.h>

#include "common/abi/linux/misc.h"

/* TCGETS2 and friends: the kernel's termios with explicit speeds. */
struct linux_termios2 {
	uint32_t c_iflag;
	uint32_t c_oflag;
	uint32_t c_cflag;
	uint32_t c_lflag;
	uint8_t c_line;
	uint8_t c_cc[LINUX_NCCS];
	uint32_t c_ispeed;
	uint32_t c_ospeed;
};
_Static_assert(sizeof(struct linux_termios2) == 44, "termios2 layout");

/* TCGETA and friends: System V's struct termio. */
#define LINUX_NCC 8
struct linux_termio {
	uint16_t c_iflag;
	uint16_t c_oflag;
	uint16_t c_cflag;
	uint16_t c_lflag;
	uint8_t c_line;
	uint8_t c_cc[LINUX_NCC];
};
_Static_assert(sizeof(struct linux_termio) == 18, "termio layout");

/* c_lflag bits the sentry looks at. */
#define LINUX_TOSTOP 0000400

#define LINUX_TCSETS    0x5402
#define LINUX_TCSETSW   0x5403
#define LINUX_TCSETSF   0x5404
#define LINUX_TCGETA    0x5405
#define LINUX_TCSETA    0x5406
#define LINUX_TCSETAW   0x5407
#define LINUX_TCSETAF   0x5408
#define LINUX_TCSBRK    0x5409
#define LINUX_TCXONC    0x540A
#define LINUX_TCFLSH    0x540B
#define LINUX_TIOCEXCL  0x540C
#define LINUX_TIOCNXCL  0x540D
#define LINUX_TIOCSCTTY 0x540E
#define LINUX_TIOCGPGRP 0x540F
#define LINUX_TIOCSPGRP 0x5410
#define LINUX_TIOCOUTQ  0x5411
#define LINUX_TIOCSTI   0x5412
/* LINUX_TIOCGWINSZ 0x5413 is in misc.h */
#define LINUX_TIOCSWINSZ 0x5414
#define LINUX_TIOCINQ    0x541B
#define LINUX_FIONREAD   0x541B /* the same as pipe.h's */
#define LINUX_TIOCNOTTY  0x5422
#define LINUX_TCSBRKP    0x5425
#define LINUX_TIOCGSID   0x5429
#define LINUX_TCGETS2    0x802C542A
#define LINUX_TCSETS2    0x402C542B
#define LINUX_TCSETSW2   0x402C542C
#define LINUX_TCSETSF2   0x402C542D
#define LINUX_TIOCGEXCL  0x80045440

#endif /* COMMON_ABI_LINUX_TTY_H */
