/*
 * sentry/loader: loads an ELF program into a fresh mm and builds its
 * initial stack, as Linux's binfmt_elf does.
 *
 * The loader reads files only through struct loader_file, so it does not
 * care where the bytes come from: execve hands it VFS files
 * (sentry/kernel/exec_file.c), the unit tests host files. A file that can
 * be mapped (loader_file_ops.mmap_fd) has its segments mapped from it, as
 * on Linux; the others have them copied into anonymous memory.
 */
#ifndef SENTRY_LOADER_LOADER_H
#define SENTRY_LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

struct mm;
struct loader_file;

struct loader_file_ops {
	/*
	 * Reads up to len bytes at off. Returns the count (short, possibly
	 * 0, only at EOF) or -errno; -EINTR is retried.
	 */
	ssize_t (*pread)(struct loader_file *f, void *buf, size_t len, uint64_t off);
	/* The file's size in bytes, or -errno. */
	int64_t (*size)(struct loader_file *f);
	/*
	 * Optional: how to map the file, as Linux's elf_map() maps the
	 * segments. Gives the host fd whose pages back the file (borrowed
	 * for as long as f is open) and the VFS file (struct file, not NULL)
	 * that the mappings reference (sentry/mm's vma.file: /proc/PID/maps
	 * names it). Returns 0 or -errno. NULL, or an error: the loader
	 * copies the segments into anonymous memory instead.
	 */
	int (*mmap_fd)(struct loader_file *f, int *out_host_fd, void **out_vfs_file);
	/* Releases the file (and frees f, if the opener allocated it). */
	void (*close)(struct loader_file *f);
};

struct loader_file {
	const struct loader_file_ops *ops;
};

/*
 * Opens the interpreter named by PT_INTERP. Returns 0 and a new file in
 * *out, or -errno.
 */
typedef int (*loader_open_fn)(void *arg, const char *path, struct loader_file **out);

/* What execve needs to know about the program. */
struct loader_args {
	const char *filename; /* AT_EXECFN: the path execve was given */
	char *const *argv;    /* NULL-terminated */
	char *const *envp;    /* NULL-terminated */
	uint32_t uid, euid, gid, egid;
	bool secure;                /* AT_SECURE: the program gained privilege (creds_exec) */
	loader_open_fn open_interp; /* may be NULL: PT_INTERP then fails with ENOENT */
	void *open_arg;
	/*
	 * personality(ADDR_NO_RANDOMIZE): no random PIE load bias, brk start
	 * or stack alignment drop. Zero (the default) randomises, as Linux
	 * does with randomize_va_space = 2. (mm_randomize_layout() covers the
	 * stack top and mmap base.)
	 */
	bool no_randomize;
};

/* Where the program starts. */
struct loader_result {
	uaddr_t entry;       /* initial rip: the interpreter's entry, or the program's */
	uaddr_t stack_ptr;   /* initial rsp: 16-byte aligned, points at argc */
	uaddr_t load_bias;   /* of the main program (0 for ET_EXEC) */
	uaddr_t interp_base; /* AT_BASE, 0 when there is no interpreter */
	uaddr_t phdr;        /* AT_PHDR */
	bool exec_stack;     /* PT_GNU_STACK asked for an executable stack (PF_X) */
};

/*
 * Loads the ELF file (ET_EXEC, PIE or static PIE, with its PT_INTERP
 * interpreter if it has one) into mm, maps the initial stack at
 * mm->stack_top, sets the brk area and records the argument and
 * environment ranges in the mm. mm must hold no mapping but the vDSO
 * (mm->vdso_base, AT_SYSINFO_EHDR when not 0); its min_addr, max_addr,
 * stack_top and stack_limit must be set. file stays the caller's; the
 * interpreter's file is opened with args->open_interp and closed here.
 *
 * Every check of the file and of the arguments happens before the first
 * mapping; on a failure after that the mm may hold partial mappings: the
 * caller destroys it. Returns 0 and fills *out, or -errno:
 *   -E2BIG    argv, envp and the file name exceed Linux's limits
 *   -ENOEXEC  not a loadable x86-64 ELF program
 *   -EIO      interpreter path or segment data past the end of the file
 *   -ELIBBAD  the interpreter is not a valid x86-64 ET_DYN ELF
 *   -ENOENT   PT_INTERP and no open_interp (or open_interp's own error)
 *   -EINVAL   the entry point lies outside the address space
 *   -ENOMEM, -EEXIST, -EFAULT  the mm could not map or fill the image
 * A message saying what is wrong is logged at warning level.
 */
int loader_load(struct mm *mm, struct loader_file *file, const struct loader_args *args,
                struct loader_result *out);

#endif /* SENTRY_LOADER_LOADER_H */
