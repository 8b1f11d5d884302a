/*
 * Booting a sandbox: see boot.h.
 *
 * The sandbox runs inside the calling process: the platform is prepared,
 * the gofer started, the mounts made, and each process started on its
 * own sentry thread. The runner (runsc do, runsc boot) confines the
 * process (sentry_confine, confine.h) once sandbox_new has opened every
 * host file it needs and before the first process starts; tests may run
 * unconfined.
 */
#include "sentry/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/client.h"
#include "sentry/boot/sigforward.h"
#include "sentry/fsimpl/gofer/goferfs.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/fsimpl/kernfs/dev.h"
#include "sentry/fsimpl/kernfs/proc.h"
#include "sentry/fsimpl/kernfs/sys.h"
#include "sentry/fsimpl/overlay/overlay.h"
#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/exec_file.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/net/iface.h"
#include "sentry/net/packet_link.h"
#include "sentry/net/stack.h"
#include "sentry/vfs/file.h"

struct sandbox {
	struct kernel *k;
	pid_t gofer_pid;
	struct mount_ns *ns;
	bool started; /* init has been started */
};

struct sandbox_container {
	struct mount_ns *ns;
	unsigned id; /* thread_group.container of its processes */
};

/* A context for the boot code's own path operations: root's rights, at the root. */
static struct vfs_ctx root_ctx(const struct path *root)
{
	static const struct creds c = CREDS_ROOT_INIT;
	return (struct vfs_ctx){ .creds = &c, .root = *root, .start = *root, .umask = 0 };
}

/* mkdir -p in the sandbox. */
static int make_dirs(const struct vfs_ctx *c, const char *path)
{
	char buf[LINUX_PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			int err = vfs_mkdir(c, buf, 0755);
			if (err < 0 && err != -EEXIST)
				return err;
			*p = saved;
			if (!saved)
				return 0;
		}
	}
}

static int mount_sb_at(const struct vfs_ctx *c, const char *target, struct superblock *sb,
                       unsigned flags, const char *source)
{
	int err = make_dirs(c, target);
	if (err < 0)
		return err;
	struct path t;
	err = vfs_lookup(c, target, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &t);
	if (err < 0)
		return err;
	err = mount_attach(t.mnt, t.d, sb, sb->root, flags, source);
	path_put(&t);
	return err;
}

/* /dev: a tmpfs with the device nodes and links of dev.h, and a tmpfs on /dev/shm. */
static int mount_dev(const struct vfs_ctx *c)
{
	struct tmpfs_options opts = { .set = TMPFS_OPT_MODE, .mode = 0755 };
	struct superblock *sb;
	int err = tmpfs_new(&opts, &sb);
	if (err < 0)
		return err;
	err = mount_sb_at(c, "/dev", sb, MNT_NOSUID | MNT_RELATIME, "tmpfs");
	superblock_put(sb);
	if (err < 0)
		return err;
	devices_register_all();
	char path[64];
	for (size_t i = 0; i < g_dev_nodes_count && err == 0; i++) {
		const struct dev_node *n = &g_dev_nodes[i];
		snprintf(path, sizeof(path), "/dev/%s", n->name);
		if (n->symlink)
			err = vfs_symlink(c, n->symlink, path);
		else if ((n->mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
			err = vfs_mkdir(c, path, n->mode & 07777);
		else
			err = vfs_mknod(c, path, n->mode, n->major, n->minor);
	}
	if (err < 0)
		return err;
	opts = (struct tmpfs_options){ .set = TMPFS_OPT_MODE, .mode = 01777 };
	err = tmpfs_new(&opts, &sb);
	if (err < 0)
		return err;
	err = mount_sb_at(c, "/dev/shm", sb, MNT_NOSUID | MNT_NODEV | MNT_RELATIME, "shm");
	superblock_put(sb);
	return err;
}

/* SANDBOX_MOUNT_* to the VFS's MNT_* flags. */
static unsigned mnt_flags(unsigned flags)
{
	return ((flags & SANDBOX_MOUNT_RDONLY) ? MNT_RDONLY : 0) |
	       ((flags & SANDBOX_MOUNT_NOSUID) ? MNT_NOSUID : 0) |
	       ((flags & SANDBOX_MOUNT_NODEV) ? MNT_NODEV : 0) |
	       ((flags & SANDBOX_MOUNT_NOEXEC) ? MNT_NOEXEC : 0) | MNT_RELATIME;
}

/*
 * Starts `runsc gofer` serving the root (index 0) and each bind mount's
 * source (1, 2, ... in the order of cfg->mounts), on one end of a socket
 * pair. Returns the other end (the first channel) and the gofer's pid, or
 * -errno.
 */
/*
 * What the gofer will open must exist, and the root be a directory: checked
 * here so that the error names the path (a gofer that cannot open a mount
 * exits, and the sentry would only see its channel fail with EIO).
 */
static int check_sources(const struct sandbox_config *cfg)
{
	struct stat st;
	int err = 0;
	if (stat(cfg->root, &st) != 0)
		err = -errno;
	else if (!S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	if (err < 0) {
		log_error("the root file system %s: %s", cfg->root, strerror(-err));
		return err;
	}
	for (int i = 0; i < cfg->nmounts; i++) {
		const struct sandbox_mount *m = &cfg->mounts[i];
		if (m->kind == SANDBOX_MOUNT_BIND && stat(m->source, &st) != 0) {
			err = -errno;
			log_error("the source %s of the bind mount on %s: %s", m->source, m->dest,
			          strerror(-err));
			return err;
		}
	}
	return 0;
}

int sandbox_spawn_gofer(const struct sandbox_config *cfg, pid_t *out_pid)
{
	int err = check_sources(cfg);
	if (err < 0)
		return err;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		log_error("starting the gofer: %s", strerror(-err));
		return err;
	}
	int nargs = 6 + 2 * cfg->nmounts + 1;
	char **argv = calloc((size_t)nargs, sizeof(*argv));
	char **specs = calloc((size_t)cfg->nmounts + 1, sizeof(*specs));
	err = argv && specs ? 0 : -ENOMEM;
	int n = 0, nspecs = 0;
	if (err == 0) {
		argv[n++] = "runsc";
		argv[n++] = "gofer";
		argv[n++] = "--socket-fd=3";
		/* Its messages go where the sentry's go (fd 2 below), in the same format. */
		if (log_is_json())
			argv[n++] = "--log-format=json";
	}
	for (int i = -1; err == 0 && i < cfg->nmounts; i++) {
		const char *path = i < 0 ? cfg->root : cfg->mounts[i].source;
		/* A read-only root is made read-only in the sentry once the mount points exist. */
		bool ro = i < 0 ? cfg->root_overlay
		                : (cfg->mounts[i].flags & SANDBOX_MOUNT_RDONLY) != 0;
		if (i >= 0 && cfg->mounts[i].kind != SANDBOX_MOUNT_BIND)
			continue;
		if (asprintf(&specs[nspecs], "%s%s", path, ro ? ":ro" : "") < 0) {
			specs[nspecs] = NULL;
			err = -ENOMEM;
			break;
		}
		argv[n++] = "--mount";
		argv[n++] = specs[nspecs++];
	}
	pid_t pid = -1;
	if (err == 0) {
		argv[n] = NULL;
		pid_t parent = getpid();
		pid = fork();
		if (pid == 0) {
			/* The gofer dies with the sandbox. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			if (dup2(sv[1], 3) < 0)
				_exit(1);
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
			}
			if (log_fd() != 2)
				dup2(log_fd(), 2);
			close_range(4, ~0U, 0);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		if (pid < 0)
			err = -errno;
	}
	for (int i = 0; i < nspecs; i++)
		free(specs[i]);
	free(specs);
	free(argv);
	close(sv[1]);
	if (err < 0) {
		log_error("starting the gofer: %s", strerror(-err));
		close(sv[0]);
		return err;
	}
	*out_pid = pid;
	return sv[0];
}

/* Makes a mount point for a mount of a file (an empty file) or a directory (mkdir -p). */
static int make_mountpoint(const struct vfs_ctx *c, const char *dest, bool file)
{
	if (!file)
		return make_dirs(c, dest);
	struct path p;
	if (vfs_lookup(c, dest, LOOKUP_FOLLOW, &p) == 0) {
		path_put(&p);
		return 0;
	}
	char parent[LINUX_PATH_MAX];
	if (snprintf(parent, sizeof(parent), "%s", dest) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		int err = make_dirs(c, parent);
		if (err < 0)
			return err;
	}
	struct file *f;
	int err = vfs_open(c, dest, LINUX_O_CREAT | LINUX_O_WRONLY | LINUX_O_CLOEXEC, 0644, 0, &f);
	if (err == 0)
		file_put(f);
	return err;
}

/* Attaches sb's root at dest, which is made first. */
static int attach_at(const struct vfs_ctx *c, const char *dest, struct superblock *sb,
                     struct dentry *root, unsigned flags, const char *source)
{
	bool file = (root->inode->mode & LINUX_S_IFMT) != LINUX_S_IFDIR;
	int err = make_mountpoint(c, dest, file);
	if (err < 0)
		return err;
	struct path t;
	err = vfs_lookup(c, dest, LOOKUP_FOLLOW | (file ? 0 : LOOKUP_DIRECTORY), &t);
	if (err < 0)
		return err;
	if (((t.d->inode->mode & LINUX_S_IFMT) == LINUX_S_IFDIR) == file)
		err = file ? -EISDIR : -ENOTDIR;
	else
		err = mount_attach(t.mnt, t.d, sb, root, flags, source);
	path_put(&t);
	return err;
}

/* One entry of cfg->mounts; client is the bind mount's gofer channel (consumed). */
static int make_mount(struct kernel *k, const struct vfs_ctx *c, const struct sandbox_mount *m,
                      struct gofer_client *client, uint32_t index)
{
	struct superblock *sb = NULL;
	int err;
	const char *source = m->source;
	switch (m->kind) {
	case SANDBOX_MOUNT_BIND:
		err = goferfs_new(client, index, m->source, &sb);
		/* The host may change a bind mount too: every walk asks the gofer again. */
		if (err == 0)
			sb->flags |= SB_NOCACHE;
		break;
	case SANDBOX_MOUNT_TMPFS: {
		struct tmpfs_options opts = { 0 };
		err = tmpfs_parse_options(m->data, &opts);
		if (err == 0)
			err = tmpfs_new(&opts, &sb);
		source = "tmpfs";
		break;
	}
	case SANDBOX_MOUNT_PROC:
		err = procfs_new(k, &sb);
		source = "proc";
		break;
	case SANDBOX_MOUNT_SYSFS:
		err = sysfs_new(&sb);
		source = "sysfs";
		break;
	case SANDBOX_MOUNT_DEV:
		return mount_dev(c);
	default:
		return -EINVAL;
	}
	if (err < 0)
		return err;
	err = attach_at(c, m->dest, sb, sb->root, mnt_flags(m->flags), source);
	superblock_put(sb);
	return err;
}

/*
 * linux.maskedPaths: a directory gets an empty read-only tmpfs over it, a
 * file /dev/null (as runc does); a path that does not exist is skipped.
 */
static int mask_path(const struct vfs_ctx *c, const char *path)
{
	struct path p;
	int err = vfs_lookup(c, path, LOOKUP_FOLLOW, &p);
	if (err == -ENOENT || err == -ENOTDIR)
		return 0;
	if (err < 0)
		return err;
	if ((p.d->inode->mode & LINUX_S_IFMT) == LINUX_S_IFDIR) {
		struct tmpfs_options opts = { .set = TMPFS_OPT_MODE, .mode = 0755 };
		struct superblock *sb;
		err = tmpfs_new(&opts, &sb);
		if (err == 0) {
			err = mount_attach(p.mnt, p.d, sb, sb->root, MNT_RDONLY | MNT_RELATIME,
			                   "tmpfs");
			superblock_put(sb);
		}
	} else {
		struct path null;
		err = vfs_lookup(c, "/dev/null", 0, &null);
		if (err == 0) {
			err = mount_attach(p.mnt, p.d, null.mnt->root->sb, null.d, MNT_RDONLY,
			                   "/dev/null");
			path_put(&null);
		}
	}
	path_put(&p);
	return err;
}

/* linux.readonlyPaths: a read-only bind of the path onto itself. */
static int readonly_path(const struct vfs_ctx *c, const char *path)
{
	struct path p;
	int err = vfs_lookup(c, path, LOOKUP_FOLLOW, &p);
	if (err == -ENOENT || err == -ENOTDIR)
		return 0;
	if (err < 0)
		return err;
	err = mount_attach(p.mnt, p.d, p.d->sb, p.d, p.mnt->flags | MNT_RDONLY,
	                   p.mnt->source ? p.mnt->source : "none");
	path_put(&p);
	return err;
}

static bool has_mount_at(const struct sandbox_config *cfg, const char *dest)
{
	for (int i = 0; i < cfg->nmounts; i++) {
		if (strcmp(cfg->mounts[i].dest, dest) == 0)
			return true;
	}
	return false;
}

/* The sandbox's mounts on the gofer channel sock (consumed); *out_ns gets the namespace. */
static int make_mounts(struct kernel *k, const struct sandbox_config *cfg, int sock,
                       struct mount_ns **out_ns)
{
	struct gofer_client *root_client;
	int err = gofer_client_new(sock, &root_client);
	if (err < 0)
		return err;
	struct superblock *lower = NULL, *upper = NULL, *root = NULL;
	/* Each bind mount gets a channel of its own, made before the root takes the first. */
	struct gofer_client **clients = calloc((size_t)cfg->nmounts + 1, sizeof(*clients));
	if (!clients)
		err = -ENOMEM;
	for (int i = 0; i < cfg->nmounts && err == 0; i++) {
		if (cfg->mounts[i].kind == SANDBOX_MOUNT_BIND)
			err = gofer_client_channel(root_client, &clients[i]);
	}
	if (err == 0) {
		err = goferfs_new(root_client, 0, cfg->root, &lower);
		root_client = NULL;
	}
	if (err == 0 && cfg->root_overlay) {
		struct tmpfs_options opts = { .set = TMPFS_OPT_MODE, .mode = 0755 };
		err = tmpfs_new(&opts, &upper);
		if (err == 0)
			err = overlay_new(lower, upper, &root);
	} else if (err == 0) {
		root = lower;
		lower = NULL;
	}
	struct mount_ns *ns = NULL;
	if (err == 0)
		err = mount_ns_new(root, 0, cfg->root_overlay ? "overlay" : cfg->root, &ns);
	if (root)
		superblock_put(root);
	if (upper)
		superblock_put(upper);
	if (lower)
		superblock_put(lower);
	if (err < 0) {
		log_error("the root file system %s: %s", cfg->root, strerror(-err));
		goto out_free_clients;
	}
	struct path rootp = { ns->root, ns->root->root };
	struct vfs_ctx c = root_ctx(&rootp);

	/* The sentry's /dev, unless the configuration mounts something else there. */
	if (!has_mount_at(cfg, "/dev")) {
		err = mount_dev(&c);
		if (err < 0)
			log_error("mount /dev: %s", strerror(-err));
	}
	uint32_t index = 1;
	for (int i = 0; i < cfg->nmounts && err == 0; i++) {
		const struct sandbox_mount *m = &cfg->mounts[i];
		bool bind = m->kind == SANDBOX_MOUNT_BIND;
		err = make_mount(k, &c, m, clients[i], bind ? index : 0);
		clients[i] = NULL;
		if (bind)
			index++;
		if (err < 0)
			log_error("mount %s%s%s: %s", bind ? m->source : "", bind ? " on " : "",
			          m->dest, strerror(-err));
	}
	for (char *const *p = cfg->masked_paths; err == 0 && p && *p; p++) {
		err = mask_path(&c, *p);
		if (err < 0)
			log_error("masked path %s: %s", *p, strerror(-err));
	}
	for (char *const *p = cfg->readonly_paths; err == 0 && p && *p; p++) {
		err = readonly_path(&c, *p);
		if (err < 0)
			log_error("read-only path %s: %s", *p, strerror(-err));
	}
	if (err < 0) {
		mount_ns_destroy(ns);
		goto out_free_clients;
	}
	/* Mount points are made; now the root may become read-only. */
	if (cfg->root_readonly && !cfg->root_overlay) {
		pthread_mutex_lock(&ns->mu);
		ns->root->flags |= MNT_RDONLY;
		pthread_mutex_unlock(&ns->mu);
	}
	*out_ns = ns;
out_free_clients:
	for (int i = 0; clients && i < cfg->nmounts; i++) {
		if (clients[i])
			gofer_client_free(clients[i]);
	}
	free(clients);
	if (root_client)
		gofer_client_free(root_client);
	return err;
}

int sandbox_add_container(struct sandbox *sb, const struct sandbox_config *cfg, int gofer_sock,
                          unsigned id, struct sandbox_container **out)
{
	struct sandbox_container *c = calloc(1, sizeof(*c));
	if (!c) {
		close(gofer_sock);
		return -ENOMEM;
	}
	int err = make_mounts(sb->k, cfg, gofer_sock, &c->ns);
	if (err < 0) {
		free(c);
		return err;
	}
	c->id = id;
	*out = c;
	return 0;
}

bool sandbox_container_has_processes(struct sandbox *sb, const struct sandbox_container *c)
{
	struct kernel *k = sb->k;
	bool any = false;
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (tg->container == c->id && !list_empty(&tg->threads)) {
			any = true;
			break;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return any;
}

void sandbox_remove_container(struct sandbox *sb, struct sandbox_container *c)
{
	/* A process still in it keeps its mounts: they go with the sandbox (logged). */
	if (sandbox_container_has_processes(sb, c)) {
		log_warn("container %u: processes remain; its mounts stay until the sandbox ends",
		         c->id);
		return;
	}
	mount_ns_destroy(c->ns);
	free(c);
}

static void register_fs_types_once(void)
{
	vfs_register_fs(&tmpfs_fs_type);
	vfs_register_fs(&procfs_fs_type);
	vfs_register_fs(&sysfs_fs_type);
	/* FIFO nodes of every file system open as the sentry's pipes. */
	pipe_register_fifo();
}

/*
 * The interface table from cfg (lo, then cfg->links with their addresses
 * and packet links, then cfg->routes with each oif turned from the
 * namespace's index into the sandbox's). Consumes every link's fd.
 * Returns 0 or -errno after logging why.
 */
static int setup_network(const struct sandbox_config *cfg)
{
	int err = 0, done = 0;
	int map[NET_IFACE_MAX] = { 0 }; /* the sandbox's index of cfg->links[i] */
	net_iface_init();
	if (cfg->nlinks > NET_IFACE_MAX - 1) {
		log_error("network: %d interfaces: the sandbox has room for %d", cfg->nlinks,
		          NET_IFACE_MAX - 1);
		err = -ENOSPC;
		goto out_close;
	}
	for (; done < cfg->nlinks; done++) {
		const struct sandbox_link *l = &cfg->links[done];
		/* No fd: one of the host's interfaces, shown under its index, not served (boot.h).
		 */
		int index = l->fd < 0 ? net_iface_add_at(&l->info) : net_iface_add(&l->info);
		for (int a = 0; index > 0 && a < l->info.naddr; a++) {
			err = net_iface_add_addr(index, &l->info.addr[a]);
			if (err < 0)
				break;
		}
		if (index < 0 || err < 0 ||
		    (l->fd >= 0 && (err = packet_link_register(index, l->fd)) < 0)) {
			err = index < 0 ? index : err;
			log_error("network: interface %s: %s", l->info.name, strerror(-err));
			goto out_close;
		}
		map[done] = index;
	}
	for (int r = 0; r < cfg->nroutes; r++) {
		struct net_route route = cfg->routes[r];
		int i = 0;
		while (i < cfg->nlinks && cfg->links[i].info.index != route.oif)
			i++;
		if (i == cfg->nlinks) {
			log_warn("network: a route through interface %d, which is not the "
			         "sandbox's: "
			         "left out",
			         route.oif);
			continue;
		}
		route.oif = map[i];
		if ((err = net_route_add(&route)) < 0) {
			log_error("network: routes: %s", strerror(-err));
			return err;
		}
	}
	/*
	 * The stack starts now, not at the first socket: the interfaces must
	 * answer ARP, neighbour discovery and pings from the start, as Linux's.
	 */
	bool served = false;
	for (int i = 0; i < cfg->nlinks; i++)
		served |= cfg->links[i].fd >= 0;
	if (served && (err = net_stack_start()) < 0) {
		log_error("network: the stack: %s", strerror(-err));
		return err;
	}
	return 0;
out_close:
	/* The links registered so far keep their fds; the rest are closed. */
	for (int i = done; i < cfg->nlinks; i++)
		close(cfg->links[i].fd);
	return err;
}

int sandbox_new(const struct sandbox_config *cfg, struct sandbox **out)
{
	static pthread_once_t fs_types_once = PTHREAD_ONCE_INIT;
	const struct platform_ops *platform = platform_lookup(cfg->platform);
	if (!platform) {
		log_error("unknown platform \"%s\"", cfg->platform);
		return -EINVAL;
	}
	struct sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->gofer_pid = -1;
	/*
	 * A write to a closed pipe is the application's EPIPE, not the
	 * sentry's death (nor the gofer's: it inherits this).
	 */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * The gofer first: its start (an exec of runsc, its own confinement:
	 * some 3 ms) runs while the sentry sets up its platform, network and
	 * kernel, until make_mounts first asks it for something.
	 */
	int sock = sandbox_spawn_gofer(cfg, &sb->gofer_pid);
	if (sock < 0) {
		free(sb);
		return sock;
	}
	int err = platform->init();
	if (err < 0)
		log_error("platform %s: %s", platform->name, strerror(-err));
	if (err == 0)
		err = setup_network(cfg);
	if (err == 0) {
		pthread_once(&fs_types_once, register_fs_types_once);
		struct kernel_config kcfg = {
			.platform = platform,
			.hostname = cfg->hostname,
			.release = cfg->release,
			.version = "#1 SMP PREEMPT_DYNAMIC runsc",
			.strace = cfg->strace,
		};
		err = kernel_new(&kcfg, &sb->k);
	}
	if (err < 0) {
		close(sock);
		kill(sb->gofer_pid, SIGKILL);
		waitpid(sb->gofer_pid, NULL, 0);
		free(sb);
		return err;
	}
	err = make_mounts(sb->k, cfg, sock, &sb->ns);
	if (err < 0) {
		sandbox_destroy(sb);
		return err;
	}
	sb->k->mntns = sb->ns;
	*out = sb;
	return 0;
}

struct kernel *sandbox_kernel(struct sandbox *sb)
{
	return sb->k;
}

pid_t sandbox_gofer_pid(struct sandbox *sb)
{
	return sb->gofer_pid;
}

/* Gives the process its fds 0-2 from the host fds in stdio (each consumed). */
static int import_stdio(const int stdio[3], struct fdtable **out)
{
	struct fdtable *fdt = fdtable_new();
	int err = fdt ? 0 : -ENOMEM;
	for (int fd = 0; fd < 3; fd++) {
		if (stdio[fd] < 0)
			continue; /* closed in the sandbox too */
		if (err < 0) {
			close(stdio[fd]);
			continue;
		}
		struct file *f;
		err = host_file_new(stdio[fd], &f);
		if (err < 0) {
			close(stdio[fd]);
			continue;
		}
		err = fdtable_install_at(fdt, fd, f, false, 3);
		file_put(f);
	}
	if (err < 0) {
		if (fdt)
			fdtable_put(fdt);
		return err;
	}
	*out = fdt;
	return 0;
}

/* Looks argv0 up as execvp(3) does, in PATH from envp, in the sandbox. */
static int lookup_program(const struct vfs_ctx *c, const char *argv0, char *const *envp, char *buf,
                          size_t size)
{
	if (!*argv0)
		return -ENOENT;
	if (strchr(argv0, '/')) {
		if (snprintf(buf, size, "%s", argv0) >= (int)size)
			return -ENAMETOOLONG;
		return 0;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *e = envp; e && *e; e++) {
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	}
	int err = -ENOENT;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = snprintf(buf, size, "%.*s/%s", (int)(end - path), end == path ? "." : path,
		                 argv0);
		struct path p;
		if (n > 0 && (size_t)n < size && vfs_lookup(c, buf, LOOKUP_FOLLOW, &p) == 0) {
			bool reg = (p.d->inode->mode & LINUX_S_IFMT) == LINUX_S_IFREG;
			bool exec = (p.d->inode->mode & 0111) != 0;
			path_put(&p);
			if (reg && exec)
				return 0;
			if (reg)
				err = -EACCES;
		}
		path = *end ? end + 1 : end;
	}
	return err;
}

static void process_creds(const struct sandbox_process *p, struct creds *c)
{
	*c = (struct creds){ 0 };
	c->ruid = c->euid = c->suid = c->fsuid = p->uid;
	c->rgid = c->egid = c->sgid = c->fsgid = p->gid;
	c->ngroups = p->ngroups < CREDS_NGROUPS_MAX ? p->ngroups : CREDS_NGROUPS_MAX;
	for (int i = 0; i < c->ngroups; i++)
		c->groups[i] = p->groups[i];
	if (p->has_caps) {
		c->cap_bset = p->cap_bounding;
		c->cap_effective = p->cap_effective;
		c->cap_inheritable = p->cap_inheritable;
		c->cap_permitted = p->cap_permitted;
		c->cap_ambient = p->cap_ambient;
	} else {
		/* Root's full sets, or none for another user: then execve computes the program's.
		 */
		creds_init_caps(c);
	}
}

int sandbox_start(struct sandbox *sb, const struct sandbox_process *p, struct thread_group **out_tg)
{
	int stdio[3] = { p->stdio[0], p->stdio[1], p->stdio[2] };
	struct task_init_args init = {
		.argv = p->argv,
		.envp = p->envp,
		.open_interp = exec_open_interp,
		.not_init = sb->started,
		.no_new_privs = p->no_new_privs,
		.container = p->container ? p->container->id : 0,
	};
	process_creds(p, &init.creds);
	memcpy(init.rlimits, p->rlimits, sizeof(init.rlimits));
	struct mount_ns *ns = p->container ? p->container->ns : sb->ns;
	struct path root = { ns->root, ns->root->root };
	struct vfs_ctx c = { .creds = &init.creds, .root = root, .start = root, .umask = p->umask };
	struct path cwd;
	int err = vfs_lookup(&c, p->cwd ? p->cwd : "/", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd);
	if (err < 0) {
		log_error("the working directory %s: %s", p->cwd, strerror(-err));
		for (int fd = 0; fd < 3; fd++)
			if (stdio[fd] >= 0)
				close(stdio[fd]);
		return err;
	}
	init.fs = fs_context_new(&root, &cwd, p->umask);
	c.start = cwd;
	init.open_arg = &c;
	char exe[LINUX_PATH_MAX];
	struct exec_image img = { 0 };
	err = init.fs ? 0 : -ENOMEM;
	if (err == 0 && p->exe && snprintf(exe, sizeof(exe), "%s", p->exe) >= (int)sizeof(exe))
		err = -ENAMETOOLONG;
	else if (err == 0 && !p->exe) {
		err = lookup_program(&c, p->argv[0], p->envp, exe, sizeof(exe));
		if (err < 0)
			log_error("%s: %s", p->argv[0], strerror(-err));
	}
	if (err == 0)
		err = exec_prepare(&c, exe, LOOKUP_FOLLOW, p->argv, &img);
	if (err == 0) {
		init.filename = exe;
		init.exe = img.file;
		img.file = NULL;
		init.exe_path = img.path;
		init.argv = img.argv;
	}
	int ierr = import_stdio(stdio, &init.fdt);
	if (err == 0)
		err = ierr;
	if (err == 0 && p->terminal) {
		/* The terminal on stdin is the new session's controlling terminal. */
		struct file *in = fdtable_lookup(init.fdt, 0, NULL);
		if (in) {
			init.ctty = host_file_tty(in);
			/* Its ^C, ^Z and window changes reach the sandbox (when forwarding runs).
			 */
			if (!init.not_init)
				sigforward_set_terminal(in);
			file_put(in);
		}
	}
	/* On failure the loader has logged why; the caller reports the errno. */
	if (err == 0)
		err = task_start_process(sb->k, &init, out_tg);
	if (err == 0)
		sb->started = true;
	if (init.fdt)
		fdtable_put(init.fdt);
	if (init.exe)
		init.exe->ops->close(init.exe);
	if (init.fs)
		fs_context_put(init.fs);
	exec_image_release(&img);
	path_put(&cwd);
	return err;
}

int sandbox_check_process(struct sandbox *sb, const struct sandbox_process *p)
{
	struct creds creds;
	process_creds(p, &creds);
	struct mount_ns *ns = p->container ? p->container->ns : sb->ns;
	struct path root = { ns->root, ns->root->root };
	struct vfs_ctx c = { .creds = &creds, .root = root, .start = root, .umask = p->umask };
	struct path cwd;
	int err = vfs_lookup(&c, p->cwd ? p->cwd : "/", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd);
	if (err < 0) {
		log_error("the working directory %s: %s", p->cwd, strerror(-err));
		return err;
	}
	c.start = cwd;
	char exe[LINUX_PATH_MAX];
	if (!p->exe) {
		err = lookup_program(&c, p->argv[0], p->envp, exe, sizeof(exe));
		if (err == -ENOENT && !strchr(p->argv[0], '/'))
			log_error("exec: \"%s\": executable file not found in $PATH", p->argv[0]);
		else if (err < 0)
			log_error("exec: \"%s\": %s", p->argv[0], strerror(-err));
	}
	path_put(&cwd);
	return err;
}

int sandbox_wait(struct sandbox *sb)
{
	return kernel_wait_init(sb->k);
}

void sandbox_destroy(struct sandbox *sb)
{
	if (sb->ns) {
		sb->k->mntns = NULL;
		mount_ns_destroy(sb->ns);
	}
	if (sb->gofer_pid > 0) {
		kill(sb->gofer_pid, SIGKILL);
		waitpid(sb->gofer_pid, NULL, 0);
	}
	kernel_destroy(sb->k);
	free(sb);
}

void sandbox_process_inherit_rlimits(struct sandbox_process *p)
{
	for (int r = 0; r < LINUX_RLIM_NLIMITS; r++) {
		struct rlimit rl;
		if (getrlimit((__rlimit_resource_t)r, &rl) == 0)
			p->rlimits[r] = (struct linux_rlimit){ rl.rlim_cur, rl.rlim_max };
		else
			p->rlimits[r] =
			        (struct linux_rlimit){ LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY };
	}
}
