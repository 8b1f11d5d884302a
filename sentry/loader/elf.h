/*
 * sentry/loader/elf.h: parsing and validation of an x86-64 ELF program,
 * private to the loader.
 *
 * Pure: no guest memory, no mm. The parser reads only the headers of the
 * file through struct loader_file (the ELF header, the program headers and
 * the PT_INTERP path, with pread, as Linux's load_elf_binary() does),
 * checks what Linux checks (and, because it runs before anything is
 * mapped, also what Linux only finds out after the point of no return),
 * and describes the image with unbiased addresses. load.c chooses the load
 * bias and maps the segments from the file.
 */
#ifndef SENTRY_LOADER_ELF_H
#define SENTRY_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "sentry/loader/loader.h"

/*
 * Files larger than this are refused (-ENOEXEC). Linux has no such bound;
 * it dates from when the parser read files whole, and is kept as a sanity
 * limit on what the loader accepts.
 */
#define LOADER_MAX_FILE_SIZE (1ULL << 30)

/* Linux's bound on the program header table (load_elf_phdrs()). */
#define LOADER_MAX_PHDRS_SIZE 65536u

/* One PT_LOAD segment, unbiased. */
struct loader_segment {
	uint64_t vaddr;  /* p_vaddr */
	uint64_t offset; /* p_offset */
	uint64_t filesz; /* p_filesz: bytes that come from the file */
	uint64_t memsz;  /* p_memsz >= filesz: the rest is zero (bss) */
	int prot;        /* LINUX_PROT_READ/WRITE/EXEC from PF_R/PF_W/PF_X */
};

/* A parsed and validated ELF program or interpreter. */
struct loader_elf {
	uint16_t type;       /* ET_EXEC or ET_DYN */
	uint64_t entry;      /* e_entry, unbiased */
	uint16_t phnum;      /* e_phnum: AT_PHNUM */
	uint64_t phdr_vaddr; /* AT_PHDR, unbiased; 0 when no PT_LOAD maps the headers */
	uint64_t lo, hi;     /* lowest p_vaddr and highest p_vaddr + p_memsz of the PT_LOADs */
	uint64_t align;      /* largest power-of-two p_align of the PT_LOADs, at least a page */
	struct loader_segment *segs; /* the PT_LOADs, in file order; owned */
	size_t nsegs;                /* >= 1 */
	char *interp;    /* PT_INTERP path, or NULL (always NULL for an interpreter); owned */
	bool exec_stack; /* PT_GNU_STACK has PF_X (absent means no: x86-64 since Linux 5.8) */
	/*
	 * The file's size when it was read: every segment's [offset, offset +
	 * filesz) lies within it. (A file that shrinks later shows as a short
	 * read when its bytes are copied, and as SIGBUS when mapped.)
	 */
	uint64_t size;
};

/*
 * Reads and validates the ELF file. what names it in the warning logged
 * for a rejection ("exec /bin/ls", "exec /bin/ls: interpreter /lib/ld.so").
 * max_addr bounds every PT_LOAD's unbiased end, as Linux's TASK_SIZE does.
 * is_interp: the file is a PT_INTERP interpreter, whose own PT_INTERP is
 * ignored as Linux's load_elf_interp() ignores it, and whose header is
 * read with Linux's elf_read() semantics (a file too short for it is -EIO).
 *
 * Returns 0 and fills *out (release it with loader_elf_release()), or
 * -ENOEXEC for a file that is not a valid x86-64 ELF program, -EIO for one
 * whose headers or segments lie past its end, -ENOMEM, or the file's own
 * read error. The file is not kept: the caller passes it again to map or
 * copy the segments.
 */
int loader_elf_read(struct loader_file *file, const char *what, uint64_t max_addr, bool is_interp,
                    struct loader_elf *out);

/* Frees what loader_elf_read() allocated. Safe on a zeroed struct. */
void loader_elf_release(struct loader_elf *elf);

/* A run of pages of the image's span: [start, end), page-aligned, unbiased. */
struct loader_range {
	uint64_t start, end;
	bool mapped; /* false: a hole between segments, to unmap */
	int prot;    /* when mapped: the union of the prots of the segments touching these pages */
};

/*
 * Splits the image's span [page_round_down(lo), page_round_up(hi)) into
 * maximal runs of pages that share one protection. A page that two
 * segments share (old binaries put the end of text and the start of data
 * in one page) gets the union of their permissions; pages no segment
 * touches are holes. Returns 0 and a malloc'ed array in *out (free it),
 * or -ENOMEM.
 */
int loader_elf_page_ranges(const struct loader_elf *elf, struct loader_range **out,
                           size_t *out_count);

#endif /* SENTRY_LOADER_ELF_H */
