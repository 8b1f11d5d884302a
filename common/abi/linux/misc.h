/*
 * Assorted guest ABI structures: uname, rlimits, sysinfo, stat, terminal
 * ioctls, fcntl and dup3 flags.
 */
#ifndef COMMON_ABI_LINUX_MISC_H
#define COMMON_ABI_LINUX_MISC_H

#include <stdint.h>

#define LINUX_UTSNAME_LEN 65
struct linux_utsname {
	char sysname[LINUX_UTSNAME_LEN];
	char nodename[LINUX_UTSNAME_LEN];
	char release[LINUX_UTSNAME_LEN];
	char version[LINUX_UTSNAME_LEN];
	char machine[LINUX_UTSNAME_LEN];
	char domainname[LINUX_UTSNAME_LEN];
};

struct linux_rlimit {
	uint64_t cur;
	uint64_t max;
};
#define LINUX_RLIM_INFINITY (~0ULL)

#define LINUX_RLIMIT_CPU        0
#define LINUX_RLIMIT_FSIZE      1
#define LINUX_RLIMIT_DATA       2
#define LINUX_RLIMIT_STACK      3
#define LINUX_RLIMIT_CORE       4
#define LINUX_RLIMIT_RSS        5
#define LINUX_RLIMIT_NPROC      6
#define LINUX_RLIMIT_NOFILE     7
#define LINUX_RLIMIT_MEMLOCK    8
#define LINUX_RLIMIT_AS         9
#define LINUX_RLIMIT_LOCKS      10
#define LINUX_RLIMIT_SIGPENDING 11
#define LINUX_RLIMIT_MSGQUEUE   12
#define LINUX_RLIMIT_NICE       13
#define LINUX_RLIMIT_RTPRIO     14
#define LINUX_RLIMIT_RTTIME     15
#define LINUX_RLIM_NLIMITS      16

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram;
	uint64_t freeram;
	uint64_t sharedram;
	uint64_t bufferram;
	uint64_t totalswap;
	uint64_t freeswap;
	uint16_t procs;
	uint16_t pad;
	uint32_t pad2;
	uint64_t totalhigh;
	uint64_t freehigh;
	uint32_t mem_unit;
	char reserved[4];
};
_Static_assert(sizeof(struct linux_sysinfo) == 112, "sysinfo layout");

/* struct stat of x86-64 (newfstatat, fstat). */
struct linux_stat {
	uint64_t dev;
	uint64_t ino;
	uint64_t nlink;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t pad0;
	uint64_t rdev;
	int64_t size;
	int64_t blksize;
	int64_t blocks;
	int64_t atime_sec, atime_nsec;
	int64_t mtime_sec, mtime_nsec;
	int64_t ctime_sec, ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "stat layout");

/* The kernel's struct termios (TCGETS), not glibc's larger one. */
#define LINUX_NCCS 19
struct linux_termios {
	uint32_t c_iflag;
	uint32_t c_oflag;
	uint32_t c_cflag;
	uint32_t c_lflag;
	uint8_t c_line;
	uint8_t c_cc[LINUX_NCCS];
};
_Static_assert(sizeof(struct linux_termios) == 36, "termios layout");

struct linux_winsize {
	uint16_t ws_row;
	uint16_t ws_col;
	uint16_t ws_xpixel;
	uint16_t ws_ypixel;
};

#define LINUX_TCGETS     0x5401
#define LINUX_TIOCGWINSZ 0x5413

#define LINUX_O_ACCMODE   00000003
#define LINUX_O_RDONLY    00000000
#define LINUX_O_WRONLY    00000001
#define LINUX_O_RDWR      00000002
#define LINUX_O_APPEND    00002000
#define LINUX_O_NONBLOCK  00004000
#define LINUX_O_DSYNC     00010000
#define LINUX_O_ASYNC     00020000
#define LINUX_O_DIRECT    00040000
#define LINUX_O_LARGEFILE 00100000
#define LINUX_O_NOATIME   01000000
#define LINUX_O_CLOEXEC   02000000

#define LINUX_F_DUPFD         0
#define LINUX_F_GETFD         1
#define LINUX_F_SETFD         2
#define LINUX_F_GETFL         3
#define LINUX_F_SETFL         4
#define LINUX_F_DUPFD_CLOEXEC 1030
#define LINUX_FD_CLOEXEC      1

#define LINUX_AT_FDCWD            (-100)
#define LINUX_AT_EMPTY_PATH       0x1000
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100

#define LINUX_GRND_NONBLOCK 0x1
#define LINUX_GRND_RANDOM   0x2
#define LINUX_GRND_INSECURE 0x4

#define LINUX_IOV_MAX 1024

struct linux_iovec {
	uint64_t base;
	uint64_t len;
};

#endif /* COMMON_ABI_LINUX_MISC_H */
