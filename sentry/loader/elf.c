/*
 * ELF parsing and validation: see elf.h.
 *
 * Mirrors the checks of Linux's fs/binfmt_elf.c (load_elf_binary(),
 * load_elf_phdrs(), load_elf_interp()). Linux finds some problems only
 * while mapping the segments, after the point of no return, where the
 * execve can no longer fail and the task gets SIGSEGV instead; the parser
 * finds them all before anything is mapped, so execve fails cleanly with
 * -ENOEXEC (as gVisor's loader does).
 */
#include "sentry/loader/elf.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/mman.h"
#include "common/log.h"

/* Linux's PATH_MAX, which bounds PT_INTERP. */
#define ELF_PATH_MAX 4096u

static const char *elf_err_name(int err)
{
	const char *name = linux_errno_name(-err);
	return name ? name : "unknown error";
}

/*
 * Reads up to len bytes at off into buf, retrying short reads until the
 * end of the file. Returns the count (short only at EOF) or the file's
 * read error.
 */
static ssize_t elf_pread(struct loader_file *file, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = file->ops->pread(file, (char *)buf + done, len - done, off + done);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Linux's elf_read(): exactly len bytes at off, or -EIO for a short read
 * (the file shrank after size()) or the read error.
 */
static int elf_read_exact(struct loader_file *file, const char *what, const char *name, void *buf,
                          size_t len, uint64_t off)
{
	ssize_t n = elf_pread(file, buf, len, off);
	if (n < 0) {
		log_warn("%s: reading the %s failed (%s)", what, name, elf_err_name((int)n));
		return (int)n;
	}
	if ((size_t)n < len) {
		log_warn("%s: the %s [%#llx, +%#zx) end past the end of the file", what, name,
		         (unsigned long long)off, len);
		return -EIO;
	}
	return 0;
}

static int elf_prot(uint32_t p_flags)
{
	int prot = 0;
	if (p_flags & PF_R)
		prot |= LINUX_PROT_READ;
	if (p_flags & PF_W)
		prot |= LINUX_PROT_WRITE;
	if (p_flags & PF_X)
		prot |= LINUX_PROT_EXEC;
	return prot;
}

/* Linux's elf_read(): a range past the end of the file is a short read, -EIO. */
static bool elf_in_file(const struct loader_elf *elf, uint64_t off, uint64_t len)
{
	return off <= elf->size && len <= elf->size - off;
}

/* Checks one PT_LOAD as load_elf_binary() does, and records it. */
static int elf_add_load(struct loader_elf *elf, const Elf64_Phdr *ph, unsigned idx,
                        const char *what, uint64_t max_addr)
{
	if (ph->p_filesz > ph->p_memsz) {
		log_warn("%s: PT_LOAD %u has p_filesz %#llx > p_memsz %#llx", what, idx,
		         (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
		return -ENOEXEC;
	}
	/* BAD_ADDR(k) || p_memsz > TASK_SIZE || TASK_SIZE - p_memsz < k */
	if (ph->p_vaddr >= max_addr || ph->p_memsz > max_addr ||
	    max_addr - ph->p_memsz < ph->p_vaddr) {
		log_warn("%s: PT_LOAD %u [%#llx, +%#llx) does not fit below %#llx", what, idx,
		         (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz,
		         (unsigned long long)max_addr);
		return -ENOEXEC;
	}
	/* elf_map() would pass vm_mmap() an offset that is not page-aligned. */
	if ((ph->p_vaddr - ph->p_offset) % PAGE_SIZE != 0) {
		log_warn("%s: PT_LOAD %u has p_vaddr %#llx and p_offset %#llx not congruent modulo "
		         "the page size",
		         what, idx, (unsigned long long)ph->p_vaddr,
		         (unsigned long long)ph->p_offset);
		return -ENOEXEC;
	}
	/* A segment with no file data (pure bss) reads nothing: its offset does not matter. */
	if (ph->p_filesz > 0 && !elf_in_file(elf, ph->p_offset, ph->p_filesz)) {
		log_warn("%s: PT_LOAD %u file data [%#llx, +%#llx) is past the end of the file "
		         "(%llu "
		         "bytes)",
		         what, idx, (unsigned long long)ph->p_offset,
		         (unsigned long long)ph->p_filesz, (unsigned long long)elf->size);
		return -EIO;
	}

	struct loader_segment *seg = &elf->segs[elf->nsegs++];
	seg->vaddr = ph->p_vaddr;
	seg->offset = ph->p_offset;
	seg->filesz = ph->p_filesz;
	seg->memsz = ph->p_memsz;
	seg->prot = elf_prot(ph->p_flags);

	if (elf->nsegs == 1 || ph->p_vaddr < elf->lo)
		elf->lo = ph->p_vaddr;
	if (elf->nsegs == 1 || ph->p_vaddr + ph->p_memsz > elf->hi)
		elf->hi = ph->p_vaddr + ph->p_memsz;

	/* maximum_alignment(): non-power-of-two alignments are ignored. */
	uint64_t align = ph->p_align;
	if (align != 0 && (align & (align - 1)) == 0 && align > elf->align)
		elf->align = align;
	return 0;
}

/* Reads the PT_INTERP path as load_elf_binary() does. */
static int elf_set_interp(struct loader_elf *elf, struct loader_file *file, const Elf64_Phdr *ph,
                          const char *what)
{
	/* Linux uses the first PT_INTERP; two are a malformed file, which we refuse. */
	if (elf->interp) {
		log_warn("%s: more than one PT_INTERP", what);
		return -ENOEXEC;
	}
	if (ph->p_filesz < 2 || ph->p_filesz > ELF_PATH_MAX) {
		log_warn("%s: PT_INTERP size %llu is not in [2, %u]", what,
		         (unsigned long long)ph->p_filesz, ELF_PATH_MAX);
		return -ENOEXEC;
	}
	if (!elf_in_file(elf, ph->p_offset, ph->p_filesz)) {
		log_warn("%s: PT_INTERP [%#llx, +%#llx) is past the end of the file (%llu bytes)",
		         what, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
		         (unsigned long long)elf->size);
		return -EIO;
	}
	char *path = malloc(ph->p_filesz);
	if (!path) {
		log_warn("%s: out of memory", what);
		return -ENOMEM;
	}
	int err = elf_read_exact(file, what, "PT_INTERP path", path, ph->p_filesz, ph->p_offset);
	if (err == 0 && path[ph->p_filesz - 1] != '\0') {
		log_warn("%s: PT_INTERP path is not NUL-terminated", what);
		err = -ENOEXEC;
	}
	if (err) {
		free(path);
		return err;
	}
	elf->interp = path;
	return 0;
}

/*
 * Checks e_ident. hdr holds the len bytes the file has of its header (at
 * most sizeof(Elf64_Ehdr)), the rest zero.
 */
static int elf_check_ident(const unsigned char *hdr, size_t len, const char *what, bool is_interp)
{
	/* load_elf_interp() reads the header with elf_read(): short is -EIO. */
	if (is_interp && len < sizeof(Elf64_Ehdr)) {
		log_warn("%s: file too short for an ELF header (%zu bytes)", what, len);
		return -EIO;
	}
	if (len < SELFMAG || memcmp(hdr, ELFMAG, SELFMAG) != 0) {
		log_warn("%s: not an ELF file (bad magic)", what);
		return -ENOEXEC;
	}
	/* Linux reads the header into a zeroed buffer: a short one fails its checks. */
	if (len < sizeof(Elf64_Ehdr)) {
		log_warn("%s: file too short for an ELF header (%zu bytes)", what, len);
		return -ENOEXEC;
	}
	if (hdr[EI_CLASS] != ELFCLASS64) {
		log_warn("%s: not a 64-bit ELF file (class %u)", what, hdr[EI_CLASS]);
		return -ENOEXEC;
	}
	if (hdr[EI_DATA] != ELFDATA2LSB) {
		log_warn("%s: not a little-endian ELF file (data encoding %u)", what, hdr[EI_DATA]);
		return -ENOEXEC;
	}
	return 0;
}

/* Checks the ELF header proper; fills type, entry and phnum. */
static int elf_check_ehdr(struct loader_elf *elf, const Elf64_Ehdr *eh, const char *what)
{
	if (eh->e_machine != EM_X86_64) {
		log_warn("%s: not an x86-64 program (e_machine %u)", what, eh->e_machine);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		log_warn("%s: not an executable or a shared object (e_type %u)", what, eh->e_type);
		return -ENOEXEC;
	}
	/* load_elf_phdrs() */
	if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
		log_warn("%s: program header entry size %u, expected %zu", what, eh->e_phentsize,
		         sizeof(Elf64_Phdr));
		return -ENOEXEC;
	}
	if (eh->e_phnum < 1 || eh->e_phnum > LOADER_MAX_PHDRS_SIZE / sizeof(Elf64_Phdr)) {
		log_warn("%s: %u program headers, expected 1 to %zu", what, eh->e_phnum,
		         LOADER_MAX_PHDRS_SIZE / sizeof(Elf64_Phdr));
		return -ENOEXEC;
	}
	if (!elf_in_file(elf, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))) {
		log_warn("%s: program headers [%#llx, +%zu) are past the end of the file (%llu "
		         "bytes)",
		         what, (unsigned long long)eh->e_phoff, eh->e_phnum * sizeof(Elf64_Phdr),
		         (unsigned long long)elf->size);
		/* elf_read() fails with -EIO, but load_elf_phdrs() drops it: execve says ENOEXEC.
		 */
		return -ENOEXEC;
	}
	elf->type = eh->e_type;
	elf->entry = eh->e_entry;
	elf->phnum = eh->e_phnum;
	return 0;
}

/* Reads the program header table (load_elf_phdrs()) into a new array. */
static int elf_read_phdrs(struct loader_file *file, const Elf64_Ehdr *eh, const char *what,
                          Elf64_Phdr **out)
{
	size_t len = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = malloc(len);
	if (!ph) {
		log_warn("%s: out of memory", what);
		return -ENOMEM;
	}
	int err = elf_read_exact(file, what, "program headers", ph, len, eh->e_phoff);
	/* load_elf_phdrs() turns elf_read()'s -EIO into NULL, which execve reports as ENOEXEC. */
	if (err == -EIO)
		err = -ENOEXEC;
	if (err) {
		free(ph);
		return err;
	}
	*out = ph;
	return 0;
}

static int elf_parse_phdrs(struct loader_elf *elf, struct loader_file *file, const Elf64_Ehdr *eh,
                           const Elf64_Phdr *phdrs, const char *what, uint64_t max_addr,
                           bool is_interp)
{
	elf->segs = calloc(eh->e_phnum, sizeof(*elf->segs));
	if (!elf->segs) {
		log_warn("%s: out of memory", what);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdrs[i];
		int err = 0;
		switch (ph->p_type) {
		case PT_LOAD:
			err = elf_add_load(elf, ph, i, what, max_addr);
			/*
			 * AT_PHDR: where a PT_LOAD maps the file offset e_phoff.
			 * Linux (since 5.18) uses this rule, not PT_PHDR, and
			 * the last match wins as in its loop.
			 */
			if (!err && ph->p_offset <= eh->e_phoff &&
			    eh->e_phoff - ph->p_offset < ph->p_filesz)
				elf->phdr_vaddr = eh->e_phoff - ph->p_offset + ph->p_vaddr;
			break;
		case PT_INTERP:
			if (!is_interp)
				err = elf_set_interp(elf, file, ph, what);
			break;
		case PT_GNU_STACK:
			/* The last one wins, as in load_elf_binary()'s loop. */
			elf->exec_stack = (ph->p_flags & PF_X) != 0;
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	if (elf->nsegs == 0) {
		log_warn("%s: no PT_LOAD segment", what);
		return -ENOEXEC;
	}
	if (elf->align < PAGE_SIZE)
		elf->align = PAGE_SIZE;
	return 0;
}

/*
 * Reads and checks the headers. Only the ELF header, the program headers
 * and the PT_INTERP path are read (section headers are no concern of the
 * loader's, even broken ones); the segments' bytes stay in the file.
 */
static int elf_parse(struct loader_elf *elf, struct loader_file *file, const char *what,
                     uint64_t max_addr, bool is_interp)
{
	int64_t size = file->ops->size(file);
	if (size < 0) {
		log_warn("%s: cannot get the file's size (%s)", what, elf_err_name((int)size));
		return (int)size;
	}
	if ((uint64_t)size > LOADER_MAX_FILE_SIZE) {
		log_warn("%s: file too large to load (%lld bytes; the limit is 1 GiB)", what,
		         (long long)size);
		return -ENOEXEC;
	}
	elf->size = (uint64_t)size;

	/* Linux reads the header into a zeroed buffer (bprm->buf, or elf_read() for an
	 * interpreter). */
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	ssize_t n = elf_pread(file, &eh, MIN(sizeof(eh), elf->size), 0);
	if (n < 0) {
		log_warn("%s: read failed (%s)", what, elf_err_name((int)n));
		return (int)n;
	}
	int err = elf_check_ident((const unsigned char *)&eh, (size_t)n, what, is_interp);
	if (err)
		return err;
	err = elf_check_ehdr(elf, &eh, what);
	if (err)
		return err;
	Elf64_Phdr *phdrs;
	err = elf_read_phdrs(file, &eh, what, &phdrs);
	if (err)
		return err;
	err = elf_parse_phdrs(elf, file, &eh, phdrs, what, max_addr, is_interp);
	free(phdrs);
	return err;
}

int loader_elf_read(struct loader_file *file, const char *what, uint64_t max_addr, bool is_interp,
                    struct loader_elf *out)
{
	memset(out, 0, sizeof(*out));
	int err = elf_parse(out, file, what, max_addr, is_interp);
	if (err)
		loader_elf_release(out);
	return err;
}

void loader_elf_release(struct loader_elf *elf)
{
	free(elf->segs);
	free(elf->interp);
	memset(elf, 0, sizeof(*elf));
}

static int elf_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int loader_elf_page_ranges(const struct loader_elf *elf, struct loader_range **out,
                           size_t *out_count)
{
	/*
	 * The page boundaries of the span and of every segment, sorted: each
	 * pair of neighbours delimits pages that the same segments touch.
	 */
	size_t nb = 0;
	uint64_t *b = malloc((2 * elf->nsegs + 2) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	b[nb++] = page_round_down(elf->lo);
	b[nb++] = page_round_up(elf->hi, NULL);
	for (size_t i = 0; i < elf->nsegs; i++) {
		const struct loader_segment *s = &elf->segs[i];
		if (s->memsz == 0)
			continue; /* maps nothing, as elf_map() with size 0 */
		b[nb++] = page_round_down(s->vaddr);
		b[nb++] = page_round_up(s->vaddr + s->memsz, NULL);
	}
	qsort(b, nb, sizeof(*b), elf_cmp_u64);

	struct loader_range *r = malloc(nb * sizeof(*r));
	if (!r) {
		free(b);
		return -ENOMEM;
	}
	size_t nr = 0;
	for (size_t i = 0; i + 1 < nb; i++) {
		uint64_t start = b[i], end = b[i + 1];
		if (start == end)
			continue;
		bool mapped = false;
		int prot = 0;
		for (size_t j = 0; j < elf->nsegs; j++) {
			const struct loader_segment *s = &elf->segs[j];
			if (s->memsz == 0 || page_round_down(s->vaddr) >= end ||
			    page_round_up(s->vaddr + s->memsz, NULL) <= start)
				continue;
			mapped = true;
			prot |= s->prot;
		}
		if (nr > 0 && r[nr - 1].end == start && r[nr - 1].mapped == mapped &&
		    (!mapped || r[nr - 1].prot == prot)) {
			r[nr - 1].end = end;
			continue;
		}
		r[nr++] = (struct loader_range){
			.start = start, .end = end, .mapped = mapped, .prot = mapped ? prot : 0
		};
	}
	free(b);
	*out = r;
	*out_count = nr;
	return 0;
}
