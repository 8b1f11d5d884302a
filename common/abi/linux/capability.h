/*
 * Capabilities (include/uapi/linux/capability.h), secure bits
 * (include/uapi/linux/securebits.h) and the prctl options about them.
 */
#ifndef COMMON_ABI_LINUX_CAPABILITY_H
#define COMMON_ABI_LINUX_CAPABILITY_H

#include <stdint.h>

#define LINUX_CAP_CHOWN              0
#define LINUX_CAP_DAC_OVERRIDE       1
#define LINUX_CAP_DAC_READ_SEARCH    2
#define LINUX_CAP_FOWNER             3
#define LINUX_CAP_FSETID             4
#define LINUX_CAP_KILL               5
#define LINUX_CAP_SETGID             6
#define LINUX_CAP_SETUID             7
#define LINUX_CAP_SETPCAP            8
#define LINUX_CAP_LINUX_IMMUTABLE    9
#define LINUX_CAP_NET_BIND_SERVICE   10
#define LINUX_CAP_NET_BROADCAST      11
#define LINUX_CAP_NET_ADMIN          12
#define LINUX_CAP_NET_RAW            13
#define LINUX_CAP_IPC_LOCK           14
#define LINUX_CAP_IPC_OWNER          15
#define LINUX_CAP_SYS_MODULE         16
#define LINUX_CAP_SYS_RAWIO          17
#define LINUX_CAP_SYS_CHROOT         18
#define LINUX_CAP_SYS_PTRACE         19
#define LINUX_CAP_SYS_PACCT          20
#define LINUX_CAP_SYS_ADMIN          21
#define LINUX_CAP_SYS_BOOT           22
#define LINUX_CAP_SYS_NICE           23
#define LINUX_CAP_SYS_RESOURCE       24
#define LINUX_CAP_SYS_TIME           25
#define LINUX_CAP_SYS_TTY_CONFIG     26
#define LINUX_CAP_MKNOD              27
#define LINUX_CAP_LEASE              28
#define LINUX_CAP_AUDIT_WRITE        29
#define LINUX_CAP_AUDIT_CONTROL      30
#define LINUX_CAP_SETFCAP            31
#define LINUX_CAP_MAC_OVERRIDE       32
#define LINUX_CAP_MAC_ADMIN          33
#define LINUX_CAP_SYSLOG             34
#define LINUX_CAP_WAKE_ALARM         35
#define LINUX_CAP_BLOCK_SUSPEND      36
#define LINUX_CAP_AUDIT_READ         37
#define LINUX_CAP_PERFMON            38
#define LINUX_CAP_BPF                39
#define LINUX_CAP_CHECKPOINT_RESTORE 40
#define LINUX_CAP_LAST_CAP           LINUX_CAP_CHECKPOINT_RESTORE

#define LINUX_CAP_BIT(cap) (1ULL << (cap))
/* Every capability up to CAP_LAST_CAP (Linux's CAP_VALID_MASK). */
#define LINUX_CAP_FULL_SET ((1ULL << (LINUX_CAP_LAST_CAP + 1)) - 1)
/* What an fsuid change from or to 0 takes from or gives to the effective set (CAP_FS_SET). */
#define LINUX_CAP_FS_SET                                                                    \
	(LINUX_CAP_BIT(LINUX_CAP_CHOWN) | LINUX_CAP_BIT(LINUX_CAP_MKNOD) |                  \
	 LINUX_CAP_BIT(LINUX_CAP_DAC_OVERRIDE) | LINUX_CAP_BIT(LINUX_CAP_DAC_READ_SEARCH) | \
	 LINUX_CAP_BIT(LINUX_CAP_FOWNER) | LINUX_CAP_BIT(LINUX_CAP_FSETID) |                \
	 LINUX_CAP_BIT(LINUX_CAP_MAC_OVERRIDE) | LINUX_CAP_BIT(LINUX_CAP_LINUX_IMMUTABLE))

/* capget(2) and capset(2). */
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define LINUX_CAPABILITY_U32S_1    1
#define LINUX_CAPABILITY_U32S_3    2

struct linux_cap_header {
	uint32_t version;
	int32_t pid;
};

struct linux_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};

/* Secure bits: each with a lock bit above it. */
#define LINUX_SECURE_NOROOT               0
#define LINUX_SECURE_NO_SETUID_FIXUP      2
#define LINUX_SECURE_KEEP_CAPS            4
#define LINUX_SECURE_NO_CAP_AMBIENT_RAISE 6
#define LINUX_SECBIT(bit)                 (1U << (bit))
#define LINUX_SECBIT_LOCKED(bit)          (1U << ((bit) + 1))
#define LINUX_SECURE_ALL_BITS                                                             \
	(LINUX_SECBIT(LINUX_SECURE_NOROOT) | LINUX_SECBIT(LINUX_SECURE_NO_SETUID_FIXUP) | \
	 LINUX_SECBIT(LINUX_SECURE_KEEP_CAPS) | LINUX_SECBIT(LINUX_SECURE_NO_CAP_AMBIENT_RAISE))
#define LINUX_SECURE_ALL_LOCKS (LINUX_SECURE_ALL_BITS << 1)

/* prctl(PR_CAP_AMBIENT, ...) operations. */
#define LINUX_PR_CAP_AMBIENT_IS_SET    1
#define LINUX_PR_CAP_AMBIENT_RAISE     2
#define LINUX_PR_CAP_AMBIENT_LOWER     3
#define LINUX_PR_CAP_AMBIENT_CLEAR_ALL 4

#endif /* COMMON_ABI_LINUX_CAPABILITY_H */
