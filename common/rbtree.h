/*
 * An intrusive red-black tree, after Linux's lib/rbtree.
 *
 * The tree knows nothing about keys. A user embeds a struct rb_node in its
 * own struct, recovers the struct with rb_entry(), and does its own search:
 * to insert, it walks down from root->node comparing keys, remembering the
 * last node visited (parent) and the child pointer it would follow next
 * (link, a &parent->left or &parent->right, or &root->node for an empty
 * tree), then calls
 *
 *	rb_link_node(node, parent, link);
 *	rb_insert_fixup(root, node);
 *
 * which recolours and rotates to restore the balance. rb_erase() unlinks a
 * node from anywhere in the tree. Both are O(log n) and never allocate.
 *
 * Contract:
 *  - The tree never reads or writes the user's key; the user must keep the
 *    in-order sequence consistent with its ordering (it may change a key in
 *    place as long as the node keeps its position among its neighbours).
 *  - A node is in at most one tree at a time. After rb_erase() its links
 *    are stale; it may be linked again or freed.
 *  - No locking: the owner of the tree serialises every access.
 *
 * Iteration: rb_first()/rb_next() walk in order, rb_last()/rb_prev() in
 * reverse; each step is amortised O(1), O(log n) at worst.
 * rb_first_postorder()/rb_next_postorder() visit every child before its
 * parent, so a whole tree can be freed without rebalancing, provided the
 * next node is fetched before the current one is freed.
 */
#ifndef COMMON_RBTREE_H
#define COMMON_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

struct rb_node {
	struct rb_node *parent; /* NULL for the root */
	struct rb_node *left, *right;
	bool red; /* else black */
};

struct rb_root {
	struct rb_node *node; /* NULL when the tree is empty */
};

#define RB_ROOT ((struct rb_root){ .node = NULL })

#define rb_entry(ptr, type, member) container_of(ptr, type, member)

static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

/*
 * Links node as a red leaf at *link, a NULL child pointer of parent (or
 * &root->node, with parent NULL, in an empty tree) that the caller's search
 * ended on. The tree is unbalanced until rb_insert_fixup(root, node).
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **link)
{
	node->parent = parent;
	node->left = NULL;
	node->right = NULL;
	node->red = true;
	*link = node;
}

/* Restores the red-black invariants after rb_link_node(). */
void rb_insert_fixup(struct rb_root *root, struct rb_node *node);

/* Removes node, which must be in the tree rooted at root. */
void rb_erase(struct rb_root *root, struct rb_node *node);

/* The first (leftmost) or last (rightmost) node, or NULL when empty. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);

/* The in-order successor or predecessor of node, or NULL at either end. */
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Post-order traversal: children before parents. */
struct rb_node *rb_first_postorder(const struct rb_root *root);
struct rb_node *rb_next_postorder(const struct rb_node *node);

#endif /* COMMON_RBTREE_H */
