/*
 * auxv_args one two 'three four': the initial stack as Linux's ELF loader lays it out:
 * argc, argv, envp and the auxiliary vector, each entry checked against what it describes.
 */
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include "test.h"

extern const Elf64_Ehdr __ehdr_start; /* this program's ELF header (GNU ld) */
extern char _start[];                 /* its entry point (crt1.o) */

/* Bits of CPUID leaf 1 EDX that every x86-64 CPU has: FPU, TSC, CX8, CMOV, MMX, FXSR, SSE, SSE2. */
#define HWCAP_X86_64_BASELINE                                                             \
	((1UL << 0) | (1UL << 4) | (1UL << 8) | (1UL << 15) | (1UL << 23) | (1UL << 24) | \
	 (1UL << 25) | (1UL << 26))

static void check_args(int argc, char **argv, char **envp)
{
	CHECK_EQ(argc, 4);
	CHECK(argv[0] != NULL && argv[0][0] != '\0');
	CHECK_STREQ(argv[1], "one");
	CHECK_STREQ(argv[2], "two");
	CHECK_STREQ(argv[3], "three four");
	CHECK(argv[4] == NULL);
	/* envp follows argv's NULL on the stack. */
	CHECK_EQ(envp, argv + argc + 1);
	/* Linux copies the strings contiguously: argv's, then envp's. */
	for (int i = 0; i + 1 < argc; i++)
		CHECK_EQ(argv[i + 1], argv[i] + strlen(argv[i]) + 1);
	CHECK_EQ(envp[0], argv[argc - 1] + strlen(argv[argc - 1]) + 1);

	/* The environment has our variable exactly once, and getenv agrees. */
	int found = 0;
	for (char **e = envp; *e; e++) {
		if (strncmp(*e, "RUNSC_TEST_ENV=", 15) == 0) {
			CHECK_STREQ(*e, "RUNSC_TEST_ENV=hello");
			found++;
		}
		if (e[1] != NULL)
			CHECK_EQ(e[1], *e + strlen(*e) + 1);
	}
	CHECK_EQ(found, 1);
	CHECK_STREQ(getenv("RUNSC_TEST_ENV"), "hello");
	CHECK(getenv("PATH") != NULL);
}

static int find_main_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(const ElfW(Phdr) **)data = info->dlpi_phdr;
	return 1; /* the first object is the main program */
}

static void check_auxv(char **argv, char **envp)
{
	/* The initial stack pointer pointed at argc, just below argv: 16-byte aligned. */
	CHECK_EQ(((uintptr_t)argv - 8) % 16, 0);

	char **e = envp;
	while (*e)
		e++;
	const Elf64_auxv_t *auxv = (const Elf64_auxv_t *)(e + 1);
	int seen[64] = { 0 };
	int n = 0;
	unsigned long hwcap = 0;
	for (const Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++, n++) {
		CHECK(n < 64);
		/* Every entry matches glibc's copy, and none repeats. */
		if (a->a_type < 64) {
			CHECK_EQ(seen[a->a_type], 0);
			seen[a->a_type] = 1;
		}
		/* glibc's getauxval answers AT_HWCAP* with its own idea of the CPU. */
		if (a->a_type != AT_HWCAP && a->a_type != AT_HWCAP2)
			CHECK_EQ(getauxval(a->a_type), a->a_un.a_val);
		if (a->a_type == AT_HWCAP)
			hwcap = a->a_un.a_val;
	}
	int required[] = { AT_PHDR,         AT_PHENT,       AT_PHNUM,    AT_PAGESZ, AT_ENTRY,
		           AT_UID,          AT_EUID,        AT_GID,      AT_EGID,   AT_CLKTCK,
		           AT_RANDOM,       AT_EXECFN,      AT_PLATFORM, AT_HWCAP,  AT_SECURE,
		           AT_SYSINFO_EHDR, AT_MINSIGSTKSZ, AT_FLAGS };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!seen[required[i]])
			test_fail(__FILE__, __LINE__, "no auxv entry %d", required[i]);

	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	CHECK_EQ(getauxval(AT_CLKTCK), 100);
	CHECK_EQ(getauxval(AT_SECURE), 0);
	CHECK_EQ(getauxval(AT_FLAGS), 0);
	/* A static program has no interpreter: AT_BASE is 0 or absent. */
	CHECK_EQ(getauxval(AT_BASE), 0);

	/* AT_PHDR, AT_PHENT, AT_PHNUM describe this program's headers, where it is loaded. */
	CHECK_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	CHECK(memcmp(__ehdr_start.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(getauxval(AT_PHDR), (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
	CHECK_EQ(getauxval(AT_PHNUM), __ehdr_start.e_phnum);
	const ElfW(Phdr) *phdr = NULL;
	dl_iterate_phdr(find_main_phdr, &phdr);
	CHECK_EQ(phdr, getauxval(AT_PHDR));
	/* AT_ENTRY is _start, and the ELF header's entry plus the load bias. */
	CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)_start);
	uintptr_t bias = __ehdr_start.e_type == ET_DYN ? (uintptr_t)&__ehdr_start : 0;
	CHECK_EQ(getauxval(AT_ENTRY), bias + __ehdr_start.e_entry);

	/* AT_RANDOM: 16 readable bytes, not all zero. */
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(rnd != NULL);
	int nonzero = 0;
	for (int i = 0; i < 16; i++)
		nonzero |= rnd[i];
	CHECK(nonzero);

	/* AT_EXECFN is the path that was executed: here, argv[0]. */
	CHECK_STREQ((const char *)getauxval(AT_EXECFN), argv[0]);
	CHECK_STREQ((const char *)getauxval(AT_PLATFORM), "x86_64");
	/* AT_HWCAP is CPUID.1:EDX, which has the x86-64 baseline features. */
	CHECK_EQ(hwcap & HWCAP_X86_64_BASELINE, HWCAP_X86_64_BASELINE);
	CHECK(getauxval(AT_MINSIGSTKSZ) >= 1024);

	CHECK_EQ(getauxval(AT_UID), getuid());
	CHECK_EQ(getauxval(AT_EUID), geteuid());
	CHECK_EQ(getauxval(AT_GID), getgid());
	CHECK_EQ(getauxval(AT_EGID), getegid());

	/* AT_SYSINFO_EHDR is the vDSO: a shared object's ELF header. */
	const Elf64_Ehdr *vdso = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	CHECK(vdso != NULL);
	CHECK_EQ((uintptr_t)vdso % PAGE_SIZE, 0);
	CHECK(memcmp(vdso->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(vdso->e_ident[EI_CLASS], ELFCLASS64);
	CHECK_EQ(vdso->e_type, ET_DYN);
	CHECK_EQ(vdso->e_machine, EM_X86_64);
}

int main(int argc, char **argv, char **envp)
{
	check_args(argc, argv, envp);
	check_auxv(argv, envp);
	return 0;
}
