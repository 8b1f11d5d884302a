/*
 * Red-black tree balancing. The invariants (as in CLRS, chapter 13):
 *  1. every node is red or black, and the root is black;
 *  2. a red node has no red child;
 *  3. every path from a node down to a NULL child passes the same number
 *     of black nodes (NULL children count as black).
 * Together they bound the height by 2 log2(n + 1).
 *
 * There is no sentinel leaf: NULL stands for a black leaf, so the erase
 * fix-up carries the parent of the (possibly NULL) node it is fixing.
 */
#include "common/rbtree.h"

static inline bool is_red(const struct rb_node *node)
{
	return node && node->red;
}

/* Makes new take old's place as the child of old's parent (or as the root). */
static void replace_child(struct rb_root *root, struct rb_node *old, struct rb_node *new)
{
	struct rb_node *parent = old->parent;

	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/*
 * Rotates left around x: its right child y takes its place and x becomes
 * y's left child. In-order sequence is unchanged.
 *
 *	    x                y
 *	   / \              / \
 *	  a   y     =>     x   c
 *	     / \          / \
 *	    b   c        a   b
 */
static void rotate_left(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(root, x, y);
	y->left = x;
	x->parent = y;
}

/* The mirror image of rotate_left(). */
static void rotate_right(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(root, x, y);
	y->right = x;
	x->parent = y;
}

void rb_insert_fixup(struct rb_root *root, struct rb_node *node)
{
	struct rb_node *parent, *gparent, *uncle;

	/*
	 * node is red. The only possible violation is invariant 2 between
	 * node and a red parent; each pass either fixes it with rotations
	 * or pushes it two levels up by recolouring.
	 */
	while ((parent = node->parent) && parent->red) {
		/* A red parent is not the root, so gparent exists (and is black). */
		gparent = parent->parent;
		if (parent == gparent->left) {
			uncle = gparent->right;
			if (is_red(uncle)) {
				parent->red = false;
				uncle->red = false;
				gparent->red = true;
				node = gparent;
				continue;
			}
			if (node == parent->right) {
				/* Turn the zig-zag into a straight line. */
				rotate_left(root, parent);
				node = parent;
				parent = node->parent;
			}
			parent->red = false;
			gparent->red = true;
			rotate_right(root, gparent);
		} else {
			uncle = gparent->left;
			if (is_red(uncle)) {
				parent->red = false;
				uncle->red = false;
				gparent->red = true;
				node = gparent;
				continue;
			}
			if (node == parent->left) {
				rotate_right(root, parent);
				node = parent;
				parent = node->parent;
			}
			parent->red = false;
			gparent->red = true;
			rotate_left(root, gparent);
		}
	}
	root->node->red = false;
}

/*
 * Called when a black node was removed from the paths through node (which
 * may be NULL) below parent: those paths are one black short. Either node
 * is red and turning it black pays the debt, or the debt is settled by
 * borrowing from the sibling's side or moved up one level.
 */
static void erase_fixup(struct rb_root *root, struct rb_node *node, struct rb_node *parent)
{
	struct rb_node *sibling;

	while (node != root->node && !is_red(node)) {
		/*
		 * The sibling's side has black height at least 1 more than
		 * node's, so the sibling is never NULL here. When node is NULL,
		 * the NULL child of parent is node's side.
		 */
		if (node == parent->left) {
			sibling = parent->right;
			if (sibling->red) {
				/* Make the sibling black, to reduce to the cases below. */
				sibling->red = false;
				parent->red = true;
				rotate_left(root, parent);
				sibling = parent->right;
			}
			if (!is_red(sibling->left) && !is_red(sibling->right)) {
				/* Take one black from both sides and move the debt up. */
				sibling->red = true;
				node = parent;
				parent = node->parent;
				continue;
			}
			if (!is_red(sibling->right)) {
				/* Make the far nephew the red one. */
				sibling->left->red = false;
				sibling->red = true;
				rotate_right(root, sibling);
				sibling = parent->right;
			}
			sibling->red = parent->red;
			parent->red = false;
			sibling->right->red = false;
			rotate_left(root, parent);
		} else {
			sibling = parent->left;
			if (sibling->red) {
				sibling->red = false;
				parent->red = true;
				rotate_right(root, parent);
				sibling = parent->left;
			}
			if (!is_red(sibling->left) && !is_red(sibling->right)) {
				sibling->red = true;
				node = parent;
				parent = node->parent;
				continue;
			}
			if (!is_red(sibling->left)) {
				sibling->right->red = false;
				sibling->red = true;
				rotate_left(root, sibling);
				sibling = parent->left;
			}
			sibling->red = parent->red;
			parent->red = false;
			sibling->left->red = false;
			rotate_right(root, parent);
		}
		/* The rotation at parent paid the debt. */
		node = root->node;
		break;
	}
	if (node)
		node->red = false;
}

void rb_erase(struct rb_root *root, struct rb_node *node)
{
	struct rb_node *child, *parent, *succ;
	bool removed_red;

	if (!node->left || !node->right) {
		/* At most one child: it takes node's place. */
		child = node->left ? node->left : node->right;
		parent = node->parent;
		removed_red = node->red;
		replace_child(root, node, child);
	} else {
		/*
		 * Two children: the in-order successor (leftmost of the right
		 * subtree, which has no left child) takes node's place and
		 * colour, so the colour that leaves the tree is the successor's,
		 * from the successor's old position.
		 */
		succ = node->right;
		while (succ->left)
			succ = succ->left;
		removed_red = succ->red;
		child = succ->right;
		if (succ->parent == node) {
			parent = succ;
		} else {
			parent = succ->parent;
			parent->left = child;
			if (child)
				child->parent = parent;
			succ->right = node->right;
			succ->right->parent = succ;
		}
		replace_child(root, node, succ);
		succ->left = node->left;
		succ->left->parent = succ;
		succ->red = node->red;
	}

	node->parent = node->left = node->right = NULL;
	if (!removed_red)
		erase_fixup(root, child, parent);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *node = root->node;

	if (!node)
		return NULL;
	while (node->left)
		node = node->left;
	return node;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *node = root->node;

	if (!node)
		return NULL;
	while (node->right)
		node = node->right;
	return node;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *next;

	if (node->right) {
		next = node->right;
		while (next->left)
			next = next->left;
		return next;
	}
	/* Climb until we come up from a left child. */
	while ((next = node->parent) && node == next->right)
		node = next;
	return next;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *prev;

	if (node->left) {
		prev = node->left;
		while (prev->right)
			prev = prev->right;
		return prev;
	}
	while ((prev = node->parent) && node == prev->left)
		node = prev;
	return prev;
}

/* The first node of node's subtree in post-order: its deepest leftmost leaf. */
static struct rb_node *leftmost_leaf(struct rb_node *node)
{
	for (;;) {
		if (node->left)
			node = node->left;
		else if (node->right)
			node = node->right;
		else
			return node;
	}
}

struct rb_node *rb_first_postorder(const struct rb_root *root)
{
	return root->node ? leftmost_leaf(root->node) : NULL;
}

struct rb_node *rb_next_postorder(const struct rb_node *node)
{
	struct rb_node *parent = node->parent;

	/* After a left child comes its sibling's subtree, then the parent. */
	if (parent && node == parent->left && parent->right)
		return leftmost_leaf(parent->right);
	return parent;
}
