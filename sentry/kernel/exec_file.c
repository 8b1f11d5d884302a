/* Program files through the VFS: see exec_file.h. */
#include "sentry/kernel/exec_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/file.h"

struct exec_file {
	struct loader_file base;
	struct file *f;
};

static ssize_t exec_pread(struct loader_file *lf, void *buf, size_t len, uint64_t off)
{
	struct exec_file *ef = container_of(lf, struct exec_file, base);
	return vfs_read(ef->f, buf, len, (int64_t)off);
}

static int64_t exec_size(struct loader_file *lf)
{
	struct exec_file *ef = container_of(lf, struct exec_file, base);
	struct linux_statx st;
	int err = vfs_file_getattr(ef->f, &st);
	return err < 0 ? err : (int64_t)st.size;
}

/*
 * The loader maps the segments from the file's own host fd (tmpfs's
 * memfd, the gofer's donated fd, through overlays to the layer's), and
 * its vmas reference the struct file, which /proc/PID/maps names.
 */
static int exec_mmap_fd(struct loader_file *lf, int *out_host_fd, void **out_vfs_file)
{
	struct exec_file *ef = container_of(lf, struct exec_file, base);
	if (!ef->f->ops->mmap_fd)
		return -ENODEV;
	int err = ef->f->ops->mmap_fd(ef->f, /*shared_write=*/false, out_host_fd);
	if (err < 0)
		return err;
	*out_vfs_file = ef->f;
	return 0;
}

static void exec_close(struct loader_file *lf)
{
	struct exec_file *ef = container_of(lf, struct exec_file, base);
	file_put(ef->f);
	free(ef);
}

static const struct loader_file_ops g_exec_file_ops = {
	.pread = exec_pread,
	.size = exec_size,
	.mmap_fd = exec_mmap_fd,
	.close = exec_close,
};

int exec_open(const struct vfs_ctx *c, const char *path, unsigned lookup, struct loader_file **out,
              struct path *out_path)
{
	struct path p;
	int err = vfs_lookup(c, path, lookup, &p);
	if (err < 0)
		return err;
	struct inode *inode = p.d->inode;
	if (!inode_is_reg(inode) || (p.mnt->flags & MNT_NOEXEC))
		err = -EACCES;
	if (err == 0)
		err = vfs_permission(c->creds, inode, MAY_EXEC);
	struct file *f = NULL;
	if (err == 0)
		err = vfs_open_path(c->creds, &p, LINUX_O_RDONLY | LINUX_O_LARGEFILE, &f);
	struct exec_file *ef = NULL;
	if (err == 0) {
		ef = calloc(1, sizeof(*ef));
		if (!ef) {
			file_put(f);
			err = -ENOMEM;
		}
	}
	if (err < 0) {
		path_put(&p);
		return err;
	}
	ef->base.ops = &g_exec_file_ops;
	ef->f = f;
	*out = &ef->base;
	if (out_path)
		*out_path = p;
	else
		path_put(&p);
	return 0;
}

int exec_open_interp(void *arg, const char *path, struct loader_file **out)
{
	return exec_open(arg, path, LOOKUP_FOLLOW, out, NULL);
}

#define SCRIPT_LINE_MAX  256 /* Linux's BINPRM_BUF_SIZE */
#define SCRIPT_DEPTH_MAX 4   /* binfmt_script's recursion limit */

static void free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* A copy of argv with prefix (count strings) in front of argv[skip...]. */
static char **splice_argv(char *const *prefix, int count, char *const *argv, int skip)
{
	int n = 0;
	while (argv[n])
		n++;
	int total = count + (n > skip ? n - skip : 0);
	char **out = calloc((size_t)total + 1, sizeof(*out));
	if (!out)
		return NULL;
	int i = 0;
	for (int j = 0; j < count; j++)
		out[i++] = strdup(prefix[j]);
	for (int j = skip; j < n; j++)
		out[i++] = strdup(argv[j]);
	for (int j = 0; j < total; j++) {
		if (!out[j]) {
			free_argv(out);
			return NULL;
		}
	}
	return out;
}

/*
 * Parses a #! line: *interp and *arg (NULL if none) point into line, which
 * is modified. Returns 0, -ENOEXEC when there is no interpreter name.
 */
static int parse_shebang(char *line, size_t len, char **interp, char **arg)
{
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		/* Everything after the name, trailing blanks cut, is one argument. */
		char *end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p)
			*arg = p;
	}
	return 0;
}

int exec_prepare(const struct vfs_ctx *c, const char *path, unsigned lookup, char *const *argv,
                 struct exec_image *out)
{
	memset(out, 0, sizeof(*out));
	char **cur_argv = splice_argv(NULL, 0, argv, 0);
	char *cur_path = strdup(path);
	int err = cur_argv && cur_path ? 0 : -ENOMEM;
	for (int depth = 0; err == 0; depth++) {
		struct loader_file *f;
		struct path p;
		/* The interpreters of scripts are found by path, following links. */
		err = exec_open(c, cur_path, depth ? LOOKUP_FOLLOW : lookup, &f, &p);
		if (err < 0)
			break;
		char line[SCRIPT_LINE_MAX + 1];
		ssize_t n = f->ops->pread(f, line, SCRIPT_LINE_MAX, 0);
		if (n < 2 || line[0] != '#' || line[1] != '!') {
			out->file = f;
			out->path = p;
			out->argv = cur_argv;
			cur_argv = NULL;
			break;
		}
		f->ops->close(f);
		path_put(&p);
		if (depth == SCRIPT_DEPTH_MAX) {
			err = -ELOOP;
			break;
		}
		char *interp, *arg;
		err = parse_shebang(line, (size_t)n, &interp, &arg);
		if (err < 0)
			break;
		char *prefix[3] = { interp, arg ? arg : cur_path, cur_path };
		char **next = arg ? splice_argv(prefix, 3, cur_argv, 1)
		                  : splice_argv((char *[]){ interp, cur_path }, 2, cur_argv, 1);
		char *next_path = strdup(interp);
		free_argv(cur_argv);
		free(cur_path);
		cur_argv = next;
		cur_path = next_path;
		if (!cur_argv || !cur_path)
			err = -ENOMEM;
	}
	free_argv(cur_argv);
	free(cur_path);
	return err;
}

void exec_image_release(struct exec_image *img)
{
	if (img->file)
		img->file->ops->close(img->file);
	path_put(&img->path);
	free_argv(img->argv);
	memset(img, 0, sizeof(*img));
}
