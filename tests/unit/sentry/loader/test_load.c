/*
 * Unit tests for sentry/loader/load.c: loader_load() into an mm over the
 * skeleton platform.
 *
 * Real programs from the host (/bin/true, a dynamic PIE with its
 * interpreter; /usr/sbin/ldconfig, a static PIE on Debian) and images
 * built in memory are loaded, then checked against their own program
 * headers: every page's protection (tree and host), the bytes each
 * segment must show, zeroed bss, unmapped holes, the initial stack and
 * its auxiliary vector, and the brk area. A case whose host file is
 * missing is skipped.
 *
 * The skeleton platform cannot map files, so loader files have their
 * segments copied; the "mapped" cases run over a copy of the skeleton
 * that emulates as_mmap_fd (a private file mapping is a copy of the file's
 * pages), with loader files that offer mmap_fd, to check the mapped path:
 * file-backed vmas with their offsets and references, Linux's prot and
 * bss rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/mman.h"
#include "common/host_info.h"
#include "common/log.h"
#include "platform/skeleton/skeleton.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"

#define R   LINUX_PROT_READ
#define W   LINUX_PROT_WRITE
#define X   LINUX_PROT_EXEC
#define RW  (R | W)
#define RWX (R | W | X)

/* ELF_ET_DYN_BASE and the ranges load.c randomises over (x86-64's). */
#define ET_DYN_BASE(max) page_round_down((max) / 3 * 2)
#define MMAP_RND_RANGE   (1ULL << (28 + PAGE_SHIFT))
#define BRK_RND_RANGE    (1ULL << 30)

static char *g_argv[] = { "prog", "arg1", NULL };
static char *g_envp[] = { "HOME=/root", "PATH=/bin", NULL };

/* Loader files: a host file (what open_interp hands out) and a byte buffer. */

/* What open_interp hands out: a host file, as runsc do opens it. */
static int open_host(const char *path, struct loader_file **out)
{
	return host_loader_file_open(path, out);
}

struct mem_file {
	struct loader_file base;
	const unsigned char *data;
	size_t size;
};

static ssize_t mem_pread(struct loader_file *f, void *buf, size_t len, uint64_t off)
{
	struct mem_file *m = container_of(f, struct mem_file, base);
	if (off >= m->size)
		return 0;
	size_t n = MIN(len, m->size - off);
	memcpy(buf, m->data + off, n);
	return (ssize_t)n;
}

static int64_t mem_size(struct loader_file *f)
{
	return (int64_t)container_of(f, struct mem_file, base)->size;
}

static void mem_close(struct loader_file *f)
{
	(void)f; /* the buffer is the test's */
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

/*
 * open_interp: opens the host file, or the test's stand-in. arg is a
 * struct interp_opener.
 */
struct interp_opener {
	const char *redirect; /* open this host path instead, when not NULL */
	struct mem_file *mem; /* hand out this buffer instead, when not NULL */
	bool mapped;          /* hand out a map_file (below) */
	char opened[256];     /* the path the loader asked for */
};

static int open_map_file(const char *path, struct loader_file **out);

static int open_interp(void *arg, const char *path, struct loader_file **out)
{
	struct interp_opener *o = arg;
	snprintf(o->opened, sizeof(o->opened), "%s", path);
	if (o->mem) {
		*out = &o->mem->base;
		return 0;
	}
	if (o->mapped)
		return open_map_file(o->redirect ? o->redirect : path, out);
	return open_host(o->redirect ? o->redirect : path, out);
}

/*
 * The mapped path. A map_file is a host file that offers mmap_fd, with
 * g_vfs_file standing for its VFS file; the vma file hooks count the
 * references the mappings take.
 */
struct fake_vfs_file {
	int refs;
	int gets;
};
static struct fake_vfs_file g_vfs_file;

static void fake_get(void *file)
{
	struct fake_vfs_file *f = file;
	f->refs++;
	f->gets++;
}

static void fake_put(void *file)
{
	struct fake_vfs_file *f = file;
	assert_true(f->refs > 0);
	f->refs--;
}

static void fake_describe(void *file, char *buf, size_t size, uint32_t *dev, uint64_t *ino)
{
	snprintf(buf, size, "/fake");
	*dev = 0;
	*ino = 1;
}

static void fake_identity(void *file, uint64_t *id1, uint64_t *id2)
{
	*id1 = 0;
	*id2 = (uint64_t)(uintptr_t)file;
}

static const struct vma_file_hooks g_fake_hooks = {
	.get = fake_get,
	.put = fake_put,
	.describe = fake_describe,
	.identity = fake_identity,
};

struct map_file {
	struct loader_file base;
	int fd;
};

static ssize_t map_pread(struct loader_file *f, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(container_of(f, struct map_file, base)->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}

static int64_t map_size(struct loader_file *f)
{
	struct stat st;
	if (fstat(container_of(f, struct map_file, base)->fd, &st) != 0)
		return -errno;
	return st.st_size;
}

static int map_mmap_fd(struct loader_file *f, int *out_host_fd, void **out_vfs_file)
{
	*out_host_fd = container_of(f, struct map_file, base)->fd;
	*out_vfs_file = &g_vfs_file;
	return 0;
}

static void map_close(struct loader_file *f)
{
	struct map_file *m = container_of(f, struct map_file, base);
	close(m->fd);
	free(m);
}

static const struct loader_file_ops g_map_ops = {
	.pread = map_pread,
	.size = map_size,
	.mmap_fd = map_mmap_fd,
	.close = map_close,
};

static struct loader_file *map_file_fd(int fd)
{
	struct map_file *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->base.ops = &g_map_ops;
	m->fd = fd;
	return &m->base;
}

static int open_map_file(const char *path, struct loader_file **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = map_file_fd(fd);
	return 0;
}

/*
 * The skeleton with as_mmap_fd: a private file mapping shows the file's
 * pages as they were at mmap (zeros past its end), which is all the
 * loader can tell apart.
 */
static struct platform_ops g_map_platform;
static int g_mmap_fd_calls;

static long map_as_mmap_fd(struct platform_as *as, uaddr_t addr, uint64_t len, int prot, int flags,
                           int host_fd, uint64_t off)
{
	assert_int_equal(flags & LINUX_MAP_TYPE, LINUX_MAP_PRIVATE);
	g_mmap_fd_calls++;
	const uint64_t map[6] = {
		addr,         len, RW, LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED,
		(uint64_t)-1, 0
	};
	long r = g_platform_skeleton.as_memop(as, PLATFORM_MEMOP_MMAP, map);
	if (r < 0)
		return r;
	unsigned char *buf = calloc(1, len);
	assert_non_null(buf);
	assert_true(pread(host_fd, buf, len, (off_t)off) >= 0);
	assert_int_equal(g_platform_skeleton.as_write(as, addr, buf, len), (ssize_t)len);
	free(buf);
	const uint64_t protect[6] = { addr, len, (uint64_t)prot };
	assert_int_equal(g_platform_skeleton.as_memop(as, PLATFORM_MEMOP_MPROTECT, protect), 0);
	return (long)addr;
}

static struct mm *new_mapped_mm(bool randomize)
{
	g_map_platform = g_platform_skeleton;
	g_map_platform.as_mmap_fd = map_as_mmap_fd;
	vma_set_file_hooks(&g_fake_hooks);
	struct mm *mm;
	struct platform_ctx *ctx;
	assert_int_equal(mm_new(&g_map_platform, &mm, &ctx), 0);
	if (randomize)
		mm_randomize_layout(mm);
	return mm;
}

/* A host ELF file, read whole for the checks. */
struct host_elf {
	unsigned char *buf;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
};

/* Reads path; returns false when it is missing or not a 64-bit ELF file. */
static bool host_elf_read(const char *path, struct host_elf *out)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		fclose(f);
		return false;
	}
	out->size = (size_t)st.st_size;
	out->buf = malloc(out->size);
	bool ok = out->buf && fread(out->buf, 1, out->size, f) == out->size;
	fclose(f);
	if (ok) {
		out->eh = (const Elf64_Ehdr *)(const void *)out->buf;
		ok = memcmp(out->eh->e_ident, ELFMAG, SELFMAG) == 0 &&
		     out->eh->e_ident[EI_CLASS] == ELFCLASS64 &&
		     out->eh->e_phoff + (uint64_t)out->eh->e_phnum * sizeof(Elf64_Phdr) <=
		             out->size;
	}
	if (!ok) {
		free(out->buf);
		out->buf = NULL;
		return false;
	}
	out->ph = (const Elf64_Phdr *)(const void *)(out->buf + out->eh->e_phoff);
	return true;
}

static void host_elf_free(struct host_elf *e)
{
	free(e->buf);
	e->buf = NULL;
}

static const char *host_elf_interp(const struct host_elf *e)
{
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		if (e->ph[i].p_type == PT_INTERP)
			return (const char *)e->buf + e->ph[i].p_offset;
	}
	return NULL;
}

static uint64_t host_elf_max_align(const struct host_elf *e)
{
	uint64_t align = PAGE_SIZE;
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		if (e->ph[i].p_type == PT_LOAD && e->ph[i].p_align > align)
			align = e->ph[i].p_align;
	}
	return align;
}

/* The image's span: [lo, hi) over its PT_LOAD segments. */
static void host_elf_span(const struct host_elf *e, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		*lo = MIN(*lo, page_round_down(p->p_vaddr));
		*hi = MAX(*hi, p->p_vaddr + p->p_memsz);
	}
}

static int pf_prot(uint32_t flags)
{
	return ((flags & PF_R) ? R : 0) | ((flags & PF_W) ? W : 0) | ((flags & PF_X) ? X : 0);
}

/* Loading. */

static struct mm *new_mm(bool randomize)
{
	struct mm *mm;
	struct platform_ctx *ctx;
	assert_int_equal(mm_new(&g_platform_skeleton, &mm, &ctx), 0);
	if (randomize)
		mm_randomize_layout(mm);
	return mm;
}

static int load(struct mm *mm, struct loader_file *f, const char *filename,
                struct interp_opener *opener, bool randomize, struct loader_result *res)
{
	struct loader_args args = {
		.filename = filename,
		.argv = g_argv,
		.envp = g_envp,
		.uid = 1,
		.euid = 2,
		.gid = 3,
		.egid = 4,
		.open_interp = opener ? open_interp : NULL,
		.open_arg = opener,
		.no_randomize = !randomize,
	};
	return loader_load(mm, f, &args, res);
}

static int load_host(struct mm *mm, const char *path, struct interp_opener *opener, bool randomize,
                     struct loader_result *res)
{
	struct loader_file *f;
	assert_int_equal(open_host(path, &f), 0);
	int err = load(mm, f, path, opener, randomize, res);
	f->ops->close(f);
	return err;
}

/* Checks. */

/* The tree and the host hold the same mappings (see test_mm.c's check_agree). */
static void check_agree(struct mm *mm)
{
	struct skeleton_range r;
	uaddr_t pos = 0;
	struct vma *v = vma_first(&mm->vmas);
	while (v) {
		uaddr_t start = v->start, end = v->end;
		int prot = v->prot;
		for (v = vma_next(v); v && v->start == end && v->prot == prot; v = vma_next(v))
			end = v->end;
		assert_true(skeleton_next_range(mm->as, pos, &r));
		assert_int_equal(r.start, start);
		assert_int_equal(r.end, end);
		assert_int_equal(r.prot, prot);
		pos = end;
	}
	assert_true(skeleton_next_range(mm->as, pos, &r));
	assert_int_equal(r.start, SKELETON_VDSO_BASE);
}

/* The prot the loader must give the image page at vaddr: the union of the segments on it. */
static int expected_prot(const struct host_elf *e, uint64_t vaddr)
{
	int prot = -1;
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (vaddr >= page_round_down(p->p_vaddr) &&
		    vaddr < page_round_up(p->p_vaddr + p->p_memsz, NULL))
			prot = (prot < 0 ? 0 : prot) | pf_prot(p->p_flags);
	}
	return prot;
}

static bool all_zero(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (b[i])
			return false;
	}
	return true;
}

/*
 * Checks the image loaded at bias against its program headers: each
 * page's prot in the tree and on the host (unmapped in the holes), each
 * segment's bytes as a file mapping shows them from its first page on,
 * and its bss zeroed.
 */
static void check_image(struct mm *mm, const struct host_elf *e, uaddr_t bias)
{
	uint64_t lo, hi;
	host_elf_span(e, &lo, &hi);
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		int prot = expected_prot(e, va);
		struct vma *v = vma_find(&mm->vmas, bias + va);
		if (prot < 0) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(v->prot, prot);
		}
		assert_int_equal(skeleton_page_prot(mm->as, bias + va), prot);
	}
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		uint64_t head = p->p_vaddr - page_round_down(p->p_vaddr);
		size_t n = (size_t)(head + p->p_filesz);
		unsigned char *mem = malloc(n + 1);
		assert_non_null(mem);
		assert_true(skeleton_peek(mm->as, bias + page_round_down(p->p_vaddr), mem, n));
		assert_memory_equal(mem, e->buf + p->p_offset - head, n);
		free(mem);
		/* The bss, up to the page of a later segment that may share it. */
		uint64_t bss = p->p_vaddr + p->p_filesz, bss_end = p->p_vaddr + p->p_memsz;
		for (unsigned j = 0; j < e->eh->e_phnum; j++) {
			const Elf64_Phdr *q = &e->ph[j];
			if (q->p_type == PT_LOAD && q->p_vaddr > p->p_vaddr)
				bss_end = MIN(bss_end, MAX(bss, page_round_down(q->p_vaddr)));
		}
		if (bss_end > bss) {
			mem = malloc(bss_end - bss);
			assert_non_null(mem);
			assert_true(skeleton_peek(mm->as, bias + bss, mem, bss_end - bss));
			assert_true(all_zero(mem, bss_end - bss));
			free(mem);
		}
	}
}

/*
 * What Linux's elf_load() leaves on the image page at vaddr, segment after
 * segment: a segment's file pages (its prot, from the file at *off) or the
 * whole pages of its bss beyond them (anonymous, read-write plus the
 * segment's exec). Returns the prot, or -1 for a hole.
 */
static int linux_page(const struct host_elf *e, uint64_t vaddr, bool *file, uint64_t *off)
{
	int prot = -1;
	for (unsigned i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		uint64_t start = page_round_down(p->p_vaddr);
		uint64_t file_end =
		        p->p_filesz ? page_round_up(p->p_vaddr + p->p_filesz, NULL) : start;
		uint64_t end = page_round_up(p->p_vaddr + p->p_memsz, NULL);
		if (vaddr >= start && vaddr < file_end) {
			prot = pf_prot(p->p_flags);
			*file = true;
			*off = page_round_down(p->p_offset) + (vaddr - start);
		} else if (vaddr >= file_end && vaddr < end) {
			prot = RW | (pf_prot(p->p_flags) & X);
			*file = false;
		}
	}
	return prot;
}

/* Checks every page of the image mapped at bias from g_vfs_file, as Linux maps it. */
static void check_mapped(struct mm *mm, const struct host_elf *e, uaddr_t bias)
{
	uint64_t lo, hi;
	host_elf_span(e, &lo, &hi);
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		bool file = false;
		uint64_t off = 0;
		int prot = linux_page(e, va, &file, &off);
		struct vma *v = vma_find(&mm->vmas, bias + va);
		assert_int_equal(skeleton_page_prot(mm->as, bias + va), prot);
		if (prot < 0) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_int_equal(v->prot, prot);
		if (file) {
			assert_ptr_equal(v->file, &g_vfs_file);
			assert_int_equal(v->offset + (bias + va - v->start), off);
		} else {
			assert_null(v->file);
		}
	}
}

static uint64_t rd64(struct mm *mm, uaddr_t a)
{
	uint64_t v;
	assert_int_equal(mm_copy_in(mm, &v, a, sizeof(v)), 0);
	return v;
}

/* The value of an auxv entry on the initial stack at sp, or -1 when absent. */
static uint64_t auxv_get(struct mm *mm, uaddr_t sp, uint64_t tag)
{
	uint64_t argc = rd64(mm, sp);
	uaddr_t p = sp + 8 * (argc + 2); /* past argc, argv and its NULL */
	while (rd64(mm, p))
		p += 8;
	for (p += 8;; p += 16) {
		uint64_t t = rd64(mm, p);
		if (t == tag)
			return rd64(mm, p + 8);
		if (t == LINUX_AT_NULL)
			return (uint64_t)-1;
	}
}

static void check_string(struct mm *mm, uaddr_t addr, const char *want)
{
	char s[256];
	assert_true(mm_copy_string_in(mm, s, addr, sizeof(s)) >= 0);
	assert_string_equal(s, want);
}

/* The initial stack: argv, envp, auxv, the stack mapping and the mm's argument ranges. */
static void check_stack(struct mm *mm, const struct loader_result *r, const struct host_elf *exe,
                        const char *filename)
{
	uaddr_t sp = r->stack_ptr;
	assert_int_equal(sp % 16, 0);
	assert_int_equal(rd64(mm, sp), 2);
	check_string(mm, rd64(mm, sp + 8), "prog");
	check_string(mm, rd64(mm, sp + 16), "arg1");
	assert_int_equal(rd64(mm, sp + 24), 0);
	check_string(mm, rd64(mm, sp + 32), "HOME=/root");
	check_string(mm, rd64(mm, sp + 40), "PATH=/bin");
	assert_int_equal(rd64(mm, sp + 48), 0);

	assert_int_equal(auxv_get(mm, sp, LINUX_AT_PHDR), r->phdr);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_PHENT), sizeof(Elf64_Phdr));
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_PHNUM), exe->eh->e_phnum);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_PAGESZ), PAGE_SIZE);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_BASE), r->interp_base);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_ENTRY), r->load_bias + exe->eh->e_entry);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_UID), 1);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_EUID), 2);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_GID), 3);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_EGID), 4);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_SECURE), 0);
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_SYSINFO_EHDR), SKELETON_VDSO_BASE);
	/* The host kernel's value (glibc's getauxval(AT_HWCAP) differs on x86-64). */
	assert_int_equal(auxv_get(mm, sp, LINUX_AT_HWCAP), host_auxval(LINUX_AT_HWCAP));
	check_string(mm, auxv_get(mm, sp, LINUX_AT_EXECFN), filename);
	check_string(mm, auxv_get(mm, sp, LINUX_AT_PLATFORM), "x86_64");
	unsigned char rnd[16];
	assert_int_equal(mm_copy_in(mm, rnd, auxv_get(mm, sp, LINUX_AT_RANDOM), sizeof(rnd)), 0);
	/* AT_PHDR points at the program headers, as the file has them. */
	size_t phsize = exe->eh->e_phnum * sizeof(Elf64_Phdr);
	unsigned char *ph = malloc(phsize);
	assert_non_null(ph);
	assert_int_equal(mm_copy_in(mm, ph, r->phdr, phsize), 0);
	assert_memory_equal(ph, exe->ph, phsize);
	free(ph);

	/* The stack: a growsdown mapping that ends at the stack top. */
	struct vma *v = vma_find(&mm->vmas, sp);
	assert_non_null(v);
	assert_int_equal(v->kind, VMA_KIND_STACK);
	assert_true(v->flags & VMA_GROWSDOWN);
	assert_int_equal(v->end, mm->stack_top);
	assert_int_equal(v->prot, r->exec_stack ? RWX : RW);
	assert_int_equal(skeleton_page_prot(mm->as, sp), v->prot);

	/* /proc/PID/cmdline and environ. */
	assert_true(mm->arg_start < mm->arg_end && mm->arg_end == mm->env_start &&
	            mm->env_start < mm->env_end && mm->env_end <= mm->stack_top);
	check_string(mm, mm->arg_start, "prog");
	check_string(mm, mm->env_start, "HOME=/root");
}

/* The brk area starts empty and grows. */
static void check_brk(struct mm *mm)
{
	assert_int_equal(mm->brk, mm->brk_start);
	assert_true(is_page_aligned(mm->brk_start));
	assert_int_equal(mm_brk(mm, mm->brk_start + 100), mm->brk_start + 100);
	struct vma *heap = vma_find(&mm->vmas, mm->brk_start);
	assert_non_null(heap);
	assert_int_equal(heap->kind, VMA_KIND_HEAP);
}

/* Tests. */

/* /bin/true: a PIE with PT_INTERP, loaded with randomisation. */
static void test_bin_true(void **state)
{
	(void)state;
	struct host_elf exe, interp;
	if (!host_elf_read("/bin/true", &exe))
		skip();
	const char *interp_path = host_elf_interp(&exe);
	if (exe.eh->e_type != ET_DYN || !interp_path || !host_elf_read(interp_path, &interp)) {
		host_elf_free(&exe);
		skip();
	}
	struct mm *mm = new_mm(true);
	struct interp_opener opener = { 0 };
	struct loader_result r;
	assert_int_equal(load_host(mm, "/bin/true", &opener, true, &r), 0);
	assert_string_equal(opener.opened, interp_path);

	/* The program near ELF_ET_DYN_BASE, the interpreter top-down below mmap_base. */
	uint64_t lo, hi;
	host_elf_span(&exe, &lo, &hi);
	uint64_t align = host_elf_max_align(&exe);
	assert_true(r.load_bias >= (ET_DYN_BASE(mm->max_addr) & ~(align - 1)));
	assert_true(r.load_bias < ET_DYN_BASE(mm->max_addr) + MMAP_RND_RANGE);
	assert_int_equal(r.load_bias % align, 0);
	assert_true(r.interp_base != 0);
	assert_true(r.interp_base < mm->mmap_base);
	assert_int_equal(r.entry, r.interp_base + interp.eh->e_entry);
	assert_false(r.exec_stack);

	check_image(mm, &exe, r.load_bias);
	check_image(mm, &interp, r.interp_base);
	check_stack(mm, &r, &exe, "/bin/true");
	/* brk: past the program, a page gap, then up to 1 GiB of randomisation. */
	uaddr_t end = page_round_up(r.load_bias + hi, NULL);
	assert_true(mm->brk_start >= end + PAGE_SIZE &&
	            mm->brk_start < end + PAGE_SIZE + BRK_RND_RANGE);
	check_brk(mm);
	check_agree(mm);
	mm_destroy(mm);
	host_elf_free(&interp);
	host_elf_free(&exe);
}

/* Without randomisation the layout is Linux's fixed one, and the same each time. */
static void test_bin_true_no_randomize(void **state)
{
	(void)state;
	struct host_elf exe, interp;
	if (!host_elf_read("/bin/true", &exe))
		skip();
	const char *interp_path = host_elf_interp(&exe);
	if (exe.eh->e_type != ET_DYN || !interp_path || !host_elf_read(interp_path, &interp)) {
		host_elf_free(&exe);
		skip();
	}
	uint64_t lo, hi, ilo, ihi;
	host_elf_span(&exe, &lo, &hi);
	host_elf_span(&interp, &ilo, &ihi);
	uaddr_t first_sp = 0;
	for (int i = 0; i < 2; i++) {
		struct mm *mm = new_mm(false);
		struct interp_opener opener = { 0 };
		struct loader_result r;
		assert_int_equal(load_host(mm, "/bin/true", &opener, false, &r), 0);
		uint64_t align = host_elf_max_align(&exe);
		assert_int_equal(r.load_bias, (ET_DYN_BASE(mm->max_addr) & ~(align - 1)) - lo);
		assert_int_equal(r.interp_base, mm->mmap_base - page_round_up(ihi, NULL));
		assert_int_equal(mm->brk_start, page_round_up(r.load_bias + hi, NULL));
		assert_int_equal(mm->stack_top, mm->max_addr);
		if (i == 0)
			first_sp = r.stack_ptr;
		assert_int_equal(r.stack_ptr, first_sp);
		check_image(mm, &exe, r.load_bias);
		check_image(mm, &interp, r.interp_base);
		check_stack(mm, &r, &exe, "/bin/true");
		check_brk(mm);
		check_agree(mm);
		mm_destroy(mm);
	}
	host_elf_free(&interp);
	host_elf_free(&exe);
}

/* A static PIE (Debian's ldconfig): no interpreter, placed like a library. */
static void test_static_pie(void **state)
{
	(void)state;
	const char *path = "/usr/sbin/ldconfig";
	struct host_elf exe;
	if (!host_elf_read(path, &exe))
		skip();
	if (exe.eh->e_type != ET_DYN || host_elf_interp(&exe)) {
		host_elf_free(&exe);
		skip(); /* not a static PIE on this host */
	}
	struct mm *mm = new_mm(true);
	struct loader_result r;
	/* No opener: a static program never asks for one. */
	assert_int_equal(load_host(mm, path, NULL, true, &r), 0);
	uint64_t lo, hi;
	host_elf_span(&exe, &lo, &hi);
	assert_int_equal(r.interp_base, 0);
	assert_int_equal(r.load_bias + page_round_up(hi, NULL), mm->mmap_base);
	assert_int_equal(r.entry, r.load_bias + exe.eh->e_entry);
	/* brk goes to the unused ELF_ET_DYN_BASE region, away from the mmap area. */
	assert_true(mm->brk_start >= ET_DYN_BASE(mm->max_addr));
	assert_true(mm->brk_start < ET_DYN_BASE(mm->max_addr) + BRK_RND_RANGE);
	check_image(mm, &exe, r.load_bias);
	check_stack(mm, &r, &exe, path);
	check_brk(mm);
	check_agree(mm);
	mm_destroy(mm);
	host_elf_free(&exe);
}

/*
 * An ET_EXEC image built in memory: text (R-X) and data (RW-, with bss)
 * share their first page, a hole, then a read-only page; PT_GNU_STACK
 * asks for an executable stack.
 */
#define IMG_SIZE 0x1000
#define IMG_BASE 0x400000ULL

struct img {
	unsigned char b[IMG_SIZE] __attribute__((aligned(16)));
};

static void build_exec(struct img *im, uint16_t type)
{
	memset(im->b, 0xaa, sizeof(im->b));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)im->b;
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = IMG_BASE + 0x100;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 4;
	eh->e_ehsize = sizeof(*eh);
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(im->b + sizeof(*eh));
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_flags = PF_R | PF_X,
		              .p_offset = 0,
		              .p_vaddr = IMG_BASE,
		              .p_paddr = IMG_BASE,
		              .p_filesz = 0x900,
		              .p_memsz = 0x900,
		              .p_align = PAGE_SIZE };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_flags = PF_R | PF_W,
		              .p_offset = 0x900,
		              .p_vaddr = IMG_BASE + 0x900,
		              .p_paddr = IMG_BASE + 0x900,
		              .p_filesz = 0x80,
		              .p_memsz = 0x1800,
		              .p_align = PAGE_SIZE };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD,
		              .p_flags = PF_R,
		              .p_offset = 0xa00,
		              .p_vaddr = IMG_BASE + 0x4a00,
		              .p_paddr = IMG_BASE + 0x4a00,
		              .p_filesz = 0x10,
		              .p_memsz = 0x10,
		              .p_align = PAGE_SIZE };
	ph[3] = (Elf64_Phdr){ .p_type = PT_GNU_STACK,
		              .p_flags = PF_R | PF_W | PF_X,
		              .p_align = 16 };
}

static struct host_elf img_elf(struct img *im)
{
	return (struct host_elf){ .buf = im->b,
		                  .size = sizeof(im->b),
		                  .eh = (const Elf64_Ehdr *)(const void *)im->b,
		                  .ph = (const Elf64_Phdr *)(const void *)(im->b +
		                                                           sizeof(Elf64_Ehdr)) };
}

static void test_static_exec(void **state)
{
	(void)state;
	static struct img im;
	build_exec(&im, ET_EXEC);
	struct host_elf e = img_elf(&im);
	for (int randomize = 0; randomize < 2; randomize++) {
		struct mm *mm = new_mm(randomize);
		struct mem_file f = mem_file(im.b, sizeof(im.b));
		struct loader_result r;
		assert_int_equal(load(mm, &f.base, "/exec", NULL, randomize, &r), 0);
		assert_int_equal(r.load_bias, 0);
		assert_int_equal(r.interp_base, 0);
		assert_int_equal(r.entry, IMG_BASE + 0x100);
		assert_int_equal(r.phdr, IMG_BASE + sizeof(Elf64_Ehdr));
		assert_true(r.exec_stack);
		check_image(mm, &e, 0);
		/* The shared first page, spelt out: RWX, file bytes, then the bss. */
		assert_int_equal(skeleton_page_prot(mm->as, IMG_BASE), RWX);
		assert_int_equal(skeleton_page_prot(mm->as, IMG_BASE + 0x3000), -1);
		unsigned char page[PAGE_SIZE];
		assert_int_equal(mm_copy_in(mm, page, IMG_BASE, PAGE_SIZE), 0);
		assert_memory_equal(page, im.b, 0x980);
		assert_true(all_zero(page + 0x980, PAGE_SIZE - 0x980));
		/* A segment whose memsz is its filesz shows its whole last page from the file. */
		assert_int_equal(mm_copy_in(mm, page, IMG_BASE + 0x4000, PAGE_SIZE), 0);
		assert_memory_equal(page, im.b, PAGE_SIZE);
		check_stack(mm, &r, &e, "/exec");
		uaddr_t end = page_round_up(IMG_BASE + 0x4a10, NULL);
		if (randomize)
			assert_true(mm->brk_start >= end + PAGE_SIZE &&
			            mm->brk_start < end + PAGE_SIZE + BRK_RND_RANGE);
		else
			assert_int_equal(mm->brk_start, end);
		check_brk(mm);
		check_agree(mm);
		mm_destroy(mm);
	}
}

/* /bin/true and its interpreter mapped from their files. */
static void test_bin_true_mapped(void **state)
{
	(void)state;
	struct host_elf exe, interp;
	if (!host_elf_read("/bin/true", &exe))
		skip();
	const char *interp_path = host_elf_interp(&exe);
	if (exe.eh->e_type != ET_DYN || !interp_path || !host_elf_read(interp_path, &interp)) {
		host_elf_free(&exe);
		skip();
	}
	memset(&g_vfs_file, 0, sizeof(g_vfs_file));
	g_mmap_fd_calls = 0;
	struct mm *mm = new_mapped_mm(true);
	struct interp_opener opener = { .mapped = true };
	struct loader_file *f = NULL;
	assert_int_equal(open_map_file("/bin/true", &f), 0);
	struct loader_result r;
	assert_int_equal(load(mm, f, "/bin/true", &opener, true, &r), 0);
	f->ops->close(f);
	assert_true(g_mmap_fd_calls >= 2);
	check_image(mm, &exe, r.load_bias);
	check_image(mm, &interp, r.interp_base);
	check_mapped(mm, &exe, r.load_bias);
	check_mapped(mm, &interp, r.interp_base);
	check_stack(mm, &r, &exe, "/bin/true");
	check_brk(mm);
	check_agree(mm);
	/* The vmas hold the file; the last reference goes with the mm. */
	assert_true(g_vfs_file.refs > 0);
	mm_destroy(mm);
	assert_int_equal(g_vfs_file.refs, 0);
	host_elf_free(&interp);
	host_elf_free(&exe);
}

/*
 * build_exec's image mapped from a memfd, and a variant whose read-only
 * segment has a bss: Linux's rules, where they differ from the copy's.
 */
static void test_static_exec_mapped(void **state)
{
	(void)state;
	static struct img im;
	for (int variant = 0; variant < 2; variant++) {
		build_exec(&im, ET_EXEC);
		Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(im.b + sizeof(Elf64_Ehdr));
		if (variant == 1)
			ph[2].p_memsz = 0x1010; /* R--, 0x10 bytes of file, then bss */
		struct host_elf e = img_elf(&im);
		int fd = memfd_create("img", MFD_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, im.b, sizeof(im.b)), (ssize_t)sizeof(im.b));
		struct loader_file *f = map_file_fd(fd);
		memset(&g_vfs_file, 0, sizeof(g_vfs_file));
		struct mm *mm = new_mapped_mm(false);
		struct loader_result r;
		assert_int_equal(load(mm, f, "/exec", NULL, false, &r), 0);
		f->ops->close(f);
		check_mapped(mm, &e, 0);

		/*
		 * The page text and data share is the data's: mapped last, it
		 * replaced the text's (RW-, not the copy's union RWX), with
		 * the file's bytes up to the bss, zeroed to the page's end.
		 */
		assert_int_equal(skeleton_page_prot(mm->as, IMG_BASE), RW);
		unsigned char page[PAGE_SIZE];
		assert_int_equal(mm_copy_in(mm, page, IMG_BASE, PAGE_SIZE), 0);
		assert_memory_equal(page, im.b, 0x980);
		assert_true(all_zero(page + 0x980, PAGE_SIZE - 0x980));
		/* The rest of the bss: anonymous and zero. */
		assert_int_equal(mm_copy_in(mm, page, IMG_BASE + 0x2000, PAGE_SIZE), 0);
		assert_true(all_zero(page, PAGE_SIZE));
		assert_null(vma_find(&mm->vmas, IMG_BASE + 0x3000));
		/*
		 * The read-only segment's page shows the whole file page: with
		 * a bss, padzero() cannot write it, and Linux ignores that.
		 */
		assert_int_equal(mm_copy_in(mm, page, IMG_BASE + 0x4000, PAGE_SIZE), 0);
		assert_memory_equal(page, im.b, PAGE_SIZE);
		if (variant == 1) {
			/* Its whole bss pages are read-write, as vm_brk_flags() maps them. */
			assert_int_equal(skeleton_page_prot(mm->as, IMG_BASE + 0x5000), RW);
			assert_null(vma_find(&mm->vmas, IMG_BASE + 0x5000)->file);
		}
		check_stack(mm, &r, &e, "/exec");
		check_brk(mm);
		check_agree(mm);
		mm_destroy(mm);
		assert_int_equal(g_vfs_file.refs, 0);
		assert_true(g_vfs_file.gets > 0);
	}
}

static void test_interp_errors(void **state)
{
	(void)state;
	struct host_elf exe;
	if (!host_elf_read("/bin/true", &exe) || !host_elf_interp(&exe)) {
		host_elf_free(&exe);
		skip();
	}
	struct loader_result r;
	static struct img im;
	static const char text[] =
	        "this is not an ELF file, but long enough to be read as one......";
	struct mem_file not_elf = mem_file(text, sizeof(text));
	struct mem_file exec_img = mem_file(im.b, sizeof(im.b));
	build_exec(&im, ET_EXEC);
	struct {
		struct interp_opener opener;
		bool with_opener;
		int err;
	} cases[] = {
		{ .with_opener = false, .err = -ENOENT },
		{ .opener = { .redirect = "/nonexistent/ld.so" },
		  .with_opener = true,
		  .err = -ENOENT },
		{ .opener = { .mem = &not_elf }, .with_opener = true, .err = -ELIBBAD },
		/* An ET_EXEC interpreter is refused: we place interpreters anywhere. */
		{ .opener = { .mem = &exec_img }, .with_opener = true, .err = -ELIBBAD },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mm *mm = new_mm(true);
		assert_int_equal(load_host(mm, "/bin/true",
		                           cases[i].with_opener ? &cases[i].opener : NULL, true,
		                           &r),
		                 cases[i].err);
		/* Refused before anything was mapped. */
		assert_int_equal(mm->vmas.count, 0);
		assert_int_equal(skeleton_page_count(mm->as), SKELETON_VDSO_PAGES);
		mm_destroy(mm);
	}
	host_elf_free(&exe);
}

static void test_load_errors(void **state)
{
	(void)state;
	static struct img im;
	struct loader_result r;

	/* Not an ELF program: ENOEXEC, nothing mapped. */
	static const char text[] = "#!/bin/sh\necho this is a script, not an ELF program at all\n";
	struct mem_file f = mem_file(text, sizeof(text));
	struct mm *mm = new_mm(true);
	assert_int_equal(load(mm, &f.base, "/script", NULL, true, &r), -ENOEXEC);
	assert_int_equal(mm->vmas.count, 0);
	mm_destroy(mm);

	/* Arguments too large: E2BIG before the file is even read. */
	build_exec(&im, ET_EXEC);
	f = mem_file(im.b, sizeof(im.b));
	mm = new_mm(true);
	size_t big_len = 33 * PAGE_SIZE;
	char *big = malloc(big_len);
	assert_non_null(big);
	memset(big, 'x', big_len - 1);
	big[big_len - 1] = '\0';
	char *argv[] = { big, NULL };
	struct loader_args args = { .filename = "/exec", .argv = argv, .envp = g_envp };
	assert_int_equal(loader_load(mm, &f.base, &args, &r), -E2BIG);
	assert_int_equal(mm->vmas.count, 0);
	free(big);
	mm_destroy(mm);

	/* An ET_EXEC image over an existing mapping: MAP_FIXED_NOREPLACE's EEXIST. */
	mm = new_mm(false);
	uaddr_t out;
	assert_int_equal(mm_mmap(mm, IMG_BASE + 0x4000, PAGE_SIZE, RW,
	                         LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED, &out),
	                 0);
	assert_int_equal(load(mm, &f.base, "/exec", NULL, false, &r), -EEXIST);
	check_agree(mm);
	mm_destroy(mm);

	/* The host fails while the image is protected: the error comes back. */
	mm = new_mm(false);
	skeleton_fail_next(mm->as, PLATFORM_MEMOP_MPROTECT, -ENOMEM);
	assert_int_equal(load(mm, &f.base, "/exec", NULL, false, &r), -ENOMEM);
	check_agree(mm);
	mm_destroy(mm);
}

int main(void)
{
	/* The failures log warnings by design: keep the test output readable. */
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bin_true),
		cmocka_unit_test(test_bin_true_no_randomize),
		cmocka_unit_test(test_static_pie),
		cmocka_unit_test(test_static_exec),
		cmocka_unit_test(test_interp_errors),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_bin_true_mapped),
		cmocka_unit_test(test_static_exec_mapped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
