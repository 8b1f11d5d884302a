/*
 * x86-64 specifics of the guest ABI: the register file as ptrace and
 * signal frames lay it out, arch_prctl codes, auxv tags.
 */
#ifndef COMMON_ABI_LINUX_ARCH_X86_H
#define COMMON_ABI_LINUX_ARCH_X86_H

#include <stdint.h>

/* struct user_regs_struct of <sys/user.h>, in the kernel's order. */
struct linux_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base;
	uint64_t ds, es, fs, gs;
};
_Static_assert(sizeof(struct linux_regs) == 27 * 8, "user_regs_struct layout");

/* Highest address a 64-bit Linux task can map, plus one (4-level paging). */
#define LINUX_TASK_SIZE 0x7ffffffff000ULL

#define LINUX_ARCH_SET_GS    0x1001
#define LINUX_ARCH_SET_FS    0x1002
#define LINUX_ARCH_GET_FS    0x1003
#define LINUX_ARCH_GET_GS    0x1004
#define LINUX_ARCH_GET_CPUID 0x1011
#define LINUX_ARCH_SET_CPUID 0x1012

/* Auxiliary vector tags (include/uapi/linux/auxvec.h). */
#define LINUX_AT_NULL          0
#define LINUX_AT_IGNORE        1
#define LINUX_AT_EXECFD        2
#define LINUX_AT_PHDR          3
#define LINUX_AT_PHENT         4
#define LINUX_AT_PHNUM         5
#define LINUX_AT_PAGESZ        6
#define LINUX_AT_BASE          7
#define LINUX_AT_FLAGS         8
#define LINUX_AT_ENTRY         9
#define LINUX_AT_NOTELF        10
#define LINUX_AT_UID           11
#define LINUX_AT_EUID          12
#define LINUX_AT_GID           13
#define LINUX_AT_EGID          14
#define LINUX_AT_PLATFORM      15
#define LINUX_AT_HWCAP         16
#define LINUX_AT_CLKTCK        17
#define LINUX_AT_SECURE        23
#define LINUX_AT_BASE_PLATFORM 24
#define LINUX_AT_RANDOM        25
#define LINUX_AT_HWCAP2        26
#define LINUX_AT_EXECFN        31
#define LINUX_AT_SYSINFO_EHDR  33
#define LINUX_AT_MINSIGSTKSZ   51

#endif /* COMMON_ABI_LINUX_ARCH_X86_H */
