/*
 * large_io: large reads of fd 0 (this program) agree with each other and with the program's
 * own read-only segments in memory, which the loader mapped from the same file.
 */
#include <elf.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "test.h"

#define BIG (64 * 1024)

extern const Elf64_Ehdr __ehdr_start; /* the ELF header, mapped by the loader (GNU ld) */

static unsigned char g_a[BIG], g_b[BIG], g_c[BIG];

int main(void)
{
	struct stat st;
	CHECK_EQ(syscall(SYS_fstat, 0, &st), 0);
	CHECK(st.st_size > 4 * BIG);

	/* Two pread64s of 64 KiB agree, and so does a read of the same range. */
	CHECK_EQ(syscall(SYS_pread64, 0, g_a, (long)BIG, 0L), BIG);
	CHECK_EQ(syscall(SYS_pread64, 0, g_b, (long)BIG, 0L), BIG);
	CHECK(memcmp(g_a, g_b, BIG) == 0);
	CHECK_EQ(syscall(SYS_read, 0, g_c, (long)BIG), BIG);
	CHECK(memcmp(g_a, g_c, BIG) == 0);
	/* The next read continues where the first stopped, as does a pread at that offset. */
	CHECK_EQ(syscall(SYS_read, 0, g_c, (long)BIG), BIG);
	CHECK_EQ(syscall(SYS_pread64, 0, g_b, (long)BIG, (long)BIG), BIG);
	CHECK(memcmp(g_b, g_c, BIG) == 0);

	/* readv into 16 pieces of 4 KiB, in reverse order, matches as well. */
	struct iovec iov[16];
	for (int i = 0; i < 16; i++)
		iov[i] = (struct iovec){ g_c + (15 - i) * 4096, 4096 };
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_SET), 0);
	CHECK_EQ(syscall(SYS_readv, 0, iov, 16), BIG);
	for (int i = 0; i < 16; i++)
		CHECK(memcmp(g_a + i * 4096, g_c + (15 - i) * 4096, 4096) == 0);

	/* A read across the end of the file returns the bytes up to the end. */
	long off = st.st_size - 1000;
	CHECK_EQ(syscall(SYS_pread64, 0, g_c, (long)BIG, off), 1000);

	/* The read-only PT_LOAD segments in memory are the file's bytes at their offsets. */
	const unsigned char *base = (const unsigned char *)&__ehdr_start;
	CHECK(memcmp(base, g_a, sizeof(Elf64_Ehdr)) == 0);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + __ehdr_start.e_phoff);
	uintptr_t bias = __ehdr_start.e_type == ET_DYN ? (uintptr_t)base : 0;
	int checked = 0;
	for (int i = 0; i < __ehdr_start.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_W))
			continue;
		const unsigned char *mem = (const unsigned char *)(bias + ph[i].p_vaddr);
		for (uint64_t done = 0; done < ph[i].p_filesz; done += BIG) {
			long n = (long)(ph[i].p_filesz - done < BIG ? ph[i].p_filesz - done : BIG);
			CHECK_EQ(syscall(SYS_pread64, 0, g_b, n, (long)(ph[i].p_offset + done)), n);
			if (memcmp(mem + done, g_b, (size_t)n) != 0)
				test_fail(__FILE__, __LINE__, "segment %d differs near offset %#lx",
				          i, (unsigned long)(ph[i].p_offset + done));
		}
		checked++;
	}
	CHECK(checked >= 1);
	return 0;
}
