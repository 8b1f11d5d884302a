/*
 * Unit tests for sentry/mm/vma: directed cases for each operation and its
 * edges, injected allocation failures, and a randomized run compared page
 * by page against a simple model (an array of page states).
 *
 * vma.c is compiled into this file with malloc routed through
 * fail_malloc(), so that the tests can make any allocation fail and check
 * that -ENOMEM leaves the tree as it was. The library's copy of vma.c is
 * then never linked in, since this object already defines its symbols.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Allocations left before malloc fails; negative for never. */
static long g_malloc_budget = -1;
static void *fail_malloc(size_t size);

#define malloc fail_malloc
#include "sentry/mm/vma.c"
#undef malloc

static void *fail_malloc(size_t size)
{
	if (g_malloc_budget == 0)
		return NULL;
	if (g_malloc_budget > 0)
		g_malloc_budget--;
	return malloc(size);
}

#define BASE   0x10000000ULL
#define P(n)   (BASE + (uint64_t)(n)*PAGE_SIZE) /* address of page n */
#define PROT_R 0x1
#define PROT_W 0x2

/* Two files (the vmas hold them opaquely, through the no-op hooks below). */
static char g_lib_a[] = "/lib/a.so";
static char g_lib_a_copy[] = "/lib/a.so"; /* another file of the same name */

static void file_noop(void *file)
{
	(void)file;
}

static const struct vma_file_hooks g_noop_hooks = { .get = file_noop, .put = file_noop };

static struct vma anon(uaddr_t start, uaddr_t end, int prot)
{
	return (struct vma){ .start = start, .end = end, .prot = prot, .flags = VMA_ANON };
}

static struct vma file(uaddr_t start, uaddr_t end, int prot, char *f, uint64_t offset)
{
	return (struct vma){
		.start = start, .end = end, .prot = prot, .file = f, .offset = offset
	};
}

static struct vma *insert(struct vma_tree *tree, struct vma tmpl)
{
	struct vma *vma = vma_insert(tree, &tmpl);

	assert_non_null(vma);
	assert_true(vma->start <= tmpl.start && vma->end >= tmpl.end);
	return vma;
}

/* Checks the red-black invariants below node; returns its black height. */
static int check_rb(const struct rb_node *node, const struct rb_node *parent)
{
	int lh, rh;

	if (!node)
		return 1;
	assert_ptr_equal(node->parent, parent);
	if (node->red) {
		assert_false(node->left && node->left->red);
		assert_false(node->right && node->right->red);
	}
	lh = check_rb(node->left, node);
	rh = check_rb(node->right, node);
	assert_int_equal(lh, rh);
	return lh + !node->red;
}

/* Checks what must hold of every tree: shape, order, alignment, no overlap, count. */
static void check_tree(const struct vma_tree *tree)
{
	const struct vma *vma, *prev = NULL;
	size_t count = 0;

	assert_false(tree->root.node && tree->root.node->red);
	check_rb(tree->root.node, NULL);
	for (vma = vma_first(tree); vma; prev = vma, vma = vma_next(vma)) {
		assert_true(vma->start < vma->end);
		assert_true(is_page_aligned(vma->start) && is_page_aligned(vma->end));
		if (prev) {
			assert_true(prev->end <= vma->start);
			assert_ptr_equal(vma_prev(vma), prev);
		}
		count++;
	}
	assert_int_equal(count, tree->count);
}

struct span {
	uaddr_t start, end;
	int prot;
};

/* Checks the tree holds exactly the given vmas, in order. */
static void check_spans(const struct vma_tree *tree, const struct span *spans, size_t n)
{
	const struct vma *vma = vma_first(tree);
	size_t i;

	check_tree(tree);
	for (i = 0; i < n; i++, vma = vma_next(vma)) {
		assert_non_null(vma);
		assert_int_equal(vma->start, spans[i].start);
		assert_int_equal(vma->end, spans[i].end);
		assert_int_equal(vma->prot, spans[i].prot);
	}
	assert_null(vma);
	assert_int_equal(tree->count, n);
}

#define CHECK_SPANS(tree, ...)                                   \
	do {                                                     \
		const struct span spans_[] = { __VA_ARGS__ };    \
		check_spans((tree), spans_, ARRAY_SIZE(spans_)); \
	} while (0)

/* A copy of every vma, to check that a failed operation changed nothing. */
struct snapshot {
	struct vma *vmas;
	size_t count;
};

static struct snapshot take_snapshot(const struct vma_tree *tree)
{
	struct snapshot snap = { .vmas = calloc(tree->count + 1, sizeof(struct vma)) };
	const struct vma *vma;

	assert_non_null(snap.vmas);
	for (vma = vma_first(tree); vma; vma = vma_next(vma))
		snap.vmas[snap.count++] = *vma;
	return snap;
}

static void check_snapshot(const struct vma_tree *tree, struct snapshot *snap)
{
	const struct vma *vma = vma_first(tree);
	size_t i;

	check_tree(tree);
	assert_int_equal(tree->count, snap->count);
	for (i = 0; i < snap->count; i++, vma = vma_next(vma)) {
		const struct vma *old = &snap->vmas[i];

		assert_non_null(vma);
		assert_int_equal(vma->start, old->start);
		assert_int_equal(vma->end, old->end);
		assert_int_equal(vma->prot, old->prot);
		assert_int_equal(vma->flags, old->flags);
		assert_int_equal(vma->kind, old->kind);
		assert_ptr_equal(vma->file, old->file);
		assert_int_equal(vma->offset, old->offset);
	}
	free(snap->vmas);
	snap->vmas = NULL;
}

static void test_empty(void **state)
{
	struct vma_tree tree;
	uaddr_t out;

	vma_tree_init(&tree);
	check_tree(&tree);
	assert_null(vma_first(&tree));
	assert_null(vma_find(&tree, P(0)));
	assert_null(vma_find_first(&tree, 0));
	assert_true(vma_range_is_free(&tree, 0, UINT64_MAX));
	assert_false(vma_range_is_mapped(&tree, P(0), P(1)));
	assert_true(vma_range_is_mapped(&tree, P(1), P(1)));
	assert_int_equal(vma_split_at(&tree, P(0)), 0);
	assert_int_equal(vma_remove_range(&tree, P(0), P(10)), 0);
	assert_int_equal(vma_protect_range(&tree, P(0), P(10), PROT_R), 0);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(0), P(10), &out), 0);
	assert_int_equal(out, P(9));
	vma_tree_clear(&tree);
	check_tree(&tree);
}

static void test_insert_merge(void **state)
{
	struct vma_tree tree;
	struct vma *a, *b;

	vma_tree_init(&tree);
	a = insert(&tree, anon(P(0), P(2), PROT_R));
	b = insert(&tree, anon(P(4), P(6), PROT_R));
	assert_ptr_not_equal(a, b);
	CHECK_SPANS(&tree, { P(0), P(2), PROT_R }, { P(4), P(6), PROT_R });

	/* Filling the hole merges all three into the first vma. */
	assert_ptr_equal(insert(&tree, anon(P(2), P(4), PROT_R)), a);
	CHECK_SPANS(&tree, { P(0), P(6), PROT_R });

	/* Touching but different prot: no merge. */
	insert(&tree, anon(P(6), P(8), PROT_R | PROT_W));
	CHECK_SPANS(&tree, { P(0), P(6), PROT_R }, { P(6), P(8), PROT_R | PROT_W });

	/* Merge with the following vma only: it grows down. */
	b = insert(&tree, anon(P(10), P(12), PROT_R));
	assert_ptr_equal(insert(&tree, anon(P(9), P(10), PROT_R)), b);
	assert_int_equal(b->start, P(9));
	CHECK_SPANS(&tree, { P(0), P(6), PROT_R }, { P(6), P(8), PROT_R | PROT_W },
	            { P(9), P(12), PROT_R });
	vma_tree_clear(&tree);

	/* Flags and kind must match too. */
	{
		struct vma shared = anon(P(2), P(4), PROT_R), heap = anon(P(4), P(6), PROT_R);

		shared.flags |= VMA_SHARED;
		heap.kind = VMA_KIND_HEAP;
		insert(&tree, anon(P(0), P(2), PROT_R));
		insert(&tree, shared);
		insert(&tree, heap);
		assert_int_equal(tree.count, 3);
		vma_tree_clear(&tree);
	}

	/* Shared anonymous memory merges only within one object, at contiguous offsets. */
	{
		struct vma x = anon(P(0), P(1), PROT_R), y = anon(P(1), P(2), PROT_R);

		x.flags = y.flags = VMA_ANON | VMA_SHARED;
		x.shared_id = 1;
		y.shared_id = 2;
		y.offset = PAGE_SIZE;
		insert(&tree, x);
		insert(&tree, y);
		assert_int_equal(tree.count, 2);
		vma_tree_clear(&tree);
		y.shared_id = 1;
		y.offset = 0;
		insert(&tree, x);
		insert(&tree, y);
		assert_int_equal(tree.count, 2);
		vma_tree_clear(&tree);
		y.offset = PAGE_SIZE;
		insert(&tree, x);
		insert(&tree, y);
		assert_int_equal(tree.count, 1);
		vma_tree_clear(&tree);
	}

	/* Private anonymous vmas merge whatever their offsets. */
	{
		struct vma x = anon(P(0), P(1), PROT_R), y = anon(P(1), P(2), PROT_R);

		x.offset = 0x1000;
		y.offset = 0x9000;
		insert(&tree, x);
		insert(&tree, y);
		CHECK_SPANS(&tree, { P(0), P(2), PROT_R });
		vma_tree_clear(&tree);
	}
}

static void test_insert_merge_file(void **state)
{
	struct vma_tree tree;
	struct vma *vma;

	vma_tree_init(&tree);
	/* Contiguous offsets merge, in either order of insertion. */
	insert(&tree, file(P(0), P(2), PROT_R, g_lib_a, 0));
	insert(&tree, file(P(4), P(6), PROT_R, g_lib_a, 4 * PAGE_SIZE));
	vma = insert(&tree, file(P(2), P(4), PROT_R, g_lib_a, 2 * PAGE_SIZE));
	CHECK_SPANS(&tree, { P(0), P(6), PROT_R });
	assert_int_equal(vma->offset, 0);
	vma_tree_clear(&tree);

	/* Growing down takes the new offset. */
	insert(&tree, file(P(4), P(6), PROT_R, g_lib_a, 7 * PAGE_SIZE));
	vma = insert(&tree, file(P(3), P(4), PROT_R, g_lib_a, 6 * PAGE_SIZE));
	CHECK_SPANS(&tree, { P(3), P(6), PROT_R });
	assert_int_equal(vma->offset, 6 * PAGE_SIZE);
	vma_tree_clear(&tree);

	/* Non-contiguous offsets, or another file, keep them apart. */
	insert(&tree, file(P(0), P(2), PROT_R, g_lib_a, 0));
	insert(&tree, file(P(2), P(4), PROT_R, g_lib_a, 0));
	insert(&tree, file(P(4), P(6), PROT_R, g_lib_a_copy, 4 * PAGE_SIZE));
	insert(&tree, file(P(6), P(8), PROT_R, NULL, 6 * PAGE_SIZE));
	assert_int_equal(tree.count, 4);
	check_tree(&tree);
	vma_tree_clear(&tree);
}

static void test_find(void **state)
{
	struct vma_tree tree;
	struct vma *a, *b, *c;

	vma_tree_init(&tree);
	a = insert(&tree, anon(P(2), P(4), PROT_R));
	b = insert(&tree, anon(P(6), P(8), PROT_R));
	c = insert(&tree, anon(P(8), P(9), PROT_W)); /* touches b */

	assert_null(vma_find(&tree, P(0)));
	assert_null(vma_find(&tree, P(2) - 1));
	assert_ptr_equal(vma_find(&tree, P(2)), a);
	assert_ptr_equal(vma_find(&tree, P(4) - 1), a);
	assert_null(vma_find(&tree, P(4)));
	assert_ptr_equal(vma_find(&tree, P(8) - 1), b);
	assert_ptr_equal(vma_find(&tree, P(8)), c);
	assert_null(vma_find(&tree, P(9)));

	assert_ptr_equal(vma_find_first(&tree, 0), a);
	assert_ptr_equal(vma_find_first(&tree, P(3)), a);
	assert_ptr_equal(vma_find_first(&tree, P(4)), b);
	assert_ptr_equal(vma_find_first(&tree, P(7) + 5), b);
	assert_ptr_equal(vma_find_first(&tree, P(8)), c);
	assert_null(vma_find_first(&tree, P(9)));
	assert_null(vma_find_first(&tree, UINT64_MAX));

	assert_ptr_equal(vma_first(&tree), a);
	assert_ptr_equal(vma_next(a), b);
	assert_ptr_equal(vma_next(b), c);
	assert_null(vma_next(c));
	assert_ptr_equal(vma_prev(c), b);
	assert_ptr_equal(vma_prev(b), a);
	assert_null(vma_prev(a));
	vma_tree_clear(&tree);
}

static void test_range_is_free_mapped(void **state)
{
	struct vma_tree tree;

	vma_tree_init(&tree);
	insert(&tree, anon(P(2), P(4), PROT_R));
	insert(&tree, anon(P(4), P(6), PROT_W));
	insert(&tree, anon(P(8), P(10), PROT_R));

	assert_true(vma_range_is_free(&tree, P(0), P(2)));
	assert_false(vma_range_is_free(&tree, P(0), P(2) + 1));
	assert_true(vma_range_is_free(&tree, P(6), P(8)));
	assert_false(vma_range_is_free(&tree, P(5), P(8)));
	assert_false(vma_range_is_free(&tree, P(6), P(9)));
	assert_false(vma_range_is_free(&tree, P(0), P(20)));
	assert_true(vma_range_is_free(&tree, P(10), UINT64_MAX));
	assert_true(vma_range_is_free(&tree, P(3), P(3))); /* empty */

	assert_true(vma_range_is_mapped(&tree, P(2), P(6))); /* across a boundary */
	assert_true(vma_range_is_mapped(&tree, P(3), P(5)));
	assert_false(vma_range_is_mapped(&tree, P(2), P(7)));
	assert_false(vma_range_is_mapped(&tree, P(5), P(9))); /* hole in the middle */
	assert_false(vma_range_is_mapped(&tree, P(1), P(3)));
	assert_true(vma_range_is_mapped(&tree, P(8), P(10)));
	assert_false(vma_range_is_mapped(&tree, P(8), P(11)));
	assert_true(vma_range_is_mapped(&tree, P(7), P(7))); /* empty */
	vma_tree_clear(&tree);
}

static void test_split_at(void **state)
{
	struct vma_tree tree;
	struct vma *lo, *hi;

	vma_tree_init(&tree);
	lo = insert(&tree, file(P(0), P(8), PROT_R, g_lib_a, 16 * PAGE_SIZE));

	/* Boundaries and holes: nothing to do. */
	assert_int_equal(vma_split_at(&tree, P(0)), 0);
	assert_int_equal(vma_split_at(&tree, P(8)), 0);
	assert_int_equal(vma_split_at(&tree, P(20)), 0);
	assert_int_equal(tree.count, 1);

	assert_int_equal(vma_split_at(&tree, P(3)), 0);
	CHECK_SPANS(&tree, { P(0), P(3), PROT_R }, { P(3), P(8), PROT_R });
	hi = vma_next(lo);
	assert_ptr_equal(vma_find(&tree, P(2)), lo);
	assert_ptr_equal(vma_find(&tree, P(3)), hi);
	assert_int_equal(lo->offset, 16 * PAGE_SIZE);
	assert_int_equal(hi->offset, 19 * PAGE_SIZE);
	assert_ptr_equal(hi->file, g_lib_a);

	/* Splitting is not undone by a split elsewhere... */
	assert_int_equal(vma_split_at(&tree, P(5)), 0);
	CHECK_SPANS(&tree, { P(0), P(3), PROT_R }, { P(3), P(5), PROT_R }, { P(5), P(8), PROT_R });
	/* ...but a protect over the pieces merges them back. */
	assert_int_equal(vma_protect_range(&tree, P(0), P(8), PROT_R), 0);
	CHECK_SPANS(&tree, { P(0), P(8), PROT_R });
	vma_tree_clear(&tree);
}

/* vma_merge_at undoes a split, and only merges what may merge. */
static void test_merge_at(void **state)
{
	struct vma_tree tree;

	vma_tree_init(&tree);
	insert(&tree, anon(P(0), P(8), PROT_R));
	assert_int_equal(vma_split_at(&tree, P(3)), 0);
	assert_int_equal(vma_split_at(&tree, P(5)), 0);
	assert_int_equal(tree.count, 3);
	vma_merge_at(&tree, P(3));
	CHECK_SPANS(&tree, { P(0), P(5), PROT_R }, { P(5), P(8), PROT_R });
	vma_merge_at(&tree, P(5));
	CHECK_SPANS(&tree, { P(0), P(8), PROT_R });
	/* Not a boundary, a hole, or the edges: nothing to do. */
	vma_merge_at(&tree, P(4));
	vma_merge_at(&tree, P(0));
	vma_merge_at(&tree, P(8));
	vma_merge_at(&tree, P(20));
	CHECK_SPANS(&tree, { P(0), P(8), PROT_R });
	/* Different protections stay apart. */
	insert(&tree, anon(P(8), P(10), PROT_R | PROT_W));
	vma_merge_at(&tree, P(8));
	CHECK_SPANS(&tree, { P(0), P(8), PROT_R }, { P(8), P(10), PROT_R | PROT_W });
	vma_tree_clear(&tree);
}

static void test_remove_range(void **state)
{
	struct vma_tree tree;
	struct vma *vma;

	vma_tree_init(&tree);
	insert(&tree, file(P(0), P(4), PROT_R, g_lib_a, 0));
	insert(&tree, anon(P(6), P(10), PROT_R));
	insert(&tree, file(P(12), P(16), PROT_R, g_lib_a, 12 * PAGE_SIZE));

	/* Empty and free ranges change nothing. */
	assert_int_equal(vma_remove_range(&tree, P(5), P(5)), 0);
	assert_int_equal(vma_remove_range(&tree, P(4), P(6)), 0);
	assert_int_equal(vma_remove_range(&tree, P(20), P(30)), 0);
	assert_int_equal(tree.count, 3);

	/* Across three vmas, cutting the first and last partially. */
	assert_int_equal(vma_remove_range(&tree, P(2), P(14)), 0);
	CHECK_SPANS(&tree, { P(0), P(2), PROT_R }, { P(14), P(16), PROT_R });
	vma = vma_find(&tree, P(14));
	assert_int_equal(vma->offset, 14 * PAGE_SIZE);
	assert_int_equal(vma_first(&tree)->offset, 0);

	/* A hole in one vma. */
	insert(&tree, file(P(20), P(30), PROT_R, g_lib_a, 0));
	assert_int_equal(vma_remove_range(&tree, P(22), P(25)), 0);
	CHECK_SPANS(&tree, { P(0), P(2), PROT_R }, { P(14), P(16), PROT_R },
	            { P(20), P(22), PROT_R }, { P(25), P(30), PROT_R });
	assert_int_equal(vma_find(&tree, P(25))->offset, 5 * PAGE_SIZE);

	/* Exact vma, then the head and the tail of others. */
	assert_int_equal(vma_remove_range(&tree, P(14), P(16)), 0);
	assert_int_equal(vma_remove_range(&tree, P(20), P(21)), 0);
	assert_int_equal(vma_remove_range(&tree, P(29), P(40)), 0);
	CHECK_SPANS(&tree, { P(0), P(2), PROT_R }, { P(21), P(22), PROT_R },
	            { P(25), P(29), PROT_R });
	assert_int_equal(vma_find(&tree, P(21))->offset, 1 * PAGE_SIZE);
	assert_int_equal(vma_find(&tree, P(25))->offset, 5 * PAGE_SIZE);

	/* Everything. */
	assert_int_equal(vma_remove_range(&tree, 0, UINT64_MAX & PAGE_MASK), 0);
	check_spans(&tree, NULL, 0);
	vma_tree_clear(&tree);
}

static void test_protect_range(void **state)
{
	const int rw = PROT_R | PROT_W;
	struct vma_tree tree;

	vma_tree_init(&tree);
	insert(&tree, file(P(0), P(10), PROT_R, g_lib_a, 0));

	/* A piece in the middle: split in three, then merge back. */
	assert_int_equal(vma_protect_range(&tree, P(3), P(5), rw), 0);
	CHECK_SPANS(&tree, { P(0), P(3), PROT_R }, { P(3), P(5), rw }, { P(5), P(10), PROT_R });
	assert_int_equal(vma_find(&tree, P(3))->offset, 3 * PAGE_SIZE);
	assert_int_equal(vma_find(&tree, P(5))->offset, 5 * PAGE_SIZE);
	assert_int_equal(vma_protect_range(&tree, P(3), P(5), PROT_R), 0);
	CHECK_SPANS(&tree, { P(0), P(10), PROT_R });
	assert_int_equal(vma_first(&tree)->offset, 0);

	/* Same prot: no split at all. */
	assert_int_equal(vma_protect_range(&tree, P(2), P(4), PROT_R), 0);
	CHECK_SPANS(&tree, { P(0), P(10), PROT_R });

	/* Edges: the head, then the tail, then both joined. */
	assert_int_equal(vma_protect_range(&tree, P(0), P(2), rw), 0);
	assert_int_equal(vma_protect_range(&tree, P(8), P(10), rw), 0);
	CHECK_SPANS(&tree, { P(0), P(2), rw }, { P(2), P(8), PROT_R }, { P(8), P(10), rw });
	assert_int_equal(vma_protect_range(&tree, P(1), P(9), rw), 0);
	CHECK_SPANS(&tree, { P(0), P(10), rw });

	/* Across holes and several vmas, cutting partially at both ends. */
	insert(&tree, anon(P(12), P(14), PROT_R));
	insert(&tree, anon(P(16), P(20), 0));
	assert_int_equal(vma_protect_range(&tree, P(5), P(18), PROT_R), 0);
	CHECK_SPANS(&tree, { P(0), P(5), rw }, { P(5), P(10), PROT_R }, { P(12), P(14), PROT_R },
	            { P(16), P(18), PROT_R }, { P(18), P(20), 0 });
	/* Ranges entirely in holes do nothing. */
	assert_int_equal(vma_protect_range(&tree, P(10), P(12), 0), 0);
	assert_int_equal(vma_protect_range(&tree, P(30), P(40), 0), 0);
	assert_int_equal(tree.count, 5);
	/* Everything to one prot: the holes keep three vmas apart. */
	assert_int_equal(vma_protect_range(&tree, 0, P(100), PROT_R), 0);
	CHECK_SPANS(&tree, { P(0), P(10), PROT_R }, { P(12), P(14), PROT_R },
	            { P(16), P(20), PROT_R });
	vma_tree_clear(&tree);
}

/* The lowest gap that fits, at the edges of the range and of the vmas. */
static void test_gap_bottomup(void **state)
{
	struct vma_tree tree;
	uaddr_t out = 0;

	vma_tree_init(&tree);
	/* Empty tree: the range's start; too small or empty ranges fail. */
	assert_int_equal(vma_find_gap_bottomup(&tree, ((2) * PAGE_SIZE), P(0), P(10), &out), 0);
	assert_int_equal(out, P(0));
	assert_int_equal(vma_find_gap_bottomup(&tree, ((11) * PAGE_SIZE), P(0), P(10), &out),
	                 -ENOMEM);
	assert_int_equal(vma_find_gap_bottomup(&tree, ((1) * PAGE_SIZE), P(10), P(10), &out),
	                 -ENOMEM);

	/* [0,2) used, [2,3) free, [3,5) used, [5,10) free. */
	insert(&tree, anon(P(0), P(2), PROT_R));
	insert(&tree, anon(P(3), P(5), PROT_W));
	assert_int_equal(vma_find_gap_bottomup(&tree, ((1) * PAGE_SIZE), P(0), P(10), &out), 0);
	assert_int_equal(out, P(2));
	assert_int_equal(vma_find_gap_bottomup(&tree, ((2) * PAGE_SIZE), P(0), P(10), &out), 0);
	assert_int_equal(out, P(5));
	/* A start inside a vma begins at its end; the range's end bounds the gap. */
	assert_int_equal(vma_find_gap_bottomup(&tree, ((1) * PAGE_SIZE), P(1), P(10), &out), 0);
	assert_int_equal(out, P(2));
	assert_int_equal(vma_find_gap_bottomup(&tree, ((5) * PAGE_SIZE), P(0), P(10), &out), 0);
	assert_int_equal(out, P(5));
	assert_int_equal(vma_find_gap_bottomup(&tree, ((6) * PAGE_SIZE), P(0), P(10), &out),
	                 -ENOMEM);
	assert_int_equal(vma_find_gap_bottomup(&tree, ((2) * PAGE_SIZE), P(0), P(6), &out),
	                 -ENOMEM);
	assert_int_equal(vma_find_gap_bottomup(&tree, ((1) * PAGE_SIZE), P(0), P(3), &out), 0);
	assert_int_equal(out, P(2));
	vma_tree_clear(&tree);
}

static void test_gap_topdown(void **state)
{
	const uaddr_t top = UINT64_MAX & PAGE_MASK;
	struct vma_tree tree;
	uaddr_t out = 0;

	vma_tree_init(&tree);
	/* Empty tree: the top of the range, down to exactly len. */
	assert_int_equal(vma_find_gap_topdown(&tree, 4 * PAGE_SIZE, P(0), P(4), &out), 0);
	assert_int_equal(out, P(0));
	assert_int_equal(vma_find_gap_topdown(&tree, 5 * PAGE_SIZE, P(0), P(4), &out), -ENOMEM);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(4), P(4), &out), -ENOMEM);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(5), P(4), &out), -ENOMEM);
	/* Unaligned bounds: an aligned start inside them. */
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(0) + 1, P(2) + 5, &out), 0);
	assert_int_equal(out, P(1));
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(0) + 1, P(2) - 1, &out), -ENOMEM);
	/* The ends of the address space: no overflow of low + len or high - len. */
	assert_int_equal(
	        vma_find_gap_topdown(&tree, 2 * PAGE_SIZE, top - PAGE_SIZE, UINT64_MAX, &out),
	        -ENOMEM);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, top - PAGE_SIZE, UINT64_MAX, &out),
	                 0);
	assert_int_equal(out, top - PAGE_SIZE);
	assert_int_equal(vma_find_gap_topdown(&tree, top, 0, UINT64_MAX, &out), 0);
	assert_int_equal(out, 0);
	assert_int_equal(vma_find_gap_topdown(&tree, top, PAGE_SIZE, UINT64_MAX, &out), -ENOMEM);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, 0, PAGE_SIZE, &out), 0);
	assert_int_equal(out, 0);

	/* [0,2) [4,6) [7,8) [10,12): gaps [2,4) [6,7) [8,10) and above 12. */
	insert(&tree, anon(P(0), P(2), PROT_R));
	insert(&tree, anon(P(4), P(6), PROT_R));
	insert(&tree, anon(P(7), P(8), PROT_W));
	insert(&tree, anon(P(10), P(12), PROT_R));
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(0), P(12), &out), 0);
	assert_int_equal(out, P(9));
	/* A gap of exactly len, skipping a smaller one above it... */
	assert_int_equal(vma_find_gap_topdown(&tree, 2 * PAGE_SIZE, P(0), P(8), &out), 0);
	assert_int_equal(out, P(2));
	assert_int_equal(vma_find_gap_topdown(&tree, 2 * PAGE_SIZE, P(0), P(12), &out), 0);
	assert_int_equal(out, P(8));
	/* ...and none large enough. */
	assert_int_equal(vma_find_gap_topdown(&tree, 3 * PAGE_SIZE, P(0), P(12), &out), -ENOMEM);
	/* high inside a vma, low inside a vma. */
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(0), P(11), &out), 0);
	assert_int_equal(out, P(9));
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(5), P(7), &out), 0);
	assert_int_equal(out, P(6));
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(5), P(6), &out), -ENOMEM);
	/* low cuts a gap: only its part above low counts. */
	assert_int_equal(vma_find_gap_topdown(&tree, 2 * PAGE_SIZE, P(3), P(8), &out), -ENOMEM);
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(3), P(4), &out), 0);
	assert_int_equal(out, P(3));
	/* Range entirely inside one vma. */
	assert_int_equal(vma_find_gap_topdown(&tree, PAGE_SIZE, P(10), P(12), &out), -ENOMEM);
	/* Above every vma. */
	assert_int_equal(vma_find_gap_topdown(&tree, 3 * PAGE_SIZE, P(0), P(100), &out), 0);
	assert_int_equal(out, P(97));
	assert_int_equal(vma_find_gap_topdown(&tree, 88 * PAGE_SIZE, P(0), P(100), &out), 0);
	assert_int_equal(out, P(12));
	assert_int_equal(vma_find_gap_topdown(&tree, 89 * PAGE_SIZE, P(0), P(100), &out), -ENOMEM);
	vma_tree_clear(&tree);

	/* A vma at the very top of the address space. */
	insert(&tree, anon(top - PAGE_SIZE, top, PROT_R));
	assert_int_equal(
	        vma_find_gap_topdown(&tree, PAGE_SIZE, top - 2 * PAGE_SIZE, UINT64_MAX, &out), 0);
	assert_int_equal(out, top - 2 * PAGE_SIZE);
	vma_tree_clear(&tree);
}

/* Every operation that needs an allocation fails cleanly, and the others do not need one. */
static void test_enomem(void **state)
{
	struct vma_tree tree;
	struct snapshot snap;
	struct vma tmpl;

	vma_tree_init(&tree);
	insert(&tree, file(P(0), P(10), PROT_R, g_lib_a, 0));
	insert(&tree, anon(P(20), P(30), PROT_R));

	g_malloc_budget = 0;
	snap = take_snapshot(&tree);
	assert_int_equal(vma_split_at(&tree, P(5)), -ENOMEM);
	assert_int_equal(vma_remove_range(&tree, P(2), P(4)), -ENOMEM);
	assert_int_equal(vma_protect_range(&tree, P(2), P(4), PROT_W), -ENOMEM);
	assert_int_equal(vma_protect_range(&tree, P(2), P(25), PROT_W), -ENOMEM);
	tmpl = anon(P(40), P(41), PROT_R);
	assert_null(vma_insert(&tree, &tmpl));
	check_snapshot(&tree, &snap);

	/* Two splits needed, only one allocation available: the first is given back. */
	g_malloc_budget = 1;
	snap = take_snapshot(&tree);
	assert_int_equal(vma_protect_range(&tree, P(2), P(4), PROT_W), -ENOMEM);
	assert_int_equal(vma_protect_range(&tree, P(5), P(25), PROT_W), -ENOMEM);
	check_snapshot(&tree, &snap);

	/* No allocation needed: these succeed with none available. */
	g_malloc_budget = 0;
	insert(&tree, anon(P(30), P(31), PROT_R));                          /* grows a vma up */
	insert(&tree, anon(P(19), P(20), PROT_R));                          /* and down */
	insert(&tree, file(P(10), P(11), PROT_R, g_lib_a, 10 * PAGE_SIZE)); /* file, up */
	assert_int_equal(vma_split_at(&tree, P(19)), 0);                    /* a boundary */
	assert_int_equal(vma_remove_range(&tree, P(0), P(2)), 0);           /* a head */
	assert_int_equal(vma_remove_range(&tree, P(9), P(21)), 0);          /* tail, head */
	assert_int_equal(vma_protect_range(&tree, P(3), P(5), PROT_R), 0);  /* same prot */
	assert_int_equal(vma_protect_range(&tree, P(2), P(9), PROT_W), 0);  /* whole vma */
	assert_int_equal(vma_protect_range(&tree, P(21), P(31), PROT_W), 0);
	CHECK_SPANS(&tree, { P(2), P(9), PROT_W }, { P(21), P(31), PROT_W });
	g_malloc_budget = -1;
	vma_tree_clear(&tree);
}

static void test_clear_many(void **state)
{
	struct vma_tree tree;
	int i;

	vma_tree_init(&tree);
	/* Alternate prots so that nothing merges. */
	for (i = 0; i < 1000; i++)
		insert(&tree, anon(P(i), P(i + 1), i % 2 ? PROT_R : PROT_W));
	check_tree(&tree);
	assert_int_equal(tree.count, 1000);
	vma_tree_clear(&tree);
	check_tree(&tree);
	assert_null(vma_first(&tree));
}

/*
 * The randomized test: a model of NPAGES pages from BASE, each either
 * unmapped or carrying the attributes of the vma that should cover it.
 */
enum { NPAGES = 48 };

struct page_state {
	bool mapped;
	int prot;
	unsigned flags;
	enum vma_kind kind;
	void *file;
	uint64_t offset; /* of this page; meaningless for anonymous pages */
};

struct model {
	struct page_state pages[NPAGES];
};

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

static uint64_t rng_next(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

/* The page's state, or an unmapped one outside the model. */
static struct page_state model_page(const struct model *m, uaddr_t addr)
{
	struct page_state none = { .mapped = false };

	if (addr < BASE || addr >= P(NPAGES))
		return none;
	return m->pages[(addr - BASE) / PAGE_SIZE];
}

static bool model_same_vma(const struct page_state *a, const struct page_state *b)
{
	return a->mapped && b->mapped && a->prot == b->prot && a->flags == b->flags &&
	       a->kind == b->kind && a->file == b->file &&
	       ((a->flags & (VMA_ANON | VMA_SHARED)) == VMA_ANON ||
	        b->offset == a->offset + PAGE_SIZE);
}

/* A random template over [start, end), with few enough variants that merges happen. */
static struct vma random_tmpl(uaddr_t start, uaddr_t end)
{
	static char *const files[] = { NULL, g_lib_a, g_lib_a_copy };
	struct vma tmpl = { .start = start, .end = end };

	tmpl.prot = rng_below(2) ? PROT_R : PROT_R | PROT_W;
	switch (rng_below(4)) {
	case 0:
	case 1:
		tmpl.flags = VMA_ANON;
		/* Anonymous offsets must not matter. */
		tmpl.offset = rng_below(2) * 0x100000;
		break;
	case 2:
		tmpl.flags = VMA_ANON | VMA_SHARED;
		tmpl.kind = rng_below(2) ? VMA_KIND_NONE : VMA_KIND_HEAP;
		/* Shared memory keeps its offsets contiguous (futex keys): as files. */
		tmpl.offset = start - BASE + (rng_below(2) ? 0 : 5 * PAGE_SIZE);
		break;
	default:
		tmpl.file = files[rng_below(ARRAY_SIZE(files))];
		/* Offset tied to the address, or not: contiguous half the time. */
		tmpl.offset = start - BASE + (rng_below(2) ? 0 : 5 * PAGE_SIZE);
		break;
	}
	return tmpl;
}

/*
 * Checks the tree against the model: every vma's pages carry its
 * attributes, every mapped page is covered, and the vmas are the model's
 * maximal runs; with splits allowed, they must coalesce into those runs.
 */
static void check_model(const struct vma_tree *tree, const struct model *m, bool maximal)
{
	const struct vma *vma;
	struct page_state prev = { .mapped = false };
	size_t covered = 0, mapped = 0, runs = 0, coalesced = 0;
	uaddr_t addr;
	int i;

	check_tree(tree);
	for (vma = vma_first(tree); vma; vma = vma_next(vma)) {
		const struct vma *next = vma_next(vma);

		assert_true(vma->start >= BASE && vma->end <= P(NPAGES));
		for (addr = vma->start; addr < vma->end; addr += PAGE_SIZE) {
			struct page_state pg = model_page(m, addr);

			assert_true(pg.mapped);
			assert_int_equal(pg.prot, vma->prot);
			assert_int_equal(pg.flags, vma->flags);
			assert_int_equal(pg.kind, vma->kind);
			assert_ptr_equal(pg.file, vma->file);
			if (!(vma->flags & VMA_ANON))
				assert_int_equal(pg.offset, vma->offset + (addr - vma->start));
			covered++;
		}
		if (maximal && next)
			assert_false(vma_can_merge(vma, next));
		if (!next || !vma_can_merge(vma, next))
			coalesced++;
	}
	for (i = 0; i < NPAGES; i++) {
		if (!m->pages[i].mapped) {
			prev = m->pages[i];
			continue;
		}
		mapped++;
		if (!model_same_vma(&prev, &m->pages[i]))
			runs++;
		prev = m->pages[i];
	}
	assert_int_equal(covered, mapped);
	assert_int_equal(coalesced, runs);
	if (maximal)
		assert_int_equal(tree->count, runs);
}

/* Random queries, each compared with a brute-force answer from the model. */
static void check_queries(const struct vma_tree *tree, const struct model *m)
{
	/* Addresses from two pages below the model to two above it. */
	const uint64_t span = (NPAGES + 4) * PAGE_SIZE;
	uaddr_t addr, start, end, low, high, len, out, s, a;
	const struct vma *vma;
	bool is_free, is_mapped;
	int ret, expect;

	addr = BASE - 2 * PAGE_SIZE + rng_below(span);
	vma = vma_find(tree, addr);
	assert_int_equal(vma != NULL, model_page(m, addr).mapped);
	if (vma)
		assert_true(vma->start <= addr && addr < vma->end);

	/* The first vma ending above addr is the one holding the first mapped page from addr's. */
	vma = vma_find_first(tree, addr);
	for (a = addr & PAGE_MASK; a < P(NPAGES) && !model_page(m, a).mapped; a += PAGE_SIZE)
		;
	if (a >= P(NPAGES)) {
		assert_null(vma);
	} else {
		assert_non_null(vma);
		assert_true(vma->start <= a && a < vma->end);
	}

	start = BASE - 2 * PAGE_SIZE + rng_below(span) / PAGE_SIZE * PAGE_SIZE;
	end = start + rng_below(12) * PAGE_SIZE;
	is_free = true;
	is_mapped = true;
	for (a = start; a < end; a += PAGE_SIZE) {
		if (model_page(m, a).mapped)
			is_free = false;
		else
			is_mapped = false;
	}
	assert_int_equal(vma_range_is_free(tree, start, end), is_free);
	assert_int_equal(vma_range_is_mapped(tree, start, end), is_mapped);

	/* Gap search, with bounds aligned three times in four. */
	low = BASE - 2 * PAGE_SIZE + rng_below(span);
	high = BASE - 2 * PAGE_SIZE + rng_below(span);
	if (rng_below(4)) {
		low &= PAGE_MASK;
		high &= PAGE_MASK;
	}
	len = (1 + rng_below(8)) * PAGE_SIZE;
	expect = -ENOMEM;
	s = 0;
	if (low < high && len <= high - low) {
		for (s = (high - len) & PAGE_MASK; s >= low; s -= PAGE_SIZE) {
			for (a = s; a < s + len && !model_page(m, a).mapped; a += PAGE_SIZE)
				;
			if (a == s + len) {
				expect = 0;
				break;
			}
		}
	}
	ret = vma_find_gap_topdown(tree, len, low, high, &out);
	assert_int_equal(ret, expect);
	if (ret == 0)
		assert_int_equal(out, s);
}

static void run_random(bool with_split, int ops)
{
	struct vma_tree tree;
	struct model m;
	struct snapshot snap = { NULL, 0 };
	uaddr_t start, end, a;
	int op, ret, prot, i;
	bool fail;

	memset(&m, 0, sizeof(m));
	vma_tree_init(&tree);
	for (op = 0; op < ops; op++) {
		i = (int)rng_below(NPAGES);
		start = P(i);
		end = P(i + 1 + (int)rng_below((uint64_t)(NPAGES - i)));
		/* One operation in eight runs out of memory. */
		fail = rng_below(8) == 0;
		if (fail) {
			g_malloc_budget = (long)rng_below(2);
			snap = take_snapshot(&tree);
		}

		switch (rng_below(with_split ? 5 : 4)) {
		case 0:
		case 1: {
			/* Insert into the free part of [start, end): shrink to the first free run.
			 */
			struct vma tmpl;
			struct vma *vma;

			for (a = start; a < end && model_page(&m, a).mapped; a += PAGE_SIZE)
				;
			start = a;
			for (; a < end && !model_page(&m, a).mapped; a += PAGE_SIZE)
				;
			end = a;
			if (start == end) {
				ret = 0;
				break;
			}
			tmpl = random_tmpl(start, end);
			vma = vma_insert(&tree, &tmpl);
			ret = vma ? 0 : -ENOMEM;
			if (!vma)
				break;
			assert_true(vma->start <= start && vma->end >= end);
			for (a = start; a < end; a += PAGE_SIZE) {
				struct page_state *pg = &m.pages[(a - BASE) / PAGE_SIZE];

				pg->mapped = true;
				pg->prot = tmpl.prot;
				pg->flags = tmpl.flags;
				pg->kind = tmpl.kind;
				pg->file = tmpl.file;
				pg->offset = tmpl.offset + (a - start);
			}
			break;
		}
		case 2:
			ret = vma_remove_range(&tree, start, end);
			if (ret)
				break;
			for (a = start; a < end; a += PAGE_SIZE)
				m.pages[(a - BASE) / PAGE_SIZE].mapped = false;
			break;
		case 3:
			prot = rng_below(2) ? PROT_R : PROT_R | PROT_W;
			ret = vma_protect_range(&tree, start, end, prot);
			if (ret)
				break;
			for (a = start; a < end; a += PAGE_SIZE)
				m.pages[(a - BASE) / PAGE_SIZE].prot = prot;
			break;
		default:
			ret = vma_split_at(&tree, start);
			break;
		}

		if (fail) {
			g_malloc_budget = -1;
			if (ret) {
				assert_int_equal(ret, -ENOMEM);
				check_snapshot(&tree, &snap);
			} else {
				free(snap.vmas);
			}
		} else {
			assert_int_equal(ret, 0);
		}
		check_model(&tree, &m, !with_split);
		for (i = 0; i < 4; i++)
			check_queries(&tree, &m);
	}
	vma_tree_clear(&tree);
}

static void test_random_merging(void **state)
{
	run_random(/*with_split=*/false, 20000);
}

static void test_random_with_splits(void **state)
{
	run_random(/*with_split=*/true, 20000);
}

int main(void)
{
	vma_set_file_hooks(&g_noop_hooks);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_merge),
		cmocka_unit_test(test_insert_merge_file),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_range_is_free_mapped),
		cmocka_unit_test(test_split_at),
		cmocka_unit_test(test_merge_at),
		cmocka_unit_test(test_remove_range),
		cmocka_unit_test(test_protect_range),
		cmocka_unit_test(test_gap_bottomup),
		cmocka_unit_test(test_gap_topdown),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_clear_many),
		cmocka_unit_test(test_random_merging),
		cmocka_unit_test(test_random_with_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
