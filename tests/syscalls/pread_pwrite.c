/* pread_pwrite: positional I/O on fd 0 (this program) and fd 1 (a regular file or not). */
#include <elf.h>
#include <stddef.h>
#include <sys/stat.h>

#include "test.h"

int main(void)
{
	struct stat st;
	CHECK_EQ(syscall(SYS_fstat, 0, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	long size = st.st_size;
	CHECK(size > (long)sizeof(Elf64_Ehdr));

	/* The ELF header, read at offset 0, then single fields at their offsets. */
	Elf64_Ehdr eh;
	CHECK_EQ(syscall(SYS_pread64, 0, &eh, sizeof(eh), 0L), sizeof(eh));
	CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
	CHECK_EQ(eh.e_ident[EI_DATA], ELFDATA2LSB);
	CHECK_EQ(eh.e_machine, EM_X86_64);
	CHECK_EQ(eh.e_phentsize, sizeof(Elf64_Phdr));
	unsigned char byte;
	CHECK_EQ(syscall(SYS_pread64, 0, &byte, 1L, (long)EI_CLASS), 1);
	CHECK_EQ(byte, ELFCLASS64);
	uint16_t machine;
	CHECK_EQ(syscall(SYS_pread64, 0, &machine, 2L, (long)offsetof(Elf64_Ehdr, e_machine)), 2);
	CHECK_EQ(machine, EM_X86_64);
	/* The program headers, where the ELF header says they are. */
	Elf64_Phdr ph;
	CHECK_EQ(syscall(SYS_pread64, 0, &ph, sizeof(ph), (long)eh.e_phoff), sizeof(ph));
	CHECK(ph.p_type != PT_NULL);

	/* pread64 does not move the file offset. */
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 0);
	char four[4];
	CHECK_EQ(syscall(SYS_read, 0, four, 4L), 4);
	CHECK(memcmp(four, ELFMAG, 4) == 0);
	CHECK_EQ(syscall(SYS_pread64, 0, four, 4L, 100L), 4);
	CHECK_EQ(syscall(SYS_lseek, 0, 0L, SEEK_CUR), 4);

	/* At the end of the file: short, then 0; far beyond it, 0. */
	char tail[16];
	CHECK_EQ(syscall(SYS_pread64, 0, tail, 16L, size - 3), 3);
	CHECK_EQ(syscall(SYS_pread64, 0, tail, 16L, size), 0);
	CHECK_EQ(syscall(SYS_pread64, 0, tail, 16L, size + 12345), 0);
	CHECK_EQ(syscall(SYS_pread64, 0, tail, 16L, 1L << 62), 0);
	CHECK_EQ(syscall(SYS_pread64, 0, tail, 0L, 0L), 0);

	/* EINVAL: a negative offset, even for 0 bytes, and checked before the fd. */
	CHECK_ERR(syscall(SYS_pread64, 0, tail, 4L, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_pread64, 0, tail, 0L, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_pread64, 0, tail, 4L, LONG_MIN), EINVAL);
	CHECK_ERR(syscall(SYS_pread64, 999, tail, 4L, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_pwrite64, 1, tail, 4L, -1L), EINVAL);
	/* EINVAL: offset + count overflows. */
	CHECK_ERR(syscall(SYS_pread64, 0, tail, 4L, LONG_MAX - 1), EINVAL);
	/* EBADF: fd 0 is not open for writing. */
	CHECK_ERR(syscall(SYS_pwrite64, 0, tail, 1L, 0L), EBADF);

	/* pwrite64 to fd 1 when it is a regular file: at the offset, without moving the offset. */
	CHECK_EQ(syscall(SYS_fstat, 1, &st), 0);
	if (S_ISREG(st.st_mode)) {
		long pos = CHECK_SYS(syscall(SYS_lseek, 1, 0L, SEEK_CUR));
		CHECK_EQ(syscall(SYS_pwrite64, 1, "ok\n", 3L, pos), 3);
		CHECK_EQ(syscall(SYS_lseek, 1, 0L, SEEK_CUR), pos);
		CHECK_EQ(syscall(SYS_pwrite64, 1, "", 0L, pos), 0);
	} else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		CHECK_ERR(syscall(SYS_pwrite64, 1, "ok\n", 3L, 0L), ESPIPE);
	}
	return 0;
}
