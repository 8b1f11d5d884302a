/*
 * Booting a sandbox: see boot.h.
 *
 * Until the OCI runtime lands, the sandbox runs inside the calling
 * process: the platform is prepared, the gofer started, the mounts made,
 * the caller's stdio wrapped as host files, and the init task started on
 * its own sentry thread.
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
#include "sentry/boot/confine.h"
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
#include "sentry/vfs/file.h"

/* Gives the sandbox its own copies of the caller's fds 0-2. */
static int import_stdio(struct fdtable **out)
{
	struct fdtable *fdt = fdtable_new();
	if (!fdt)
		return -ENOMEM;
	for (int fd = 0; fd < 3; fd++) {
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			continue; /* not open in the caller: not open in the sandbox */
		struct file *f;
		int err = host_file_new(copy, &f);
		if (err < 0) {
			close(copy);
			fdtable_put(fdt);
			return err;
		}
		err = fdtable_install_at(fdt, fd, f, false, 3);
		file_put(f);
		if (err < 0) {
			fdtable_put(fdt);
			return err;
		}
	}
	*out = fdt;
	return 0;
}

static void initial_rlimits(struct linux_rlimit *out)
{
	for (int r = 0; r < LINUX_RLIM_NLIMITS; r++) {
		struct rlimit rl;
		if (getrlimit((__rlimit_resource_t)r, &rl) == 0)
			out[r] = (struct linux_rlimit){ rl.rlim_cur, rl.rlim_max };
		else
			out[r] = (struct linux_rlimit){ LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY };
	}
}

static void caller_creds(struct creds *c)
{
	c->ruid = c->euid = c->suid = c->fsuid = getuid();
	c->rgid = c->egid = c->sgid = c->fsgid = getgid();
	gid_t groups[CREDS_NGROUPS_MAX];
	int n = getgroups(CREDS_NGROUPS_MAX, groups);
	c->ngroups = n < 0 ? 0 : n;
	for (int i = 0; i < c->ngroups; i++)
		c->groups[i] = groups[i];
	/* Root's full sets, or none for another user: then execve computes the program's. */
	creds_init_caps(c);
}

/*
 * Starts `runsc gofer` serving / read-only and the volumes, on one end of
 * a socket pair. Returns the other end (the first channel) and the
 * gofer's pid, or -errno.
 */
static int start_gofer(const struct sentry_do_args *args, pid_t *out_pid)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int nargs = 6 + 2 * args->nvolumes + 1;
	char **argv = calloc((size_t)nargs, sizeof(*argv));
	char **specs = calloc((size_t)args->nvolumes + 1, sizeof(*specs));
	if (!argv || !specs) {
		free(argv);
		free(specs);
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	int n = 0;
	argv[n++] = "runsc";
	argv[n++] = "gofer";
	argv[n++] = "--socket-fd=3";
	argv[n++] = "--mount";
	argv[n++] = "/:ro";
	for (int i = 0; i < args->nvolumes; i++) {
		const struct sentry_volume *v = &args->volumes[i];
		if (asprintf(&specs[i], "%s%s", v->host, v->readonly ? ":ro" : "") < 0)
			specs[i] = NULL;
		argv[n++] = "--mount";
		argv[n++] = specs[i] ? specs[i] : "/nonexistent";
	}
	argv[n] = NULL;
	pid_t parent = getpid();
	pid_t pid = fork();
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
		close_range(4, ~0U, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int err = pid < 0 ? -errno : 0;
	for (int i = 0; i < args->nvolumes; i++)
		free(specs[i]);
	free(specs);
	free(argv);
	close(sv[1]);
	if (err < 0) {
		close(sv[0]);
		return err;
	}
	*out_pid = pid;
	return sv[0];
}

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

/* The sandbox's mounts; *out_ns gets the namespace. */
static int make_mounts(struct kernel *k, const struct sentry_do_args *args, int sock,
                       struct mount_ns **out_ns)
{
	struct gofer_client *root_client;
	int err = gofer_client_new(sock, &root_client);
	if (err < 0)
		return err;
	/* Each volume gets a channel of its own. */
	struct gofer_client **vol_clients =
	        calloc((size_t)args->nvolumes + 1, sizeof(*vol_clients));
	if (!vol_clients) {
		gofer_client_free(root_client);
		return -ENOMEM;
	}
	for (int i = 0; i < args->nvolumes && err == 0; i++)
		err = gofer_client_channel(root_client, &vol_clients[i]);
	struct superblock *lower = NULL, *upper = NULL, *root = NULL;
	if (err == 0) {
		err = goferfs_new(root_client, 0, "/", &lower);
		root_client = NULL;
	}
	if (err == 0) {
		struct tmpfs_options opts = { .set = TMPFS_OPT_MODE, .mode = 0755 };
		err = tmpfs_new(&opts, &upper);
	}
	if (err == 0)
		err = overlay_new(lower, upper, &root);
	struct mount_ns *ns = NULL;
	if (err == 0)
		err = mount_ns_new(root, 0, "overlay", &ns);
	if (root)
		superblock_put(root);
	if (upper)
		superblock_put(upper);
	if (lower)
		superblock_put(lower);
	if (err < 0)
		goto out_free_clients;
	struct path rootp = { ns->root, ns->root->root };
	struct vfs_ctx c = root_ctx(&rootp);

	struct superblock *sb;
	err = procfs_new(k, &sb);
	if (err == 0) {
		err = mount_sb_at(&c, "/proc", sb,
		                  MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME, "proc");
		superblock_put(sb);
	}
	if (err == 0)
		err = sysfs_new(&sb);
	if (err == 0) {
		err = mount_sb_at(&c, "/sys", sb,
		                  MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_RELATIME,
		                  "sysfs");
		superblock_put(sb);
	}
	if (err == 0)
		err = mount_dev(&c);
	for (int i = 0; i < args->nvolumes && err == 0; i++) {
		const struct sentry_volume *v = &args->volumes[i];
		err = goferfs_new(vol_clients[i], (uint32_t)i + 1, v->host, &sb);
		vol_clients[i] = NULL;
		if (err == 0) {
			/* The host may change a volume too: every walk asks the gofer again. */
			sb->flags |= SB_NOCACHE;
			err = mount_sb_at(&c, v->guest, sb,
			                  (v->readonly ? MNT_RDONLY : 0) | MNT_RELATIME, v->host);
			superblock_put(sb);
		}
		if (err < 0)
			log_error("volume %s:%s: %s", v->host, v->guest, strerror(-err));
	}
	if (err < 0) {
		mount_ns_destroy(ns);
		goto out_free_clients;
	}
	*out_ns = ns;
out_free_clients:
	for (int i = 0; i < args->nvolumes; i++) {
		if (vol_clients[i])
			gofer_client_free(vol_clients[i]);
	}
	free(vol_clients);
	if (root_client)
		gofer_client_free(root_client);
	return err;
}

static void register_fs_types(void)
{
	vfs_register_fs(&tmpfs_fs_type);
	vfs_register_fs(&procfs_fs_type);
	vfs_register_fs(&sysfs_fs_type);
	/* FIFO nodes of every file system open as the sentry's pipes. */
	pipe_register_fifo();
}

int sentry_do(const struct sentry_do_args *args)
{
	const struct platform_ops *platform = platform_lookup(args->platform);
	if (!platform) {
		log_error("unknown platform \"%s\"", args->platform);
		return -EINVAL;
	}
	int err = platform->init();
	if (err < 0) {
		log_error("platform %s: %s", platform->name, strerror(-err));
		return err;
	}
	/* A write to a closed pipe is the application's EPIPE, not the sentry's death. */
	signal(SIGPIPE, SIG_IGN);
	register_fs_types();

	struct kernel_config cfg = {
		.platform = platform,
		.hostname = args->hostname,
		.release = args->release,
		.version = "#1 SMP PREEMPT_DYNAMIC runsc",
		.strace = args->strace,
	};
	struct kernel *k;
	err = kernel_new(&cfg, &k);
	if (err < 0)
		return err;

	pid_t gofer_pid = -1;
	int sock = start_gofer(args, &gofer_pid);
	if (sock < 0) {
		err = sock;
		log_error("starting the gofer: %s", strerror(-err));
		goto out_kernel;
	}
	struct mount_ns *ns = NULL;
	err = make_mounts(k, args, sock, &ns);
	if (err < 0) {
		log_error("setting up the sandbox's mounts: %s", strerror(-err));
		goto out_gofer;
	}
	k->mntns = ns;

	struct task_init_args init = {
		.filename = args->exe_path,
		.argv = args->argv,
		.envp = args->envp,
		.open_interp = exec_open_interp,
	};
	caller_creds(&init.creds);
	initial_rlimits(init.rlimits);
	struct path root = { ns->root, ns->root->root };
	struct vfs_ctx c = { .creds = &init.creds, .root = root, .start = root, .umask = 022 };
	struct path cwd;
	if (!args->cwd || vfs_lookup(&c, args->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd) < 0) {
		cwd = root;
		path_get(&cwd);
	}
	mode_t umask_now = umask(022);
	umask(umask_now);
	init.fs = fs_context_new(&root, &cwd, umask_now);
	c.start = cwd;
	init.open_arg = &c;
	struct exec_image img = { 0 };
	err = init.fs ? exec_prepare(&c, args->exe_path, LOOKUP_FOLLOW, args->argv, &img) : -ENOMEM;
	if (err == 0) {
		init.exe = img.file;
		img.file = NULL;
		init.exe_path = img.path;
		init.argv = img.argv;
		err = import_stdio(&init.fdt);
	}
	if (err == 0) {
		/* A terminal on stdin is the session's controlling terminal, as a login's is. */
		struct file *in = fdtable_lookup(init.fdt, 0, NULL);
		if (in) {
			init.ctty = host_file_tty(in);
			file_put(in);
		}
	}
	/* The last moment before application code runs: every host file is open. */
	if (err == 0 && args->confine)
		err = sentry_confine();
	/* On failure the loader has logged why; the caller reports the errno. */
	if (err == 0)
		err = task_start_init(k, &init);
	if (init.exe) {
		init.exe->ops->close(init.exe);
		init.exe = NULL;
	}
	if (init.fs)
		fs_context_put(init.fs);
	exec_image_release(&img);
	path_put(&cwd);
	if (err == 0)
		err = kernel_wait_init(k);
	k->mntns = NULL;
	mount_ns_destroy(ns);
out_gofer:
	if (gofer_pid > 0) {
		kill(gofer_pid, SIGKILL);
		waitpid(gofer_pid, NULL, 0);
	}
out_kernel:
	kernel_destroy(k);
	return err;
}
