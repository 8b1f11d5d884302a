/*
 * Unit tests for common/rbtree: random insertions and erasures checked
 * against a reference set, with every red-black invariant verified after
 * each operation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/rbtree.h"

struct item {
	int key;
	struct rb_node node;
};

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 2685821657736338717ULL;
}

static unsigned rng_below(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

static struct item *item_of(const struct rb_node *node)
{
	return rb_entry(node, struct item, node);
}

/* Searches for key: returns its item, or NULL and where to link a new one. */
static struct item *tree_search(struct rb_root *root, int key, struct rb_node **out_parent,
                                struct rb_node ***out_link)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		struct item *it = item_of(*link);

		parent = *link;
		if (key == it->key)
			return it;
		link = key < it->key ? &parent->left : &parent->right;
	}
	*out_parent = parent;
	*out_link = link;
	return NULL;
}

static struct item *tree_insert(struct rb_root *root, struct item *it)
{
	struct rb_node *parent, **link;
	struct item *found = tree_search(root, it->key, &parent, &link);

	if (found)
		return found;
	rb_link_node(&it->node, parent, link);
	rb_insert_fixup(root, &it->node);
	return NULL;
}

/*
 * Checks the subtree at node: parent links, key order within (lo, hi),
 * no red node with a red child. Returns its black height (NULL counts 1)
 * and adds its size to *count.
 */
static int check_subtree(const struct rb_node *node, const struct rb_node *parent, long lo, long hi,
                         size_t *count)
{
	int lh, rh, key;

	if (!node)
		return 1;
	key = item_of(node)->key;
	assert_ptr_equal(node->parent, parent);
	assert_true(key > lo && key < hi);
	if (node->red) {
		assert_false(node->left && node->left->red);
		assert_false(node->right && node->right->red);
	}
	lh = check_subtree(node->left, node, lo, key, count);
	rh = check_subtree(node->right, node, key, hi, count);
	assert_int_equal(lh, rh);
	(*count)++;
	return lh + (node->red ? 0 : 1);
}

/*
 * Checks every invariant of the tree and that it holds exactly the keys k
 * with present[k], walking it forwards, backwards and in post-order.
 */
static void check_tree(const struct rb_root *root, const bool *present, int nkeys)
{
	const struct rb_node *node;
	size_t count = 0, expected = 0, seen;
	bool *visited;
	int k;

	if (root->node) {
		assert_null(root->node->parent);
		assert_false(root->node->red);
	}
	check_subtree(root->node, NULL, -1, (long)nkeys, &count);

	for (k = 0; k < nkeys; k++)
		expected += present[k];
	assert_int_equal(count, expected);

	/* In order. */
	node = rb_first(root);
	for (k = 0; k < nkeys; k++) {
		if (!present[k])
			continue;
		assert_non_null(node);
		assert_int_equal(item_of(node)->key, k);
		node = rb_next(node);
	}
	assert_null(node);

	/* Reverse order. */
	node = rb_last(root);
	for (k = nkeys - 1; k >= 0; k--) {
		if (!present[k])
			continue;
		assert_non_null(node);
		assert_int_equal(item_of(node)->key, k);
		node = rb_prev(node);
	}
	assert_null(node);

	/* Post-order: every node once, each after its children. */
	visited = calloc(nkeys > 0 ? (size_t)nkeys : 1, sizeof(*visited));
	assert_non_null(visited);
	seen = 0;
	for (node = rb_first_postorder(root); node; node = rb_next_postorder(node)) {
		k = item_of(node)->key;
		assert_false(visited[k]);
		assert_false(node->left && !visited[item_of(node->left)->key]);
		assert_false(node->right && !visited[item_of(node->right)->key]);
		visited[k] = true;
		seen++;
	}
	assert_int_equal(seen, count);
	free(visited);
}

static void test_empty(void **state)
{
	struct rb_root root = RB_ROOT;

	assert_true(rb_empty(&root));
	assert_null(rb_first(&root));
	assert_null(rb_last(&root));
	assert_null(rb_first_postorder(&root));
	check_tree(&root, NULL, 0);
}

static void test_single(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 0 };
	bool present[1] = { true };

	assert_null(tree_insert(&root, &it));
	assert_false(rb_empty(&root));
	assert_ptr_equal(rb_first(&root), &it.node);
	assert_ptr_equal(rb_last(&root), &it.node);
	assert_null(rb_next(&it.node));
	assert_null(rb_prev(&it.node));
	assert_ptr_equal(rb_first_postorder(&root), &it.node);
	assert_null(rb_next_postorder(&it.node));
	check_tree(&root, present, 1);

	rb_erase(&root, &it.node);
	present[0] = false;
	assert_true(rb_empty(&root));
	check_tree(&root, present, 1);
}

/* Ascending and descending insertions are the classic worst cases for an unbalanced tree. */
static void test_sorted_inserts(void **state)
{
	enum { N = 1024 };
	struct item *items = calloc(N, sizeof(*items));
	bool *present = calloc(N, sizeof(*present));
	struct rb_root root = RB_ROOT;
	const struct rb_node *node;
	int i, depth, max_depth = 0;

	assert_non_null(items);
	assert_non_null(present);
	for (i = 0; i < N; i++) {
		items[i].key = i;
		assert_null(tree_insert(&root, &items[i]));
		present[i] = true;
		check_tree(&root, present, N);
	}
	/* Height is at most 2 log2(n + 1): 2 * 11 for 1024 nodes. */
	for (i = 0; i < N; i++) {
		depth = 0;
		for (node = &items[i].node; node; node = node->parent)
			depth++;
		if (depth > max_depth)
			max_depth = depth;
	}
	assert_true(max_depth <= 22);

	/* Erase from the top down, then insert descending. */
	for (i = N - 1; i >= 0; i--) {
		rb_erase(&root, &items[i].node);
		present[i] = false;
		check_tree(&root, present, N);
	}
	for (i = N - 1; i >= 0; i--) {
		assert_null(tree_insert(&root, &items[i]));
		present[i] = true;
	}
	check_tree(&root, present, N);
	free(items);
	free(present);
}

static void shuffle(int *a, int n)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = (int)rng_below((unsigned)i + 1);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

/* Insert a random permutation, then erase in another, checking after each step. */
static void test_random_permutation(void **state)
{
	enum { N = 2000 };
	struct item *items = calloc(N, sizeof(*items));
	bool *present = calloc(N, sizeof(*present));
	int *order = calloc(N, sizeof(*order));
	struct rb_root root = RB_ROOT;
	struct rb_node *parent, **link;
	int i;

	assert_non_null(items);
	assert_non_null(present);
	assert_non_null(order);
	for (i = 0; i < N; i++) {
		items[i].key = i;
		order[i] = i;
	}
	shuffle(order, N);
	for (i = 0; i < N; i++) {
		assert_null(tree_insert(&root, &items[order[i]]));
		present[order[i]] = true;
		check_tree(&root, present, N);
	}
	/* Duplicates are found, not inserted. */
	for (i = 0; i < N; i += 97)
		assert_ptr_equal(tree_search(&root, i, &parent, &link), &items[i]);

	shuffle(order, N);
	for (i = 0; i < N; i++) {
		rb_erase(&root, &items[order[i]].node);
		present[order[i]] = false;
		check_tree(&root, present, N);
		assert_null(tree_search(&root, order[i], &parent, &link));
	}
	assert_true(rb_empty(&root));
	free(items);
	free(present);
	free(order);
}

/* Interleaved random inserts and erases over a small key space, so both are frequent. */
static void test_random_mixed(void **state)
{
	enum { N = 300, OPS = 20000 };
	struct item *items = calloc(N, sizeof(*items));
	bool *present = calloc(N, sizeof(*present));
	struct rb_root root = RB_ROOT;
	int op, k;

	assert_non_null(items);
	assert_non_null(present);
	for (k = 0; k < N; k++)
		items[k].key = k;
	for (op = 0; op < OPS; op++) {
		k = (int)rng_below(N);
		if (present[k]) {
			rb_erase(&root, &items[k].node);
			present[k] = false;
		} else {
			assert_null(tree_insert(&root, &items[k]));
			present[k] = true;
		}
		/* Checking is O(n): every step while small, then every 7th. */
		if (op < 2000 || op % 7 == 0)
			check_tree(&root, present, N);
	}
	check_tree(&root, present, N);
	free(items);
	free(present);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),          cmocka_unit_test(test_single),
		cmocka_unit_test(test_sorted_inserts), cmocka_unit_test(test_random_permutation),
		cmocka_unit_test(test_random_mixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
