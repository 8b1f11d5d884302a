/*
 * The VMA tree: the guest's mappings, as non-overlapping [start, end)
 * ranges kept in an intrusive balanced binary search tree (a red-black
 * tree, common/rbtree.h) ordered by start.
 *
 * Pure data structure: no locking (the mm's lock covers it), no host
 * calls. Each vma is heap-allocated by the tree operations that create
 * pieces (split) and freed by those that remove them.
 *
 * Merging: two vmas that touch (a->end == b->start) and have equal prot,
 * flags, kind, file and shared_id, and, unless private anonymous,
 * contiguous offsets (b->offset == a->offset + (a->end - a->start)), are
 * one mapping as far as the tree is concerned. vma_insert and
 * vma_protect_range merge them; vma_split_at deliberately leaves two.
 *
 * Addresses given to the operations that change the tree are page-aligned;
 * a misaligned one, or an insert over a range that is not free, is a
 * sentry bug and aborts (BUG_ON). Lookups take any address.
 *
 * Every operation that fails with -ENOMEM (or NULL) leaves the tree as it
 * was. Lookups are O(log n); operations over a range are O(log n + k) for
 * k vmas in it; vma_find_gap_topdown is O(log n + gaps visited).
 */
#ifndef SENTRY_MM_VMA_H
#define SENTRY_MM_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rbtree.h"
#include "common/util.h"

/* vma.flags */
#define VMA_SHARED    0x1u /* MAP_SHARED (else private) */
#define VMA_ANON      0x2u /* anonymous memory */
#define VMA_GROWSDOWN 0x4u /* MAP_GROWSDOWN: grows down on faults below it */
#define VMA_NORESERVE 0x8u
#define VMA_LOCKED    0x10u
#define VMA_NOWRITE   0x20u /* may never become writable: a shared map of a read-only file */
#define VMA_NOEXEC    0x40u /* may never become executable: a file on a noexec mount */

/* What /proc/PID/maps names the mapping. */
enum vma_kind {
	VMA_KIND_NONE,
	VMA_KIND_HEAP,  /* [heap]: the brk area */
	VMA_KIND_STACK, /* [stack]: the initial stack */
};

struct vma {
	struct rb_node node;
	uaddr_t start, end; /* page-aligned, start < end */
	int prot;           /* LINUX_PROT_READ | WRITE | EXEC */
	unsigned flags;     /* VMA_* */
	enum vma_kind kind;
	uint64_t offset; /* file offset of start, for maps */
	/*
	 * A file mapping: the file (a struct file of the VFS, opaque here),
	 * one reference per vma through the hooks below. NULL for memory.
	 */
	void *file;
	/*
	 * Shared anonymous memory (VMA_SHARED | VMA_ANON): the identity of the
	 * memory object, unique in the sandbox, given at mmap
	 * (vma_new_shared_id) and kept by every copy of the vma: its pieces
	 * after a split or mremap, and the child's vmas after fork (which
	 * copies every field). With offset (the object offset of start,
	 * kept contiguous as for files) it is the key by which processes
	 * sharing the memory meet on the same futex (sentry/kernel/futex.c).
	 * 0 for every other vma.
	 */
	uint64_t shared_id;
};

/* A new identity for a shared anonymous memory object (never 0). Any thread. */
uint64_t vma_new_shared_id(void);

/*
 * How the VMA tree holds files without knowing the VFS: the kernel sets
 * these once at start. describe writes the file's path for maps and its
 * device and inode numbers.
 */
struct vma_file_hooks {
	void (*get)(void *file);
	void (*put)(void *file);
	void (*describe)(void *file, char *buf, size_t size, uint32_t *dev, uint64_t *ino);
	/*
	 * The identity of the object whose pages back the file (its inode),
	 * as two numbers equal for every file open on that object: shared
	 * futexes in a file mapping are keyed by it and the offset.
	 */
	void (*identity)(void *file, uint64_t *id1, uint64_t *id2);
};
void vma_set_file_hooks(const struct vma_file_hooks *hooks);
extern const struct vma_file_hooks *g_vma_file_hooks;

struct vma_tree {
	struct rb_root root;
	size_t count;
	size_t max_count; /* vma_split_at fails beyond it (Linux's max_map_count); 0: none */
};

void vma_tree_init(struct vma_tree *tree);
/* Frees every vma; the tree is left empty and ready for use. */
void vma_tree_clear(struct vma_tree *tree);

/* The vma containing addr, or NULL. */
struct vma *vma_find(const struct vma_tree *tree, uaddr_t addr);
/* The first vma whose end is above addr (containing addr or after it), or NULL. */
struct vma *vma_find_first(const struct vma_tree *tree, uaddr_t addr);
struct vma *vma_first(const struct vma_tree *tree);
struct vma *vma_next(const struct vma *vma);
struct vma *vma_prev(const struct vma *vma);

/* True when no vma intersects [start, end) (so true when start >= end). */
bool vma_range_is_free(const struct vma_tree *tree, uaddr_t start, uaddr_t end);

/*
 * Inserts a copy of *tmpl covering [tmpl->start, tmpl->end), which must be
 * free, and merges it with neighbours that touch it and can merge (see
 * above). Returns the vma now covering the range, or NULL when out of
 * memory.
 */
struct vma *vma_insert(struct vma_tree *tree, const struct vma *tmpl);

/*
 * Makes addr a vma boundary: if a vma strictly contains addr, splits it
 * in two. Returns 0 or -ENOMEM.
 */
int vma_split_at(struct vma_tree *tree, uaddr_t addr);

/*
 * Undoes vma_split_at(addr): merges the vma that ends at addr with the one
 * that starts there when they can merge. Never allocates.
 */
void vma_merge_at(struct vma_tree *tree, uaddr_t addr);

/*
 * Removes and frees every part of every vma within [start, end), trimming
 * those that straddle an edge. Returns 0, or -ENOMEM only when the range
 * is strictly inside one vma (splitting it needs a new vma).
 */
int vma_remove_range(struct vma_tree *tree, uaddr_t start, uaddr_t end);

/*
 * Sets prot on every part of every vma within [start, end), splitting
 * those that straddle an edge (unless they already have prot), then merges
 * what became equal, including with the neighbours outside the range.
 * Holes in the range are skipped. Returns 0 or -ENOMEM.
 */
int vma_protect_range(struct vma_tree *tree, uaddr_t start, uaddr_t end, int prot);

/* True when [start, end) is entirely covered by vmas, with no hole (true when start >= end). */
bool vma_range_is_mapped(const struct vma_tree *tree, uaddr_t start, uaddr_t end);

/*
 * Finds the lowest free range of len bytes within [low, high) and stores
 * its start in *out; the same contract as vma_find_gap_topdown, with low
 * page-aligned. O(log n + vmas in the range).
 */
int vma_find_gap_bottomup(const struct vma_tree *tree, uint64_t len, uaddr_t low, uaddr_t high,
                          uaddr_t *out);

/*
 * Finds the highest free range of len bytes within [low, high) and stores
 * its (page-aligned) start in *out. Returns 0 or -ENOMEM when none fits,
 * including when low >= high or len > high - low. len is page-aligned and
 * non-zero; low and high need not be aligned (high may be UINT64_MAX).
 */
int vma_find_gap_topdown(const struct vma_tree *tree, uint64_t len, uaddr_t low, uaddr_t high,
                         uaddr_t *out);

#endif /* SENTRY_MM_VMA_H */
