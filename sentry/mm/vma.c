/*
 * The VMA tree (see vma.h): vmas in a red-black tree keyed by start.
 *
 * Because vmas never overlap, ordering by start also orders them by end,
 * so "the first vma whose end is above addr" is a plain lower-bound
 * search, and trimming a vma's start or end in place never moves it
 * among its neighbours: only splits and removals touch the tree's shape.
 *
 * Every operation that may split allocates what it needs before changing
 * anything, so -ENOMEM always leaves the tree as it was.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "common/abi/linux/errno.h"
#include "common/log.h"
#include "sentry/mm/vma.h"

static struct vma *vma_of(const struct rb_node *node)
{
	return node ? rb_entry(node, struct vma, node) : NULL;
}

void vma_tree_init(struct vma_tree *tree)
{
	tree->root = RB_ROOT;
	tree->count = 0;
}

const struct vma_file_hooks *g_vma_file_hooks;

void vma_set_file_hooks(const struct vma_file_hooks *hooks)
{
	g_vma_file_hooks = hooks;
}

static void vma_file_get(struct vma *vma)
{
	if (vma->file)
		g_vma_file_hooks->get(vma->file);
}

static void vma_free(struct vma *vma)
{
	if (vma->file)
		g_vma_file_hooks->put(vma->file);
	free(vma);
}

void vma_tree_clear(struct vma_tree *tree)
{
	struct rb_node *node = rb_first_postorder(&tree->root);

	/* Post-order: a node is freed only after both its children. */
	while (node) {
		struct rb_node *next = rb_next_postorder(node);

		vma_free(vma_of(node));
		node = next;
	}
	size_t max = tree->max_count;
	vma_tree_init(tree);
	tree->max_count = max;
}

struct vma *vma_find_first(const struct vma_tree *tree, uaddr_t addr)
{
	struct rb_node *node = tree->root.node;
	struct vma *best = NULL;

	while (node) {
		struct vma *vma = vma_of(node);

		if (vma->end > addr) {
			best = vma;
			node = node->left;
		} else {
			node = node->right;
		}
	}
	return best;
}

struct vma *vma_find(const struct vma_tree *tree, uaddr_t addr)
{
	struct vma *vma = vma_find_first(tree, addr);

	return vma && vma->start <= addr ? vma : NULL;
}

/* The last vma whose start is below addr, or NULL. */
static struct vma *vma_find_last_before(const struct vma_tree *tree, uaddr_t addr)
{
	struct rb_node *node = tree->root.node;
	struct vma *best = NULL;

	while (node) {
		struct vma *vma = vma_of(node);

		if (vma->start < addr) {
			best = vma;
			node = node->right;
		} else {
			node = node->left;
		}
	}
	return best;
}

struct vma *vma_first(const struct vma_tree *tree)
{
	return vma_of(rb_first(&tree->root));
}

struct vma *vma_next(const struct vma *vma)
{
	return vma_of(rb_next(&vma->node));
}

struct vma *vma_prev(const struct vma *vma)
{
	return vma_of(rb_prev(&vma->node));
}

bool vma_range_is_free(const struct vma_tree *tree, uaddr_t start, uaddr_t end)
{
	struct vma *vma;

	if (start >= end)
		return true;
	vma = vma_find_first(tree, start);
	return !vma || vma->start >= end;
}

bool vma_range_is_mapped(const struct vma_tree *tree, uaddr_t start, uaddr_t end)
{
	struct vma *vma = vma_find_first(tree, start);
	uaddr_t pos = start;

	while (pos < end) {
		if (!vma || vma->start > pos)
			return false;
		pos = vma->end;
		vma = vma_next(vma);
	}
	return true;
}

/* Links vma, whose range must be free, into the tree. */
static void vma_link(struct vma_tree *tree, struct vma *vma)
{
	struct rb_node **link = &tree->root.node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (vma->start < vma_of(parent)->start)
			link = &parent->left;
		else
			link = &parent->right;
	}
	rb_link_node(&vma->node, parent, link);
	rb_insert_fixup(&tree->root, &vma->node);
	tree->count++;
}

static void vma_unlink_free(struct vma_tree *tree, struct vma *vma)
{
	rb_erase(&tree->root, &vma->node);
	tree->count--;
	vma_free(vma);
}

/*
 * Whether b can be absorbed by a, which it must directly follow. Private
 * anonymous memory has no offset to keep contiguous (shared anonymous
 * memory has: its futex keys use it).
 */
static bool vma_can_merge(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->kind != b->kind || a->file != b->file || a->shared_id != b->shared_id)
		return false;
	return (a->flags & (VMA_ANON | VMA_SHARED)) == VMA_ANON ||
	       b->offset == a->offset + (a->end - a->start);
}

uint64_t vma_new_shared_id(void)
{
	static _Atomic uint64_t next = 1;
	return next++;
}

/* Merges vma with its successor when they can. Returns whether it did. */
static bool vma_merge_next(struct vma_tree *tree, struct vma *vma)
{
	struct vma *next = vma_next(vma);

	if (!next || !vma_can_merge(vma, next))
		return false;
	vma->end = next->end;
	vma_unlink_free(tree, next);
	return true;
}

/*
 * Splits vma at addr, strictly inside it, using upper (an allocated vma
 * not in the tree) for [addr, end). vma keeps [start, addr).
 */
static void vma_split_into(struct vma_tree *tree, struct vma *vma, uaddr_t addr, struct vma *upper)
{
	*upper = *vma;
	vma_file_get(upper);
	upper->start = addr;
	upper->offset = vma->offset + (addr - vma->start);
	vma->end = addr;
	vma_link(tree, upper);
}

struct vma *vma_insert(struct vma_tree *tree, const struct vma *tmpl)
{
	struct vma *next, *prev, *vma;

	BUG_ON(tmpl->start >= tmpl->end);
	BUG_ON(!is_page_aligned(tmpl->start) || !is_page_aligned(tmpl->end));
	/* The range is free, so this is the first vma at or after tmpl->end. */
	next = vma_find_first(tree, tmpl->start);
	BUG_ON(next && next->start < tmpl->end);
	prev = next ? vma_prev(next) : vma_of(rb_last(&tree->root));

	/* Grow a neighbour when possible: no allocation, so no failure. */
	if (prev && vma_can_merge(prev, tmpl)) {
		prev->end = tmpl->end;
		vma_merge_next(tree, prev);
		return prev;
	}
	if (next && vma_can_merge(tmpl, next)) {
		next->start = tmpl->start;
		next->offset = tmpl->offset;
		return next;
	}

	vma = malloc(sizeof(*vma));
	if (!vma)
		return NULL;
	*vma = *tmpl;
	vma_file_get(vma);
	vma_link(tree, vma);
	return vma;
}

int vma_split_at(struct vma_tree *tree, uaddr_t addr)
{
	struct vma *vma, *upper;

	BUG_ON(!is_page_aligned(addr));
	vma = vma_find(tree, addr);
	if (!vma || vma->start == addr)
		return 0;
	if (tree->max_count && tree->count >= tree->max_count)
		return -ENOMEM; /* __split_vma()'s map_count check */
	upper = malloc(sizeof(*upper));
	if (!upper)
		return -ENOMEM;
	vma_split_into(tree, vma, addr, upper);
	return 0;
}

void vma_merge_at(struct vma_tree *tree, uaddr_t addr)
{
	struct vma *upper = vma_find(tree, addr);
	if (!upper || upper->start != addr)
		return;
	struct vma *lower = vma_prev(upper);
	if (lower && lower->end == addr)
		vma_merge_next(tree, lower);
}

int vma_remove_range(struct vma_tree *tree, uaddr_t start, uaddr_t end)
{
	struct vma *vma, *next, *upper;

	if (start >= end)
		return 0;
	BUG_ON(!is_page_aligned(start) || !is_page_aligned(end));
	vma = vma_find_first(tree, start);
	if (!vma || vma->start >= end)
		return 0;

	if (vma->start < start && vma->end > end) {
		/* A hole in the middle of one vma: the only case that allocates. */
		upper = malloc(sizeof(*upper));
		if (!upper)
			return -ENOMEM;
		vma_split_into(tree, vma, end, upper);
		vma->end = start;
		return 0;
	}

	if (vma->start < start) {
		vma->end = start;
		vma = vma_next(vma);
	}
	while (vma && vma->start < end) {
		if (vma->end > end) {
			vma->offset += end - vma->start;
			vma->start = end;
			break;
		}
		next = vma_next(vma);
		vma_unlink_free(tree, vma);
		vma = next;
	}
	return 0;
}

int vma_protect_range(struct vma_tree *tree, uaddr_t start, uaddr_t end, int prot)
{
	struct vma *first, *last, *vma, *lower_spare = NULL, *upper_spare = NULL;

	if (start >= end)
		return 0;
	BUG_ON(!is_page_aligned(start) || !is_page_aligned(end));
	first = vma_find_first(tree, start);
	if (!first || first->start >= end)
		return 0;
	last = vma_find(tree, end);

	/*
	 * A vma that straddles an edge and already has prot needs no split.
	 * Allocate both pieces up front so that failure changes nothing.
	 */
	if (first->start < start && first->prot != prot) {
		lower_spare = malloc(sizeof(*lower_spare));
		if (!lower_spare)
			return -ENOMEM;
	}
	if (last && last->start < end && last->prot != prot) {
		upper_spare = malloc(sizeof(*upper_spare));
		if (!upper_spare) {
			free(lower_spare);
			return -ENOMEM;
		}
	}

	/* The upper split first: it keeps first as the lower piece when first == last. */
	if (upper_spare)
		vma_split_into(tree, last, end, upper_spare);
	if (lower_spare) {
		vma_split_into(tree, first, start, lower_spare);
		first = lower_spare;
	}

	for (vma = first; vma && vma->start < end; vma = vma_next(vma))
		vma->prot = prot;

	/* Merge every touching pair from first's predecessor to the vma after end. */
	vma = vma_prev(first);
	if (!vma)
		vma = first;
	while (vma && vma->start < end) {
		if (!vma_merge_next(tree, vma))
			vma = vma_next(vma);
	}
	return 0;
}

int vma_find_gap_topdown(const struct vma_tree *tree, uint64_t len, uaddr_t low, uaddr_t high,
                         uaddr_t *out)
{
	struct vma *vma;
	uaddr_t top = high, bottom, start;

	BUG_ON(len == 0 || !is_page_aligned(len));
	if (low >= high || len > high - low)
		return -ENOMEM;

	/*
	 * Walk the gaps from high down: the gap below top runs from the end
	 * of vma (the last one starting below top) up to top, clipped to
	 * [low, high). Nothing computes low + len, so nothing overflows.
	 */
	vma = vma_find_last_before(tree, high);
	for (;;) {
		bottom = vma ? MAX(vma->end, low) : low;
		if (top > bottom && top - bottom >= len) {
			start = page_round_down(top - len);
			if (start >= bottom) {
				*out = start;
				return 0;
			}
		}
		if (!vma || vma->start <= low)
			return -ENOMEM;
		top = vma->start;
		vma = vma_prev(vma);
	}
}

int vma_find_gap_bottomup(const struct vma_tree *tree, uint64_t len, uaddr_t low, uaddr_t high,
                          uaddr_t *out)
{
	BUG_ON(!is_page_aligned(low) || len == 0);
	if (low >= high || len > high - low)
		return -ENOMEM;
	uaddr_t cursor = low;
	for (struct vma *v = vma_find_first(tree, low); v && v->start < high; v = vma_next(v)) {
		if (v->start >= cursor && v->start - cursor >= len)
			break;
		if (v->end > cursor)
			cursor = v->end;
		if (cursor >= high)
			return -ENOMEM;
	}
	if (len > high - cursor)
		return -ENOMEM;
	*out = cursor;
	return 0;
}
