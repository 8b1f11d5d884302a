/* Unit tests for sentry/loader/elf.c: ELF validation and parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/mman.h"
#include "common/log.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/loader/elf.h"

#define MAX_ADDR LINUX_TASK_SIZE
#define INTERP   "/lib64/ld-linux-x86-64.so.2"

#define R   LINUX_PROT_READ
#define W   LINUX_PROT_WRITE
#define X   LINUX_PROT_EXEC
#define RW  (R | W)
#define RX  (R | X)
#define RWX (R | W | X)

/* A struct loader_file over a byte buffer. */
struct mem_file {
	struct loader_file base;
	const unsigned char *data;
	size_t size;
	int64_t size_override; /* when not 0, what size() reports */
	int pread_err;         /* when not 0, what pread() returns */
	uint64_t read_end;     /* the end of the furthest byte range read */
};

static ssize_t mem_pread(struct loader_file *f, void *buf, size_t len, uint64_t off)
{
	struct mem_file *m = container_of(f, struct mem_file, base);
	if (m->pread_err)
		return m->pread_err;
	if (off >= m->size)
		return 0;
	size_t n = MIN(len, m->size - off);
	memcpy(buf, m->data + off, n);
	m->read_end = MAX(m->read_end, off + n);
	return (ssize_t)n;
}

static int64_t mem_size(struct loader_file *f)
{
	struct mem_file *m = container_of(f, struct mem_file, base);
	return m->size_override ? m->size_override : (int64_t)m->size;
}

static void mem_close(struct loader_file *f)
{
	(void)f;
}

static const struct loader_file_ops g_mem_ops = {
	.pread = mem_pread,
	.size = mem_size,
	.close = mem_close,
};

static struct mem_file mem_file(const void *data, size_t size)
{
	return (struct mem_file){ .base = { .ops = &g_mem_ops }, .data = data, .size = size };
}

/* Crafted images: an ELF header, program headers right after it, data. */
#define IMG_MAX 0x3000

struct img {
	unsigned char b[IMG_MAX] __attribute__((aligned(16)));
	size_t size;
};

static Elf64_Ehdr *ehdr(struct img *im)
{
	return (Elf64_Ehdr *)(void *)im->b;
}

static Elf64_Phdr *phdr(struct img *im, int i)
{
	return (Elf64_Phdr *)(void *)(im->b + sizeof(Elf64_Ehdr) + (size_t)i * sizeof(Elf64_Phdr));
}

static void img_header(struct img *im, uint16_t type, uint64_t entry, uint16_t phnum)
{
	memset(im, 0, sizeof(*im));
	Elf64_Ehdr *eh = ehdr(im);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = phnum;
}

static void img_phdr(struct img *im, int i, uint32_t type, uint32_t flags, uint64_t off,
                     uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
	*phdr(im, i) = (Elf64_Phdr){ .p_type = type,
		                     .p_flags = flags,
		                     .p_offset = off,
		                     .p_vaddr = vaddr,
		                     .p_paddr = vaddr,
		                     .p_filesz = filesz,
		                     .p_memsz = memsz,
		                     .p_align = type == PT_LOAD ? 0x1000 : 8 };
}

/*
 * A static ET_EXEC: text [0x400000, +0x1100) R-X from offset 0 (it holds
 * the headers), data [0x402100, +0x3000) RW- with 0x100 bytes from offset
 * 0x1100, PT_GNU_STACK RW-.
 */
static void make_exec(struct img *im)
{
	img_header(im, ET_EXEC, 0x400800, 4);
	img_phdr(im, 0, PT_PHDR, PF_R, 64, 0x400040, 4 * sizeof(Elf64_Phdr),
	         4 * sizeof(Elf64_Phdr));
	img_phdr(im, 1, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1100, 0x1100);
	img_phdr(im, 2, PT_LOAD, PF_R | PF_W, 0x1100, 0x402100, 0x100, 0x3000);
	img_phdr(im, 3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	for (size_t i = 0x400; i < 0x1200; i++)
		im->b[i] = (unsigned char)i;
	im->size = 0x1200;
}

/*
 * A PIE with an interpreter: text [0, +0x1000) R-X, data [0x2000, +0x800)
 * RW- from offset 0x1000, PT_INTERP at offset 0x200, PT_GNU_STACK RWX.
 */
static void make_dyn(struct img *im)
{
	img_header(im, ET_DYN, 0x500, 5);
	img_phdr(im, 0, PT_PHDR, PF_R, 64, 64, 5 * sizeof(Elf64_Phdr), 5 * sizeof(Elf64_Phdr));
	img_phdr(im, 1, PT_INTERP, PF_R, 0x200, 0x200, sizeof(INTERP), sizeof(INTERP));
	img_phdr(im, 2, PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	img_phdr(im, 3, PT_LOAD, PF_R | PF_W, 0x1000, 0x2000, 0x400, 0x800);
	img_phdr(im, 4, PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0, 0);
	memcpy(im->b + 0x200, INTERP, sizeof(INTERP));
	im->size = 0x1400;
}

static int parse(struct img *im, struct loader_elf *out)
{
	struct mem_file f = mem_file(im->b, im->size);
	return loader_elf_read(&f.base, "exec /test", MAX_ADDR, false, out);
}

/* Parses im, expecting err, and checks that out was left empty. */
static void expect_err(struct img *im, int err)
{
	struct loader_elf elf;
	assert_int_equal(parse(im, &elf), err);
	assert_null(elf.segs);
	assert_null(elf.interp);
}

static void test_valid_exec(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_exec(&im);
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.type, ET_EXEC);
	assert_int_equal(elf.entry, 0x400800);
	assert_int_equal(elf.phnum, 4);
	assert_int_equal(elf.phdr_vaddr, 0x400040);
	assert_int_equal(elf.nsegs, 2);
	assert_int_equal(elf.segs[0].vaddr, 0x400000);
	assert_int_equal(elf.segs[0].offset, 0);
	assert_int_equal(elf.segs[0].filesz, 0x1100);
	assert_int_equal(elf.segs[0].memsz, 0x1100);
	assert_int_equal(elf.segs[0].prot, RX);
	assert_int_equal(elf.segs[1].vaddr, 0x402100);
	assert_int_equal(elf.segs[1].offset, 0x1100);
	assert_int_equal(elf.segs[1].filesz, 0x100);
	assert_int_equal(elf.segs[1].memsz, 0x3000);
	assert_int_equal(elf.segs[1].prot, RW);
	assert_int_equal(elf.lo, 0x400000);
	assert_int_equal(elf.hi, 0x405100);
	assert_int_equal(elf.align, 0x1000);
	assert_null(elf.interp);
	assert_false(elf.exec_stack);
	assert_int_equal(elf.size, 0x1200);
	loader_elf_release(&elf);
	assert_null(elf.segs);
}

static void test_valid_dyn(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_dyn(&im);
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.type, ET_DYN);
	assert_int_equal(elf.entry, 0x500);
	assert_int_equal(elf.phnum, 5);
	assert_int_equal(elf.phdr_vaddr, 64);
	assert_int_equal(elf.nsegs, 2);
	assert_int_equal(elf.lo, 0);
	assert_int_equal(elf.hi, 0x2800);
	assert_non_null(elf.interp);
	assert_string_equal(elf.interp, INTERP);
	assert_true(elf.exec_stack);
	loader_elf_release(&elf);
}

/* An interpreter's own PT_INTERP is ignored, as load_elf_interp() does. */
static void test_interp_ignores_pt_interp(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_dyn(&im);
	im.b[0x200 + sizeof(INTERP) - 1] = 'x'; /* unterminated: invalid for a program */
	struct mem_file f = mem_file(im.b, im.size);
	assert_int_equal(loader_elf_read(&f.base, "interp", MAX_ADDR, true, &elf), 0);
	assert_null(elf.interp);
	loader_elf_release(&elf);
}

static void test_no_gnu_stack(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_dyn(&im);
	phdr(&im, 4)->p_type = PT_NULL;
	assert_int_equal(parse(&im, &elf), 0);
	assert_false(elf.exec_stack); /* x86-64: no READ_IMPLIES_EXEC since Linux 5.8 */
	loader_elf_release(&elf);
}

/* AT_PHDR follows the PT_LOAD that maps e_phoff, even with no PT_PHDR. */
static void test_phdr_from_load(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_exec(&im);
	phdr(&im, 0)->p_type = PT_NULL;
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.phdr_vaddr, 0x400040);
	loader_elf_release(&elf);

	/* The headers in the second segment's file range. */
	make_exec(&im);
	phdr(&im, 0)->p_type = PT_NULL;
	memmove(im.b + 0x1100, phdr(&im, 0), 4 * sizeof(Elf64_Phdr));
	ehdr(&im)->e_phoff = 0x1100;
	phdr(&im, 0)->p_type = PT_NULL; /* the headers at 64 are now stale: harmless */
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.phdr_vaddr, 0x402100);
	loader_elf_release(&elf);

	/* Two PT_LOADs map e_phoff: the last one wins, as in Linux's loop. */
	make_exec(&im);
	img_phdr(&im, 3, PT_LOAD, PF_R, 0, 0x600000, 0x100, 0x100);
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.phdr_vaddr, 0x600040);
	loader_elf_release(&elf);

	/* Headers that no PT_LOAD maps: 0 (plus the bias), as Linux. */
	make_exec(&im);
	phdr(&im, 1)->p_offset = 0x1000;
	phdr(&im, 1)->p_vaddr = 0x401000;
	phdr(&im, 1)->p_filesz = phdr(&im, 1)->p_memsz = 0x100;
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.phdr_vaddr, 0);
	loader_elf_release(&elf);
}

static void test_bad_magic(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	im.b[1] = 'X';
	expect_err(&im, -ENOEXEC);

	/* A shell script. */
	memset(&im, 0, sizeof(im));
	memcpy(im.b, "#!/bin/sh\necho hi\n", 18);
	im.size = 18;
	expect_err(&im, -ENOEXEC);
}

static void test_class32(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	im.b[EI_CLASS] = ELFCLASS32;
	expect_err(&im, -ENOEXEC);
}

static void test_big_endian(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	im.b[EI_DATA] = ELFDATA2MSB;
	expect_err(&im, -ENOEXEC);
}

static void test_wrong_machine(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	ehdr(&im)->e_machine = EM_AARCH64;
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_machine = EM_386;
	expect_err(&im, -ENOEXEC);
}

static void test_wrong_type(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	ehdr(&im)->e_type = ET_REL;
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_type = ET_CORE;
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_type = ET_NONE;
	expect_err(&im, -ENOEXEC);
}

static void test_phentsize(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	ehdr(&im)->e_phentsize = sizeof(Elf32_Phdr);
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_phentsize = sizeof(Elf64_Phdr) + 8;
	expect_err(&im, -ENOEXEC);
}

static void test_phnum_zero(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	ehdr(&im)->e_phnum = 0;
	expect_err(&im, -ENOEXEC);
}

static void test_phnum_huge(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	ehdr(&im)->e_phnum = 65536 / sizeof(Elf64_Phdr) + 1;
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_phnum = PN_XNUM; /* extended numbering: Linux does not support it */
	expect_err(&im, -ENOEXEC);
}

/* 65536 / 56 = 1170 program headers is the most Linux accepts. */
static void test_phnum_max(void **state)
{
	(void)state;
	const unsigned n = 65536 / sizeof(Elf64_Phdr);
	size_t size = 0x13000;
	unsigned char *b = calloc(1, size);
	assert_non_null(b);
	struct img *head = calloc(1, sizeof(*head));
	assert_non_null(head);
	make_exec(head);
	memcpy(b, head->b, 0x1200);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)b;
	eh->e_phoff = 0x2000;
	eh->e_phnum = (uint16_t)n;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(b + 0x2000);
	for (unsigned i = 0; i < n; i++)
		ph[i].p_type = PT_NULL;
	ph[0] = *phdr(head, 1);
	ph[0].p_filesz = ph[0].p_memsz = 0x1200;
	ph[n - 1] = *phdr(head, 2);
	ph[n - 1].p_offset = 0x12000 + 0x100;
	ph[n - 1].p_filesz = 0x100;

	struct mem_file f = mem_file(b, size);
	struct loader_elf elf;
	assert_int_equal(loader_elf_read(&f.base, "exec /max", MAX_ADDR, false, &elf), 0);
	assert_int_equal(elf.phnum, n);
	assert_int_equal(elf.nsegs, 2);
	loader_elf_release(&elf);

	eh->e_phnum = (uint16_t)(n + 1);
	assert_int_equal(loader_elf_read(&f.base, "exec /max", MAX_ADDR, false, &elf), -ENOEXEC);
	free(head);
	free(b);
}

static void test_phdrs_past_eof(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	/* Linux's load_elf_phdrs() turns elf_read()'s -EIO into execve's ENOEXEC. */
	ehdr(&im)->e_phoff = im.size - sizeof(Elf64_Phdr);
	expect_err(&im, -ENOEXEC);
	ehdr(&im)->e_phoff = UINT64_MAX - 8; /* and an offset that wraps */
	expect_err(&im, -ENOEXEC);

	/* A file cut inside its program headers. */
	make_exec(&im);
	im.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10;
	expect_err(&im, -ENOEXEC);
}

static void test_filesz_gt_memsz(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	phdr(&im, 2)->p_memsz = phdr(&im, 2)->p_filesz - 1;
	expect_err(&im, -ENOEXEC);
}

static void test_misaligned(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	phdr(&im, 2)->p_vaddr += 8;
	expect_err(&im, -ENOEXEC);

	make_exec(&im);
	phdr(&im, 2)->p_offset -= 0x10;
	expect_err(&im, -ENOEXEC);
}

static void test_vaddr_overflow(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	phdr(&im, 2)->p_vaddr = 0xfffffffffffff100ULL; /* vaddr + memsz wraps */
	expect_err(&im, -ENOEXEC);

	make_exec(&im);
	phdr(&im, 2)->p_vaddr = MAX_ADDR - 0x1000 + 0x100; /* ends above the address space */
	expect_err(&im, -ENOEXEC);

	make_exec(&im);
	phdr(&im, 2)->p_memsz = UINT64_MAX;
	expect_err(&im, -ENOEXEC);

	/* Ending exactly at the top is fine. */
	make_exec(&im);
	phdr(&im, 2)->p_vaddr = MAX_ADDR - 0x3000 + 0x100;
	phdr(&im, 2)->p_memsz = 0x3000 - 0x100;
	struct loader_elf elf;
	assert_int_equal(parse(&im, &elf), 0);
	assert_int_equal(elf.hi, MAX_ADDR);
	loader_elf_release(&elf);
}

static void test_segment_past_eof(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	phdr(&im, 2)->p_filesz = 0x200; /* file is 0x1200 bytes */
	expect_err(&im, -EIO);

	make_exec(&im);
	phdr(&im, 2)->p_offset = UINT64_MAX - 0xeff; /* congruent, but wraps */
	phdr(&im, 2)->p_vaddr = 0x402100;
	expect_err(&im, -EIO);

	/* A pure-bss segment reads nothing: its offset may be anything. */
	make_exec(&im);
	phdr(&im, 2)->p_filesz = 0;
	phdr(&im, 2)->p_offset = 0x100100;
	struct loader_elf elf;
	assert_int_equal(parse(&im, &elf), 0);
	loader_elf_release(&elf);
}

static void test_no_load(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	phdr(&im, 1)->p_type = PT_NULL;
	phdr(&im, 2)->p_type = PT_NOTE;
	expect_err(&im, -ENOEXEC);
}

static void test_two_interp(void **state)
{
	(void)state;
	struct img im;
	make_dyn(&im);
	*phdr(&im, 0) = *phdr(&im, 1);
	expect_err(&im, -ENOEXEC);
}

static void test_interp_unterminated(void **state)
{
	(void)state;
	struct img im;
	make_dyn(&im);
	im.b[0x200 + sizeof(INTERP) - 1] = 'x';
	expect_err(&im, -ENOEXEC);
}

static void test_interp_size(void **state)
{
	(void)state;
	struct img im;
	make_dyn(&im);
	phdr(&im, 1)->p_filesz = 1;
	expect_err(&im, -ENOEXEC);
	phdr(&im, 1)->p_filesz = 4097;
	expect_err(&im, -ENOEXEC);
	/* Past the end of the file: elf_read()'s short read. */
	make_dyn(&im);
	phdr(&im, 1)->p_offset = im.size - 4;
	expect_err(&im, -EIO);
}

static void test_short_files(void **state)
{
	(void)state;
	struct img im;
	make_exec(&im);
	im.size = 10; /* magic and class, then nothing */
	expect_err(&im, -ENOEXEC);
	im.size = 3;
	expect_err(&im, -ENOEXEC);
	im.size = 0;
	expect_err(&im, -ENOEXEC);
	im.size = sizeof(Elf64_Ehdr) - 1;
	expect_err(&im, -ENOEXEC);

	/* An interpreter's header is read with elf_read(): short is -EIO. */
	struct loader_elf elf;
	struct mem_file f = mem_file(im.b, 10);
	assert_int_equal(loader_elf_read(&f.base, "interp", MAX_ADDR, true, &elf), -EIO);
}

static void test_file_errors(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_exec(&im);

	struct mem_file f = mem_file(im.b, im.size);
	f.size_override = (int64_t)LOADER_MAX_FILE_SIZE + 1;
	assert_int_equal(loader_elf_read(&f.base, "exec /huge", MAX_ADDR, false, &elf), -ENOEXEC);

	f = mem_file(im.b, im.size);
	f.size_override = -EACCES;
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), -EACCES);

	f = mem_file(im.b, im.size);
	f.pread_err = -EIO;
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), -EIO);

	/*
	 * A file that shrank after size(): only the headers are read, so a
	 * loss of segment data goes unseen here (copying it is -EIO, and a
	 * mapping of it SIGBUS, later); short program headers are
	 * load_elf_phdrs()'s ENOEXEC.
	 */
	f = mem_file(im.b, 0x1100);
	f.size_override = (int64_t)im.size;
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), 0);
	loader_elf_release(&elf);
	f = mem_file(im.b, sizeof(Elf64_Ehdr) + 10);
	f.size_override = (int64_t)im.size;
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), -ENOEXEC);
	/* ... and a short PT_INTERP path elf_read()'s EIO. */
	make_dyn(&im);
	f = mem_file(im.b, 0x200 + 4);
	f.size_override = (int64_t)im.size;
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), -EIO);
}

/* The parser reads the headers and the PT_INTERP path, not the segments' bytes. */
static void test_reads_headers_only(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_exec(&im);
	struct mem_file f = mem_file(im.b, im.size);
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), 0);
	assert_int_equal(f.read_end, ehdr(&im)->e_phoff + ehdr(&im)->e_phnum * sizeof(Elf64_Phdr));
	loader_elf_release(&elf);

	make_dyn(&im);
	f = mem_file(im.b, im.size);
	assert_int_equal(loader_elf_read(&f.base, "exec /x", MAX_ADDR, false, &elf), 0);
	assert_int_equal(f.read_end, 0x200 + sizeof(INTERP));
	loader_elf_release(&elf);
}

/* Section headers are no concern of the loader's, even broken ones. */
static void test_bad_section_headers(void **state)
{
	(void)state;
	struct img im;
	struct loader_elf elf;
	make_exec(&im);
	ehdr(&im)->e_shoff = 0xfffffff000ULL;
	ehdr(&im)->e_shnum = 30;
	ehdr(&im)->e_shentsize = sizeof(Elf64_Shdr);
	assert_int_equal(parse(&im, &elf), 0);
	loader_elf_release(&elf);
}

/* The rejection is logged once, naming the file and the problem. */
static void test_log_message(void **state)
{
	(void)state;
	int fd = memfd_create("log", 0);
	assert_true(fd >= 0);
	assert_int_equal(log_set_fd(dup(fd)), 0);
	log_set_level(LOG_WARNING);

	struct img im;
	make_exec(&im);
	im.b[0] = 0;
	struct mem_file f = mem_file(im.b, im.size);
	struct loader_elf elf;
	assert_int_equal(loader_elf_read(&f.base, "exec /tmp/x", MAX_ADDR, false, &elf), -ENOEXEC);

	int log = log_fd();
	log_set_level(LOG_ERROR);
	log_set_fd(2);
	close(log);
	char buf[512] = { 0 };
	assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
	close(fd);
	assert_non_null(strstr(buf, "exec /tmp/x: not an ELF file (bad magic)"));
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1); /* one line */
}

static void test_page_ranges_shared_page(void **state)
{
	(void)state;
	/* Text ends and data starts in page 0x400000 (an old binary). */
	struct loader_segment segs[] = {
		{ .vaddr = 0x400000, .filesz = 0x800, .memsz = 0x800, .prot = RX },
		{ .vaddr = 0x400800,
		  .offset = 0x800,
		  .filesz = 0x100,
		  .memsz = 0x1800,
		  .prot = RW },
	};
	struct loader_elf elf = { .segs = segs, .nsegs = 2, .lo = 0x400000, .hi = 0x402000 };
	struct loader_range *r;
	size_t n;
	assert_int_equal(loader_elf_page_ranges(&elf, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 0x400000);
	assert_int_equal(r[0].end, 0x401000);
	assert_true(r[0].mapped);
	assert_int_equal(r[0].prot, RWX);
	assert_int_equal(r[1].start, 0x401000);
	assert_int_equal(r[1].end, 0x402000);
	assert_true(r[1].mapped);
	assert_int_equal(r[1].prot, RW);
	free(r);
}

static void test_page_ranges_holes(void **state)
{
	(void)state;
	/* Out of order, with a hole, a zero-sized segment and equal neighbours. */
	struct loader_segment segs[] = {
		{ .vaddr = 0x10000, .filesz = 0x100, .memsz = 0x100, .prot = R },
		{ .vaddr = 0x0, .filesz = 0x2000, .memsz = 0x2000, .prot = RX },
		{ .vaddr = 0x2000, .filesz = 0x1000, .memsz = 0x1000, .prot = RX },
		{ .vaddr = 0x5000, .memsz = 0, .prot = RW },
		{ .vaddr = 0x8123, .filesz = 0x10, .memsz = 0x10, .prot = 0 },
	};
	struct loader_elf elf = { .segs = segs, .nsegs = 5, .lo = 0, .hi = 0x10100 };
	struct loader_range *r;
	size_t n;
	assert_int_equal(loader_elf_page_ranges(&elf, &r, &n), 0);
	assert_int_equal(n, 5);
	assert_true(r[0].start == 0 && r[0].end == 0x3000 && r[0].mapped && r[0].prot == RX);
	assert_true(r[1].start == 0x3000 && r[1].end == 0x8000 && !r[1].mapped);
	assert_true(r[2].start == 0x8000 && r[2].end == 0x9000 && r[2].mapped && r[2].prot == 0);
	assert_true(r[3].start == 0x9000 && r[3].end == 0x10000 && !r[3].mapped);
	assert_true(r[4].start == 0x10000 && r[4].end == 0x11000 && r[4].mapped && r[4].prot == R);
	free(r);
}

/* A real program: the host's /bin/true, a dynamic PIE. */
static void test_bin_true(void **state)
{
	(void)state;
	struct loader_file *f;
	if (host_loader_file_open("/bin/true", &f) < 0)
		skip();
	struct loader_elf elf;
	int err = loader_elf_read(f, "exec /bin/true", MAX_ADDR, false, &elf);
	f->ops->close(f);
	assert_int_equal(err, 0);

	assert_int_equal(elf.type, ET_DYN);
	assert_non_null(elf.interp);
	assert_string_equal(elf.interp, INTERP);
	assert_true(elf.nsegs >= 2);
	assert_false(elf.exec_stack);
	assert_true(elf.entry >= elf.lo && elf.entry < elf.hi);

	/* Cross-check with the file's own headers. */
	FILE *hf = fopen("/bin/true", "rb");
	assert_non_null(hf);
	Elf64_Ehdr ehdr;
	assert_int_equal(fread(&ehdr, sizeof(ehdr), 1, hf), 1);
	const Elf64_Ehdr *eh = &ehdr;
	assert_int_equal(elf.phnum, eh->e_phnum);
	Elf64_Phdr *ph = calloc(eh->e_phnum, sizeof(Elf64_Phdr));
	assert_non_null(ph);
	assert_int_equal(fseek(hf, (long)eh->e_phoff, SEEK_SET), 0);
	assert_int_equal(fread(ph, sizeof(Elf64_Phdr), eh->e_phnum, hf), eh->e_phnum);
	fclose(hf);
	bool exec_seg = false;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR)
			assert_int_equal(elf.phdr_vaddr, ph[i].p_vaddr);
	}
	for (size_t i = 0; i < elf.nsegs; i++) {
		assert_int_equal((elf.segs[i].vaddr - elf.segs[i].offset) % PAGE_SIZE, 0);
		if (elf.segs[i].prot & X)
			exec_seg = true;
	}
	assert_true(exec_seg);
	free(ph);

	struct loader_range *r;
	size_t n;
	assert_int_equal(loader_elf_page_ranges(&elf, &r, &n), 0);
	assert_true(n >= 2);
	assert_int_equal(r[0].start, page_round_down(elf.lo));
	assert_int_equal(r[n - 1].end, page_round_up(elf.hi, NULL));
	free(r);
	loader_elf_release(&elf);
}

int main(void)
{
	/* The rejections log warnings by design: keep the test output readable. */
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_exec),
		cmocka_unit_test(test_valid_dyn),
		cmocka_unit_test(test_interp_ignores_pt_interp),
		cmocka_unit_test(test_no_gnu_stack),
		cmocka_unit_test(test_phdr_from_load),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_class32),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_wrong_machine),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_phentsize),
		cmocka_unit_test(test_reads_headers_only),
		cmocka_unit_test(test_phnum_zero),
		cmocka_unit_test(test_phnum_huge),
		cmocka_unit_test(test_phnum_max),
		cmocka_unit_test(test_phdrs_past_eof),
		cmocka_unit_test(test_filesz_gt_memsz),
		cmocka_unit_test(test_misaligned),
		cmocka_unit_test(test_vaddr_overflow),
		cmocka_unit_test(test_segment_past_eof),
		cmocka_unit_test(test_no_load),
		cmocka_unit_test(test_two_interp),
		cmocka_unit_test(test_interp_unterminated),
		cmocka_unit_test(test_interp_size),
		cmocka_unit_test(test_short_files),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_bad_section_headers),
		cmocka_unit_test(test_log_message),
		cmocka_unit_test(test_page_ranges_shared_page),
		cmocka_unit_test(test_page_ranges_holes),
		cmocka_unit_test(test_bin_true),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
