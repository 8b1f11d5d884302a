/*
 * sentry/mm: the application's address space, as the sentry decides it.
 *
 * The host kernel manages the pages (one stub process per address space,
 * see platform/platform.h); the sentry keeps the authoritative list of
 * mappings (a VMA tree, sentry/mm/vma.h), applies Linux's argument checks,
 * and asks the platform to carry out each validated change. Faults on
 * valid mappings never reach the sentry; one on an unmapped address comes
 * back as a platform fault and is either a stack growth (mm_handle_fault)
 * or the application's SIGSEGV.
 *
 * Guest memory is touched only through mm_copy_in/mm_copy_out/
 * mm_copy_string_in, which check the VMA tree first and fail with -EFAULT
 * on an address the application could not access itself.
 *
 * Lock order: mm->mu is a leaf lock. It is held for every VMA tree change
 * and the platform call that goes with it, so the tree and the host never
 * disagree.
 */
#ifndef SENTRY_MM_MM_H
#define SENTRY_MM_MM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "platform/platform.h"
#include "sentry/mm/vma.h"

struct mm {
	const struct platform_ops *platform;
	struct platform_as *as; /* owned: destroyed with the mm */
	atomic_int users;       /* tasks using the mm (CLONE_VM shares it) */
	pthread_mutex_t mu;

	/* Protected by mu. */
	struct vma_tree vmas;
	uaddr_t min_addr, max_addr; /* the guest may map [min_addr, max_addr) */
	uaddr_t mmap_base;          /* top-down search starts below this */
	uaddr_t brk_start, brk;     /* brk(2) area: [brk_start, brk) */
	uaddr_t stack_top;          /* the initial stack's top */
	uaddr_t vdso_base;          /* AT_SYSINFO_EHDR, 0 when none */
	uint64_t stack_limit;       /* RLIMIT_STACK cur when the stack was set up */
	uint64_t data_limit;        /* RLIMIT_DATA cur, for brk */
	uaddr_t arg_start, arg_end, env_start, env_end; /* for /proc/PID/cmdline */
	/* System-call patching (mm_patch_syscall): the table once mapped; off once it failed. */
	uaddr_t patch_table, patch_table_len;
	bool patch_off;
};

/*
 * Creates an mm over a new platform address space. out_ctx receives the
 * address space's first context, bound to the calling thread.
 * Returns 0 or -errno.
 */
int mm_new(const struct platform_ops *platform, struct mm **out_mm, struct platform_ctx **out_ctx);
/* Destroys the mm and its address space (kills the stub). */
void mm_destroy(struct mm *mm);
/* Another user of mm (a CLONE_VM task); mm_put drops one, and the last destroys it. */
struct mm *mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/*
 * fork(2)'s copy of parent: the same layout and mappings (file mappings
 * take their own references), and a platform copy of the address space
 * made at the same moment, under parent's lock, through parent_ctx (the
 * calling thread's context): *out_clone, which the child's thread
 * attaches and gives to mm_set_as. Returns 0 or -errno.
 */
int mm_fork(struct mm *parent, struct platform_ctx *parent_ctx, struct mm **out,
            struct platform_clone **out_clone);
/* Gives a forked mm its address space (from clone_attach). */
void mm_set_as(struct mm *mm, struct platform_as *as);

/* Picks randomised mmap_base and stack top, as Linux's ASLR does. */
void mm_randomize_layout(struct mm *mm);

/*
 * Lets the platform patch the system call whose site (a 7-byte `mov $nr,
 * %eax; syscall`) it asked for after a trap (platform ctx_syscall_site):
 * only in the application's code, a private read-and-execute mapping of a
 * file, and once the patch table is mapped (read and execute, at the
 * platform's address; when the application has something there, the mm
 * patches nothing). Any failure just leaves the site trapping. The table
 * is the sentry's, not the application's: a mapping call of the
 * application's that touches it first has the platform undo the patches
 * and unmaps it (when the process has one thread; else the table stays).
 */
void mm_patch_syscall(struct mm *mm, uaddr_t site, uint64_t nr);

/*
 * mmap(2) for anonymous memory with Linux's checks. addr is a hint unless
 * flags has MAP_FIXED or MAP_FIXED_NOREPLACE. *out_addr receives the
 * address. Returns 0 or -errno.
 */
int mm_mmap(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, uaddr_t *out_addr);
/*
 * mmap(2) of a file: host_fd (borrowed for the call: the platform lends it
 * to the address space) at off backs the mapping; file is the VFS file,
 * referenced by the vmas through g_vma_file_hooks. The caller has made the
 * file checks (access mode, noexec); this makes mmap's generic ones.
 * maxprot: what mprotect may later grant (Linux's VM_MAY*): no
 * PROT_WRITE for a shared map of a file not open for writing, no
 * PROT_EXEC on a noexec mount.
 */
int mm_mmap_file(struct mm *mm, uaddr_t addr, uint64_t len, int prot, int flags, int host_fd,
                 uint64_t off, void *file, int maxprot, uaddr_t *out_addr);
int mm_munmap(struct mm *mm, uaddr_t addr, uint64_t len);
/*
 * Reads up to len bytes of host_fd at off straight into guest memory at
 * addr (the platform's as_pread_fd: one copy, by the host kernel). The
 * caller has checked the range (mm_access_prefix). Returns the count or
 * -errno; -EOPNOTSUPP when the platform cannot.
 */
long mm_pread_fd(struct mm *mm, int host_fd, uaddr_t addr, uint64_t len, uint64_t off);
int mm_mprotect(struct mm *mm, uaddr_t addr, uint64_t len, int prot);
/* mremap(2). Returns the new address or -errno. */
long mm_mremap(struct mm *mm, uaddr_t old, uint64_t old_len, uint64_t new_len, int flags,
               uaddr_t new_addr);
int mm_madvise(struct mm *mm, uaddr_t addr, uint64_t len, int advice);
int mm_mincore(struct mm *mm, uaddr_t addr, uint64_t len, uaddr_t vec);
int mm_msync(struct mm *mm, uaddr_t addr, uint64_t len, int flags);
/* brk(2): returns the new (or unchanged) break; never fails. */
uaddr_t mm_brk(struct mm *mm, uaddr_t addr);

/*
 * Sets the brk area to start at start (page-aligned after the loaded
 * image). Called by the loader.
 */
void mm_set_brk(struct mm *mm, uaddr_t start);

/*
 * Maps the initial stack: [top - size, top) with prot (read-write, plus
 * exec when PT_GNU_STACK asks for it), growing down up to the stack
 * rlimit. Called by the loader.
 */
int mm_map_stack(struct mm *mm, uaddr_t top, uint64_t size, int prot);

/*
 * Handles a fault the platform reported at addr. Returns true when it was
 * a stack growth that the mm carried out and the access can be retried;
 * false when the fault is the application's (SIGSEGV).
 */
bool mm_handle_fault(struct mm *mm, uaddr_t addr);

/*
 * Checks that [addr, addr+len) is mapped with at least prot. Returns 0 or
 * -EFAULT. len 0 always succeeds.
 */
int mm_check_access(struct mm *mm, uaddr_t addr, uint64_t len, int prot);

/*
 * Linux's access_ok(): [addr, addr + len) lies below the highest user
 * address, whatever is mapped there. read(2) and write(2) fail with EFAULT
 * up front when it does not.
 */
static inline bool mm_access_ok(uaddr_t addr, uint64_t len)
{
	return len <= LINUX_TASK_SIZE && addr <= LINUX_TASK_SIZE - len;
}

/*
 * Returns how many bytes from addr on (at most len) the application could
 * access with prot: the length of the accessible prefix. A read(2) reads
 * no more than this, so that, as on Linux, it consumes no input it cannot
 * store.
 */
uint64_t mm_access_prefix(struct mm *mm, uaddr_t addr, uint64_t len, int prot);

/*
 * Copies len bytes from guest addr into dst. Returns 0 or -EFAULT, in
 * which case dst may have been partly written.
 */
int mm_copy_in(struct mm *mm, void *dst, uaddr_t addr, size_t len);
/* Copies len bytes from src to guest addr. Returns 0 or -EFAULT. */
int mm_copy_out(struct mm *mm, uaddr_t addr, const void *src, size_t len);
/*
 * Copies a NUL-terminated string of at most max bytes (NUL included) into
 * dst. Returns its length without the NUL, -EFAULT, or -ENAMETOOLONG when
 * no NUL is found within max bytes.
 */
long mm_copy_string_in(struct mm *mm, char *dst, uaddr_t addr, size_t max);
/*
 * Copies up to len bytes from guest addr, stopping early at an
 * inaccessible page. Returns the bytes copied (for strace, which prints
 * what it can).
 */
size_t mm_copy_in_partial(struct mm *mm, void *dst, uaddr_t addr, size_t len);

/*
 * Writes the guest's mappings as /proc/PID/maps lines into buf.
 * Returns the length written (truncated to size).
 */
size_t mm_format_maps(struct mm *mm, char *buf, size_t size);

#endif /* SENTRY_MM_MM_H */
