/*
 * loader_load(): maps an ELF program (and its interpreter) into a fresh mm
 * and builds its initial stack, as Linux's load_elf_binary() does.
 *
 * Each image's whole page-aligned span is reserved first (fixed for
 * ET_EXEC, at the PIE bias, or where the mm picks), then each PT_LOAD is
 * mapped over it privately from the file (mm_mmap_file, as Linux's
 * elf_load()), its bss zeroed and backed by anonymous memory; the holes
 * between segments are then unmapped. The mappings reference the file, so
 * /proc/PID/maps names the program and its interpreter, and the pages
 * come from the host's page cache, not from copies.
 *
 * A file that cannot be mapped (no loader_file_ops.mmap_fd, or a platform
 * without file mappings) is copied instead: the span is anonymous
 * read-write memory, filled with mm_copy_out() and then given each
 * segment's permissions (a page two segments share gets the union).
 *
 * Every check of the file happens before the first mapping (elf.c,
 * stack.c): what can still fail afterwards is the mm itself (-ENOMEM,
 * an address the mm refuses) or the reading of a copied file that shrank
 * (-EIO), and the caller then destroys the mm.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/arch_x86.h"
#include "common/abi/linux/errno.h"
#include "common/abi/linux/mman.h"
#include "common/host_info.h"
#include "common/log.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/loader.h"
#include "sentry/loader/stack.h"
#include "sentry/mm/mm.h"

/* arch_mmap_rnd(): mmap_rnd_bits, x86-64's default. */
#define LOAD_MMAP_RND_BITS 28
/* arch_randomize_brk(): the brk start moves up by less than this (64-bit). */
#define LOAD_BRK_RND_RANGE (1ULL << 30)

/* What loader_load() reads from the mm once, under its lock. */
struct load_layout {
	uaddr_t min_addr, max_addr;
	uaddr_t stack_top;
	uaddr_t vdso_base;
	uint64_t stack_limit;
};

static const char *load_err_name(int err)
{
	const char *name = linux_errno_name(-err);
	return name ? name : "unknown error";
}

/* randomize_page(): start plus a random page-aligned offset below range. */
static uint64_t load_randomize_page(uint64_t start, uint64_t range)
{
	if (start > UINT64_MAX - range)
		range = UINT64_MAX - start;
	range >>= PAGE_SHIFT;
	if (range == 0)
		return start;
	return start + ((host_random_u64() % range) << PAGE_SHIFT);
}

/* ELF_ET_DYN_BASE: 2/3 of the address space, where x86-64 puts PIE programs. */
static uaddr_t load_et_dyn_base(const struct load_layout *l)
{
	return page_round_down(l->max_addr / 3 * 2);
}

/* The bias that puts the image at base, if the image then fits in the address space. */
static bool load_bias_at(const struct loader_elf *elf, const struct load_layout *l, uaddr_t base,
                         uaddr_t *out_bias)
{
	uaddr_t start = page_round_down(elf->lo);
	uaddr_t end = page_round_up(elf->hi, NULL);

	base &= ~(elf->align - 1);
	if (base < elf->lo)
		return false;
	uaddr_t bias = page_round_down(base - elf->lo);
	if (bias + start < l->min_addr || bias + end < bias || bias + end > l->max_addr)
		return false;
	*out_bias = bias;
	return true;
}

/*
 * The load bias of a PIE program that has an interpreter (Linux:
 * ELF_ET_DYN_BASE plus arch_mmap_rnd(), aligned to the largest p_align,
 * then lowered by the first vaddr). Returns false when that does not fit
 * in [min_addr, max_addr) even without the random offset: the mm then
 * picks the address.
 */
static bool load_pie_bias(const struct loader_elf *elf, const struct load_layout *l, bool randomize,
                          uaddr_t *out_bias)
{
	uaddr_t base = load_et_dyn_base(l);
	uaddr_t rnd = 0;
	if (randomize)
		rnd = (host_random_u64() & ((1ULL << LOAD_MMAP_RND_BITS) - 1)) << PAGE_SHIFT;
	if (load_bias_at(elf, l, base + rnd, out_bias))
		return true;
	return rnd != 0 && load_bias_at(elf, l, base, out_bias);
}

/*
 * Where an image's segments come from: the host fd and VFS file that map
 * it (loader_file_ops.mmap_fd), or, with host_fd -1, copies of its bytes.
 */
struct load_source {
	struct loader_file *file;
	int host_fd;
	void *vfs_file;
};

static struct load_source load_source(struct mm *mm, struct loader_file *file)
{
	struct load_source src = { .file = file, .host_fd = -1 };
	int fd;
	void *vfs_file;
	/* Every real platform maps files; the unit tests' skeleton does not. */
	if (!file->ops->mmap_fd || !mm->platform->as_mmap_fd)
		return src;
	if (file->ops->mmap_fd(file, &fd, &vfs_file) == 0 && vfs_file) {
		src.host_fd = fd;
		src.vfs_file = vfs_file;
	}
	return src;
}

/*
 * Copies [off, off + len) of the file to guest addr, through a bounded
 * buffer. A short read (the file shrank since it was parsed) is -EIO.
 */
static int load_copy_file(struct mm *mm, struct loader_file *file, uaddr_t addr, uint64_t off,
                          uint64_t len)
{
	enum { CHUNK = 256 * 1024 };
	unsigned char *buf = malloc(MIN(len, (uint64_t)CHUNK));
	if (!buf)
		return -ENOMEM;
	int err = 0;
	for (uint64_t done = 0; done < len && !err;) {
		size_t n = (size_t)MIN(len - done, (uint64_t)CHUNK);
		ssize_t r = file->ops->pread(file, buf, n, off + done);
		if (r == -EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? (int)r : -EIO;
			break;
		}
		err = mm_copy_out(mm, addr + done, buf, (size_t)r);
		done += (uint64_t)r;
	}
	free(buf);
	return err;
}

/* padzero(): zeroes the rest of the page after the segment's file bytes. */
static int load_padzero(struct mm *mm, uaddr_t bss)
{
	static const unsigned char zeros[PAGE_SIZE];
	if (is_page_aligned(bss))
		return 0;
	return mm_copy_out(mm, bss, zeros, PAGE_SIZE - (bss & (PAGE_SIZE - 1)));
}

/*
 * The copy path: copies a segment's file bytes into its (still writable)
 * mapping, as a file mapping would show them: the whole first page from
 * the file (the bytes before p_vaddr too), and the rest of the last page
 * as well unless padzero() clears it for the bss.
 */
static int load_copy_segment(struct mm *mm, const struct load_source *src,
                             const struct loader_elf *elf, const struct loader_segment *s,
                             uaddr_t bias)
{
	if (s->filesz == 0)
		return 0;
	uint64_t off = page_round_down(s->offset);
	uint64_t end = s->offset + s->filesz;
	if (s->memsz == s->filesz)
		end = MIN(page_round_up(end, NULL), elf->size);
	int err = load_copy_file(mm, src->file, bias + page_round_down(s->vaddr), off, end - off);
	/* A segment sharing the page may have written there. */
	if (!err && s->memsz > s->filesz)
		err = load_padzero(mm, bias + s->vaddr + s->filesz);
	return err;
}

/*
 * The mapped path, Linux's elf_load(): maps the segment's file pages
 * [page_round_down(vaddr), page_round_up(vaddr + filesz)) privately from
 * the file with its prot, zeroes the rest of the last file page for the
 * bss (padzero(): only a writable segment's, as Linux, which ignores the
 * failure of clear_user() on a read-only page), then maps anonymous
 * memory over the whole pages of bss beyond. Those are read-write (plus
 * exec for an executable segment) whatever the segment's prot, as Linux's
 * vm_brk_flags() maps them.
 */
static int load_map_segment(struct mm *mm, const struct load_source *src,
                            const struct loader_segment *s, uaddr_t bias)
{
	const int all = LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC;
	uaddr_t start = bias + page_round_down(s->vaddr);
	uaddr_t zero_start = start;
	uaddr_t zero_end = page_round_up(bias + s->vaddr + s->memsz, NULL);
	uaddr_t got;
	int err;

	if (s->filesz > 0) {
		uaddr_t file_end = page_round_up(bias + s->vaddr + s->filesz, NULL);
		/*
		 * A private mapping may later be given any prot: maxprot is all
		 * of them (noexec mounts were refused when the file was opened).
		 */
		err = mm_mmap_file(mm, start, file_end - start, s->prot,
		                   LINUX_MAP_PRIVATE | LINUX_MAP_FIXED, src->host_fd,
		                   page_round_down(s->offset), src->vfs_file, all, &got);
		if (err)
			return err;
		if (s->memsz > s->filesz && (s->prot & LINUX_PROT_WRITE)) {
			err = load_padzero(mm, bias + s->vaddr + s->filesz);
			if (err)
				return err;
		}
		zero_start = file_end;
	}
	if (s->memsz > s->filesz && zero_end > zero_start) {
		int prot = LINUX_PROT_READ | LINUX_PROT_WRITE | (s->prot & LINUX_PROT_EXEC);
		err = mm_mmap(mm, zero_start, zero_end - zero_start, prot,
		              LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED, &got);
	}
	return err;
}

/*
 * Maps or copies each segment in file order: a later one sharing a page
 * wins, as with Linux's mmap of each in turn.
 */
static int load_segments(struct mm *mm, const struct load_source *src, const struct loader_elf *elf,
                         uaddr_t bias, const char *what)
{
	for (size_t i = 0; i < elf->nsegs; i++) {
		const struct loader_segment *s = &elf->segs[i];
		if (s->memsz == 0)
			continue; /* maps nothing, as elf_map() with size 0 */
		int err = src->host_fd >= 0 ? load_map_segment(mm, src, s, bias)
		                            : load_copy_segment(mm, src, elf, s, bias);
		if (err) {
			log_warn("%s: cannot %s segment %zu at %#llx (%s)", what,
			         src->host_fd >= 0 ? "map" : "fill", i,
			         (unsigned long long)(bias + s->vaddr), load_err_name(err));
			return err;
		}
	}
	return 0;
}

/*
 * Unmaps the holes between segments. For copied segments, also gives each
 * run of pages its segments' permissions (mapped ones have theirs).
 */
static int load_protect(struct mm *mm, const struct loader_elf *elf, uaddr_t bias, bool copied,
                        const char *what)
{
	struct loader_range *r;
	size_t nr;
	int err = loader_elf_page_ranges(elf, &r, &nr);
	if (err) {
		log_warn("%s: out of memory", what);
		return err;
	}
	for (size_t i = 0; i < nr && !err; i++) {
		uaddr_t start = bias + r[i].start;
		uint64_t len = r[i].end - r[i].start;
		if (!r[i].mapped)
			err = mm_munmap(mm, start, len);
		else if (copied && r[i].prot != (LINUX_PROT_READ | LINUX_PROT_WRITE))
			err = mm_mprotect(mm, start, len, r[i].prot);
		if (err)
			log_warn("%s: cannot %s [%#llx, %#llx) (%s)", what,
			         r[i].mapped ? "protect" : "unmap", (unsigned long long)start,
			         (unsigned long long)(start + len), load_err_name(err));
	}
	free(r);
	return err;
}

/*
 * Maps one image from file and returns its load bias in *out_bias.
 * main_with_interp: elf is the main program and has a PT_INTERP.
 *
 * The image's whole span is reserved first (where the layout says), then
 * the segments are mapped over it (or copied into it), then the holes
 * between them unmapped.
 */
static int load_image(struct mm *mm, const struct loader_elf *elf, struct loader_file *file,
                      const struct load_layout *l, bool main_with_interp, bool randomize,
                      const char *what, uaddr_t *out_bias)
{
	struct load_source src = load_source(mm, file);
	uaddr_t start = page_round_down(elf->lo);
	uint64_t len = page_round_up(elf->hi, NULL) - start;
	uaddr_t addr = 0, bias = 0;
	int flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS;

	if (elf->type == ET_EXEC) {
		/* Fixed addresses; NOREPLACE, as Linux, so a clash (the vDSO) fails. */
		addr = start;
		flags |= LINUX_MAP_FIXED_NOREPLACE;
	} else if (main_with_interp && load_pie_bias(elf, l, randomize, &bias)) {
		addr = bias + start;
		flags |= LINUX_MAP_FIXED_NOREPLACE;
	}
	/*
	 * Otherwise (a static PIE, the interpreter) the mm picks the address
	 * top-down from mmap_base, as for a library. p_align beyond a page is
	 * not honoured there: mm_mmap() has no alignment argument.
	 *
	 * Segments that will be mapped over the reservation need no access
	 * to it; copied ones are written into it.
	 */
	int prot = src.host_fd >= 0 ? LINUX_PROT_NONE : LINUX_PROT_READ | LINUX_PROT_WRITE;
	uaddr_t got;
	int err = mm_mmap(mm, addr, len, prot, flags, &got);
	if (err) {
		log_warn("%s: cannot map %#llx bytes at %#llx (%s)", what, (unsigned long long)len,
		         (unsigned long long)addr, load_err_name(err));
		return err;
	}
	if (elf->type == ET_DYN)
		bias = got - start;

	err = load_segments(mm, &src, elf, bias, what);
	if (err)
		return err;
	err = load_protect(mm, elf, bias, src.host_fd < 0, what);
	if (err)
		return err;
	*out_bias = bias;
	return 0;
}

/*
 * Opens and parses the PT_INTERP interpreter, with load_elf_binary()'s
 * errors. On success *out_file is the open interpreter (close it).
 */
static int load_read_interp(const struct loader_args *args, const char *path, const char *exe_what,
                            const struct load_layout *l, struct loader_elf *out,
                            struct loader_file **out_file)
{
	char what[2 * 512];
	struct loader_file *f;
	int err;

	snprintf(what, sizeof(what), "%s: interpreter %s", exe_what, path);
	if (!args->open_interp) {
		log_warn("%s: no way to open an interpreter", what);
		return -ENOENT;
	}
	err = args->open_interp(args->open_arg, path, &f);
	if (err) {
		log_warn("%s: cannot open (%s)", what, load_err_name(err));
		return err;
	}
	err = loader_elf_read(f, what, l->max_addr, /*is_interp=*/true, out);
	/* Linux: an interpreter that is not a valid ELF is -ELIBBAD. */
	if (err == -ENOEXEC)
		err = -ELIBBAD;
	/*
	 * Linux also accepts an ET_EXEC interpreter at its fixed address;
	 * we want one we can place anywhere.
	 */
	if (err == 0 && out->type != ET_DYN) {
		log_warn("%s: not a shared object (e_type %u)", what, out->type);
		loader_elf_release(out);
		err = -ELIBBAD;
	}
	if (err) {
		f->ops->close(f);
		return err;
	}
	*out_file = f;
	return 0;
}

/*
 * The start of the brk area (load_elf_binary() and arch_randomize_brk()):
 * after the main program's highest segment, or, for a static PIE when
 * randomising, in the unused ELF_ET_DYN_BASE region, away from the mmap
 * area that it would otherwise soon collide with.
 */
static uaddr_t load_brk_start(const struct loader_elf *exe, uaddr_t bias,
                              const struct load_layout *l, bool randomize)
{
	uaddr_t end = page_round_up(bias + exe->hi, NULL);
	if (!randomize)
		return end;
	uaddr_t start = end + PAGE_SIZE; /* leave a gap between .bss and brk */
	if (exe->type == ET_DYN && !exe->interp)
		start = load_et_dyn_base(l);
	start = load_randomize_page(start, LOAD_BRK_RND_RANGE);
	return start < l->max_addr ? start : end;
}

/* Builds the stack image, maps the stack and copies the image out. */
static int load_stack(struct mm *mm, const struct load_layout *l,
                      const struct loader_stack_args *sa, bool exec_stack, const char *what,
                      struct loader_stack *st)
{
	int err = loader_stack_build(sa, l->stack_top, what, st);
	if (err)
		return err;

	/* setup_arg_pages(): stack_expand below the image, within the rlimit. */
	uint64_t image = page_round_up(st->size, NULL);
	uint64_t size = image + LOADER_STACK_EXPAND;
	if (size > page_round_down(l->stack_limit))
		size = MAX(image, page_round_down(l->stack_limit));
	/* PT_GNU_STACK's PF_X reaches the stack's vma through mm_map_stack()'s prot. */
	int prot = LINUX_PROT_READ | LINUX_PROT_WRITE | (exec_stack ? LINUX_PROT_EXEC : 0);
	err = mm_map_stack(mm, l->stack_top, size, prot);
	if (err) {
		log_warn("%s: cannot map a %#llx-byte stack below %#llx (%s)", what,
		         (unsigned long long)size, (unsigned long long)l->stack_top,
		         load_err_name(err));
		return err;
	}
	err = mm_copy_out(mm, st->sp, st->image, st->size);
	if (err) {
		log_warn("%s: cannot write the initial stack (%s)", what, load_err_name(err));
		return err;
	}
	return 0;
}

int loader_load(struct mm *mm, struct loader_file *file, const struct loader_args *args,
                struct loader_result *out)
{
	struct loader_elf exe, interp;
	struct loader_file *interp_file = NULL;
	struct loader_stack st;
	struct load_layout l;
	uaddr_t exe_bias = 0, interp_bias = 0;
	bool randomize = !args->no_randomize;
	char what[512];
	int err;

	memset(&interp, 0, sizeof(interp));
	memset(&st, 0, sizeof(st));
	snprintf(what, sizeof(what), "exec %s", args->filename);

	pthread_mutex_lock(&mm->mu);
	l = (struct load_layout){ .min_addr = mm->min_addr,
		                  .max_addr = mm->max_addr,
		                  .stack_top = mm->stack_top,
		                  .vdso_base = mm->vdso_base,
		                  .stack_limit = mm->stack_limit };
	pthread_mutex_unlock(&mm->mu);

	/* do_execveat_common() copies the strings before it looks at the file. */
	err = loader_stack_check_args(args->argv, args->envp, args->filename, l.stack_limit, what);
	if (err)
		return err;
	err = loader_elf_read(file, what, l.max_addr, /*is_interp=*/false, &exe);
	if (err)
		return err;
	if (exe.interp) {
		err = load_read_interp(args, exe.interp, what, &l, &interp, &interp_file);
		if (err)
			goto out_release_exe;
	}

	/* Linux's point of no return: from here on the caller destroys the mm on failure. */
	err = load_image(mm, &exe, file, &l, exe.interp != NULL, randomize, what, &exe_bias);
	if (err)
		goto out_release_interp;
	uaddr_t entry = exe_bias + exe.entry;
	if (exe.interp) {
		char interp_what[2 * 512];
		snprintf(interp_what, sizeof(interp_what), "%s: interpreter %s", what, exe.interp);
		err = load_image(mm, &interp, interp_file, &l, false, randomize, interp_what,
		                 &interp_bias);
		if (err)
			goto out_release_interp;
		entry = interp_bias + interp.entry;
	}
	/* BAD_ADDR(elf_entry) */
	if (entry >= l.max_addr) {
		log_warn("%s: entry point %#llx is outside the address space", what,
		         (unsigned long long)entry);
		err = -EINVAL;
		goto out_release_interp;
	}

	mm_set_brk(mm, load_brk_start(&exe, exe_bias, &l, randomize));

	struct loader_stack_args sa = {
		.argv = args->argv,
		.envp = args->envp,
		.execfn = args->filename,
		.stack_limit = l.stack_limit,
		.align_pad = randomize ? (uint32_t)(host_random_u64() % LOADER_STACK_PAD_MAX) : 0,
		.auxv = {
			.sysinfo_ehdr = l.vdso_base,
			/* The application runs on the host's CPU: its features are the host's. */
			.minsigstksz = host_auxval(LINUX_AT_MINSIGSTKSZ),
			.hwcap = host_auxval(LINUX_AT_HWCAP),
			.hwcap2 = host_auxval(LINUX_AT_HWCAP2),
			.phdr = exe_bias + exe.phdr_vaddr,
			.phnum = exe.phnum,
			.base = interp_bias,
			.entry = exe_bias + exe.entry,
			.uid = args->uid,
			.euid = args->euid,
			.gid = args->gid,
			.egid = args->egid,
			.secure = args->secure,
		},
	};
	host_random_bytes(sa.random, sizeof(sa.random));
	err = load_stack(mm, &l, &sa, exe.exec_stack, what, &st);
	if (err)
		goto out_release_stack;

	pthread_mutex_lock(&mm->mu);
	mm->arg_start = st.arg_start;
	mm->arg_end = st.arg_end;
	mm->env_start = st.env_start;
	mm->env_end = st.env_end;
	pthread_mutex_unlock(&mm->mu);

	*out = (struct loader_result){
		.entry = entry,
		.stack_ptr = st.sp,
		.load_bias = exe_bias,
		.interp_base = interp_bias,
		.phdr = sa.auxv.phdr,
		.exec_stack = exe.exec_stack,
	};
out_release_stack:
	loader_stack_release(&st);
out_release_interp:
	loader_elf_release(&interp);
	if (interp_file)
		interp_file->ops->close(interp_file);
out_release_exe:
	loader_elf_release(&exe);
	return err;
}
