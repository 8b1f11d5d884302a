/* The OCI lifecycle: see lifecycle.h. */
#include "runsc-cli/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/cgroup.h"
#include "common/oci/hooks.h"
#include "common/oci/spec.h"
#include "common/oci/state.h"
#include "runsc-cli/container.h"
#include "runsc-cli/pod.h"
#include "sentry/boot/oci.h"

/* How long create waits for the sandbox to report: a hung boot is killed, not waited on. */
#define BOOT_TIMEOUT_MS 60000

int parse_signal(const char *s)
{
	static const char *const names[] = {
		[1] = "HUP",     [2] = "INT",   [3] = "QUIT",   [4] = "ILL",   [5] = "TRAP",
		[6] = "ABRT",    [7] = "BUS",   [8] = "FPE",    [9] = "KILL",  [10] = "USR1",
		[11] = "SEGV",   [12] = "USR2", [13] = "PIPE",  [14] = "ALRM", [15] = "TERM",
		[16] = "STKFLT", [17] = "CHLD", [18] = "CONT",  [19] = "STOP", [20] = "TSTP",
		[21] = "TTIN",   [22] = "TTOU", [23] = "URG",   [24] = "XCPU", [25] = "XFSZ",
		[26] = "VTALRM", [27] = "PROF", [28] = "WINCH", [29] = "IO",   [30] = "PWR",
		[31] = "SYS",
	};
	if (!s || !*s)
		return -1;
	char *end;
	long n = strtol(s, &end, 10);
	if (*end == '\0')
		return n >= 1 && n <= 64 ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < (int)ARRAY_SIZE(names); i++) {
		if (strcasecmp(s, names[i]) == 0)
			return i;
	}
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		bool min = strncasecmp(s, "RTMIN", 5) == 0;
		long off = 0;
		if (s[5] && (off = strtol(s + 5, &end, 10), *end != '\0'))
			return -1;
		long sig = min ? 34 + off : 64 + off;
		return sig >= 34 && sig <= 64 ? (int)sig : -1;
	}
	return -1;
}

/* Writes "%d" to path through a temporary file and rename, as runc does. */
json_t *lifecycle_new_state(const char *id, const char *sandbox_id, const char *bundle,
                            const struct oci_spec *spec)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char created[64];
	oci_format_rfc3339nano(now, created, sizeof(created));
	json_t *ann = json_object();
	for (size_t i = 0; ann && i < spec->annotations_count; i++)
		json_object_set_new(ann, spec->annotations[i].key,
		                    json_string(spec->annotations[i].value));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:o,s:s}", "id", id, "sandbox_id",
	                 sandbox_id, "bundle", bundle, "rootfs", spec->root.resolved_path,
	                 "created", created, "created_ns",
	                 (json_int_t)now.tv_sec * 1000000000 + now.tv_nsec, "status", "created",
	                 "annotations", ann, "oci_version", spec->oci_version);
}

int lifecycle_save_created(struct container *c, const char *pid_file, pid_t pid, char *err,
                           size_t errlen)
{
	json_object_set_new(c->st, "pid", json_integer(pid));
	int e = container_save(c);
	if (e < 0) {
		snprintf(err, errlen, "saving the state: %s", strerror(-e));
		return e;
	}
	if (pid_file && (e = lifecycle_write_pid_file(pid_file, pid)) < 0) {
		snprintf(err, errlen, "--pid-file %s: %s", pid_file, strerror(-e));
		return e;
	}
	return 0;
}

int lifecycle_exit_code(int status)
{
	return (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

void lifecycle_let_go_of_stdio(const int stdio[3])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	for (int i = 0; i < 3; i++) {
		if (stdio[i] > 2 && (i == 0 || stdio[i] != stdio[i - 1]))
			close(stdio[i]);
	}
}

static int g_sig_pipe[2] = { -1, -1 };

static void note_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	ssize_t n = write(g_sig_pipe[1], &b, 1);
	(void)n;
}

int lifecycle_catch_signals(void)
{
	static const int sigs[] = { SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE,
		                    SIGALRM, SIGTERM, SIGCONT, SIGTSTP, SIGWINCH };
	if (g_sig_pipe[0] >= 0)
		return g_sig_pipe[0];
	if (pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa = { .sa_handler = note_signal, .sa_flags = SA_RESTART };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	return g_sig_pipe[0];
}

int lifecycle_write_pid_file(const char *path, pid_t pid)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.runsc-tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	int err = write(fd, buf, (size_t)n) == n ? 0 : -EIO;
	close(fd);
	if (err == 0 && rename(tmp, path) < 0)
		err = -errno;
	if (err < 0)
		unlink(tmp);
	return err;
}

/* Sends the pty master to the client's console socket, as runc does (payload "/dev/ptmx"). */
static int send_console(const char *sock_path, int master)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int err = 0;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
	} else {
		char payload[] = "/dev/ptmx";
		struct iovec iov = { payload, sizeof(payload) - 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cm = { 0 };
		struct msghdr mh = { .msg_iov = &iov,
			             .msg_iovlen = 1,
			             .msg_control = cm.buf,
			             .msg_controllen = sizeof(cm.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &master, sizeof(int));
		if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
			err = -errno;
	}
	close(s);
	return err;
}

/* A new pty: *master and *slave, both close-on-exec. */
static int open_pty(int *master, int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	char name[64];
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
		int err = -errno;
		close(m);
		return err;
	}
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int err = -errno;
		close(m);
		return err;
	}
	*master = m;
	*slave = s;
	return 0;
}

int lifecycle_open_console(const char *console_socket, const struct oci_process *p, int *master,
                           int *slave)
{
	int e = open_pty(master, slave);
	if (e < 0) {
		errno = -e;
		return e;
	}
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
			              .ws_col = (unsigned short)p->console_width };
		if (ioctl(*master, TIOCSWINSZ, &ws) < 0)
			e = -errno;
	}
	if (e == 0)
		e = send_console(console_socket, *master);
	if (e < 0) {
		close(*master);
		close(*slave);
		errno = -e;
	}
	return e;
}

/* The bound, listening control socket in the state directory. */
static int make_control_socket(int dirfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control.sock", dirfd);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 64) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	return s;
}

/* Reads the sandbox's report: "ok" or its error. Returns the bytes read, 0 at EOF, -1 timeout. */
static int read_sync(int fd, char *buf, size_t size)
{
	size_t n = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (n < size - 1) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
		               (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= BOOT_TIMEOUT_MS)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)(BOOT_TIMEOUT_MS - elapsed));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t got = read(fd, buf + n, size - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	return (int)n;
}

struct child_args {
	const struct runsc_globals *g;
	const char *bundle, *id;
	int control, sync, go, netns, tty;
	bool set_ctty;
	int oom_score_adj;
	bool has_oom;
};

/*
 * In the new namespaces: becomes `runsc boot` once create says go. Reports a
 * failure on the sync pipe.
 */
static NORETURN void child_boot(const struct child_args *c)
{
	char msg[512];
	ssize_t w;
	if (c->netns >= 0 && setns(c->netns, CLONE_NEWNET) < 0) {
		snprintf(msg, sizeof(msg), "joining the network namespace: %s", strerror(errno));
		goto fail;
	}
	/*
	 * Our mount namespace's mounts are still peers of the host's: the
	 * sentry's pivot_root and detach of the old root (confine.h's
	 * precondition: private mounts) would otherwise unmount their
	 * counterparts on the host, such as the nsfs mount of the very
	 * network namespace joined above (/run/netns/NAME, Docker's and CNI's).
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(msg, sizeof(msg), "making the mounts private: %s", strerror(errno));
		goto fail;
	}
	if (c->has_oom) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		int n = snprintf(msg, sizeof(msg), "%d", c->oom_score_adj);
		if (fd < 0 || write(fd, msg, (size_t)n) != n) {
			snprintf(msg, sizeof(msg), "process.oomScoreAdj %d: %s", c->oom_score_adj,
			         strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (c->tty >= 0) {
		if (c->set_ctty && (setsid() < 0 || ioctl(c->tty, TIOCSCTTY, 0) < 0)) {
			snprintf(msg, sizeof(msg), "the terminal: %s", strerror(errno));
			goto fail;
		}
		for (int fd = 0; fd < 3; fd++)
			dup2(c->tty, fd);
	}
	/*
	 * Wait for create to have moved us into the cgroup (before `runsc boot`
	 * forks the gofer and the stubs, which then inherit it) and to have run
	 * the prestart and createRuntime hooks. EOF: create gave up.
	 */
	char go;
	ssize_t r;
	while ((r = read(c->go, &go, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		_exit(126);
	int control = fcntl(c->control, F_DUPFD, 10), sync = fcntl(c->sync, F_DUPFD, 10);
	if (control < 0 || sync < 0 || dup2(control, 3) < 0 || dup2(sync, 4) < 0)
		_exit(126);
	close_range(5, ~0U, 0);
	char *argv[32];
	int n = 0;
	argv[n++] = "runsc";
	argv[n++] = (char *)"--platform";
	argv[n++] = (char *)c->g->platform;
	argv[n++] = "--network";
	argv[n++] = (char *)c->g->network;
	if (c->g->log) {
		argv[n++] = "--log";
		argv[n++] = (char *)c->g->log;
	}
	if (c->g->debug_log) {
		argv[n++] = "--debug-log";
		argv[n++] = (char *)c->g->debug_log;
	}
	if (c->g->json_log)
		argv[n++] = "--log-format=json";
	if (c->g->debug)
		argv[n++] = "--debug";
	if (c->g->strace)
		argv[n++] = "--strace";
	argv[n++] = "--network";
	argv[n++] = (char *)c->g->network;
	argv[n++] = "boot";
	argv[n++] = "--bundle";
	argv[n++] = (char *)c->bundle;
	argv[n++] = "--id";
	argv[n++] = (char *)c->id;
	argv[n++] = "--control-fd=3";
	argv[n++] = "--sync-fd=4";
	argv[n] = NULL;
	execv("/proc/self/exe", argv);
	snprintf(msg, sizeof(msg), "executing runsc boot: %s", strerror(errno));
	w = write(4, msg, strlen(msg));
	(void)w;
	_exit(126);
fail:
	w = write(c->sync, msg, strlen(msg));
	(void)w;
	_exit(126);
}

/* The namespaces the sandbox gets, and a network namespace to join (*netns, or -1). */
static int namespaces(const struct runsc_globals *g, const struct oci_spec *spec, int *flags,
                      int *netns, char *err, size_t errlen)
{
	*flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
	*netns = -1;
	if (!spec->has_linux || strcmp(g->network, "host") == 0)
		return 0;
	for (size_t i = 0; i < spec->linux_.namespaces_count; i++) {
		const struct oci_namespace *ns = &spec->linux_.namespaces[i];
		if (ns->type != OCI_NS_NETWORK)
			continue;
		if (!ns->path) {
			*flags |= CLONE_NEWNET;
			return 0;
		}
		*netns = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (*netns < 0) {
			snprintf(err, errlen, "linux.namespaces[%zu].path: %s: %s", i, ns->path,
			         strerror(errno));
			return -errno;
		}
		return 0;
	}
	return 0;
}

/* One hook as config.json has it, for the state. */
static json_t *hook_to_json(const struct oci_hook *h)
{
	json_t *j = json_pack("{s:s}", "path", h->path);
	if (j && h->args_count) {
		json_t *a = json_array();
		for (size_t i = 0; i < h->args_count; i++)
			json_array_append_new(a, json_string(h->args[i]));
		json_object_set_new(j, "args", a);
	}
	if (j && h->env_count) {
		json_t *e = json_array();
		for (size_t i = 0; i < h->env_count; i++)
			json_array_append_new(e, json_string(h->env[i]));
		json_object_set_new(j, "env", e);
	}
	if (j && h->timeout > 0)
		json_object_set_new(j, "timeout", json_integer(h->timeout));
	return j;
}

/* The hooks that run after create, as config.json's "hooks" object. */
static json_t *later_hooks_to_json(const struct oci_spec *spec)
{
	static const enum oci_hook_kind later[] = { OCI_HOOK_START_CONTAINER, OCI_HOOK_POSTSTART,
		                                    OCI_HOOK_POSTSTOP };
	json_t *obj = json_object();
	for (size_t k = 0; obj && k < ARRAY_SIZE(later); k++) {
		const struct oci_hook_list *list = &spec->hooks[later[k]];
		if (!list->count)
			continue;
		json_t *arr = json_array();
		for (size_t i = 0; i < list->count; i++)
			json_array_append_new(arr, hook_to_json(&list->hooks[i]));
		json_object_set_new(obj, oci_hook_kind_name(later[k]), arr);
	}
	return obj;
}

/*
 * The hooks create saved, parsed back into a spec that has only them (the
 * parser wants a root). NULL when there are none (or the state is from
 * before hooks were saved).
 */
static struct oci_spec *saved_hooks(const struct container *c)
{
	json_t *hooks = json_object_get(c->st, "hooks");
	if (!json_is_object(hooks) || json_object_size(hooks) == 0)
		return NULL;
	json_t *doc = json_pack("{s:s,s:{s:s},s:O}", "ociVersion", "1.0.2", "root", "path", "/",
	                        "hooks", hooks);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	struct oci_spec *spec = NULL;
	char err[512];
	if (text && oci_spec_parse(text, NULL, &spec, err, sizeof(err)) < 0) {
		log_warn("the hooks saved in the state of %s: %s", c->id, err);
		spec = NULL;
	}
	free(text);
	return spec;
}

/*
 * Runs the hooks of kind with the container's state (status, pid) on their
 * stdin. Stops at the first failure, whose message goes to err.
 */
static int run_hooks(const struct container *c, const struct oci_spec *spec,
                     enum oci_hook_kind kind, enum oci_status status, pid_t pid, char *err,
                     size_t errlen)
{
	const struct oci_hook_list *list = spec ? &spec->hooks[kind] : NULL;
	if (!list || !list->count)
		return 0;
	char *state = container_state_json(c, OCI_STATE_HOOK, status, pid, NULL);
	if (!state) {
		snprintf(err, errlen, "the state for the %s hooks: out of memory",
		         oci_hook_kind_name(kind));
		return -ENOMEM;
	}
	int e = oci_hooks_run(list, kind, state, err, errlen);
	free(state);
	return e;
}

/*
 * linux.cgroupsPath as the cgroupfs driver takes it. With --systemd-cgroup
 * a "slice:prefix:name" path is laid out as systemd would (the slice
 * "a-b.slice" is /a.slice/a-b.slice, the unit "prefix-name.scope"), since
 * this runtime has no systemd driver (runc's systemd driver needs a running
 * systemd). Returns a new string, or NULL for the default (the id).
 */
static char *cgroups_path(const struct runsc_globals *g, const struct oci_spec *spec)
{
	const char *p = spec->has_linux ? spec->linux_.cgroups_path : NULL;
	if (!p || !*p)
		return NULL;
	const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!g->systemd_cgroup || !c2 || strchr(c2 + 1, ':') || strchr(p, '/'))
		return strdup(p);
	char slice[1024], out[4096];
	snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - p), p);
	if (!*slice)
		snprintf(slice, sizeof(slice), "system.slice");
	/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" ("-.slice" is the root). */
	size_t n = 0;
	out[0] = '\0';
	size_t len = strlen(slice);
	bool is_slice = len > 6 && strcmp(slice + len - 6, ".slice") == 0;
	if (is_slice && strcmp(slice, "-.slice") != 0) {
		const char *name_end = slice + len - 6;
		for (const char *q = slice; q <= name_end; q++) {
			if (q == name_end || *q == '-')
				n += (size_t)snprintf(out + n, sizeof(out) - n, "/%.*s.slice",
				                      (int)(q - slice), slice);
			if (n >= sizeof(out))
				return NULL;
		}
	} else if (!is_slice) {
		n = (size_t)snprintf(out, sizeof(out), "/%s", slice);
	}
	snprintf(out + n, sizeof(out) - n, "/%.*s-%s.scope", (int)(c2 - c1 - 1), c1 + 1, c2 + 1);
	log_warn("--systemd-cgroup: no systemd here; the cgroup %s is made through cgroupfs", out);
	return strdup(out);
}

/*
 * The container's cgroup: made from linux.cgroupsPath with linux.resources
 * applied, and saved in the state. *out NULL when there is no cgroup
 * hierarchy on this host, or, for a non-root caller, none we may create
 * (runc's rootless containers go without one as well).
 */
static int make_cgroup(const struct runsc_globals *g, const struct oci_spec *spec,
                       struct container *c, struct cgroup **out, char *err, size_t errlen)
{
	*out = NULL;
	char *path = cgroups_path(g, spec);
	struct cgroup *cg;
	int e = cgroup_open(path, c->id, &cg, err, errlen);
	free(path);
	if (e == -ENOENT) {
		log_warn("no cgroup for %s: %s", c->id, err);
		return 0;
	}
	if (e < 0)
		return e;
	e = cgroup_create(cg, err, errlen);
	if (e < 0 && geteuid() != 0 && (e == -EACCES || e == -EPERM || e == -EROFS)) {
		log_warn("no cgroup for %s: %s", c->id, err);
		cgroup_close(cg);
		return 0;
	}
	*out = cg;
	if (e == 0)
		e = cgroup_apply(cg, spec->has_linux ? spec->linux_.resources : NULL, err, errlen);
	json_t *saved = e == 0 ? cgroup_to_json(cg) : NULL;
	if (e == 0 && !saved) {
		snprintf(err, errlen, "saving the cgroup: out of memory");
		e = -ENOMEM;
	}
	if (saved)
		json_object_set_new(c->st, "cgroup", saved);
	return e;
}

/* Writes one byte to the sandbox's go pipe. */
static int say_go(int fd)
{
	ssize_t w;
	while ((w = write(fd, "g", 1)) < 0 && errno == EINTR)
		;
	return w == 1 ? 0 : -errno;
}

int lifecycle_create(const struct runsc_globals *g, const struct create_args *a, pid_t *out_pid)
{
	char err[2048] = "";
	char *bundle = realpath(a->bundle ? a->bundle : ".", NULL);
	if (!bundle) {
		runsc_error(g, "bundle %s: %s", a->bundle ? a->bundle : ".", strerror(errno));
		return -1;
	}
	struct oci_spec *spec = NULL;
	struct container *c = NULL;
	struct cgroup *cg = NULL;
	int control = -1, sync[2] = { -1, -1 }, go[2] = { -1, -1 }, master = -1, slave = -1,
	    netns = -1;
	pid_t pid = -1;
	int ret = -1;
	if (oci_spec_load(bundle, &spec, err, sizeof(err)) < 0)
		goto fail;
	if (!spec->has_process) {
		snprintf(err, sizeof(err), "config.json: process: required");
		goto fail;
	}
	/* Everything the sandbox will refuse, refused here with the field's name. */
	struct oci_sandbox osb;
	if (oci_sandbox_config(spec, g->platform, false, &osb, err, sizeof(err)) < 0)
		goto fail;
	oci_sandbox_release(&osb);
	struct sandbox_process proc;
	if (oci_sandbox_process(&spec->process, &proc, err, sizeof(err)) < 0)
		goto fail;
	bool own_tty = spec->process.terminal && !a->console_socket;
	if (own_tty && !a->foreground) {
		snprintf(err, sizeof(err),
		         "process.terminal is true: create needs --console-socket to hand the "
		         "terminal to");
		goto fail;
	}
	/* A further container of a pod joins its sandbox (pod.h). */
	const char *pod_sandbox = pod_sandbox_id(spec, a->id);
	if (pod_sandbox) {
		ret = pod_create(g, a, spec, bundle, pod_sandbox, out_pid);
		oci_spec_free(spec);
		free(bundle);
		return ret;
	}
	int flags;
	if (namespaces(g, spec, &flags, &netns, err, sizeof(err)) < 0)
		goto fail;

	int e = container_create(g->root, a->id, &c);
	if (e < 0) {
		if (e == -EEXIST)
			snprintf(err, sizeof(err), "container with id exists: %s", a->id);
		else if (e == -EINVAL)
			snprintf(err, sizeof(err), "invalid container id \"%s\"", a->id);
		else
			snprintf(err, sizeof(err), "state directory %s/%s: %s", g->root, a->id,
			         strerror(-e));
		goto fail;
	}
	/* The state as the hooks see it; saved once the container exists. */
	json_t *st = lifecycle_new_state(a->id, a->id, bundle, spec);
	if (st)
		json_object_set_new(st, "hooks", later_hooks_to_json(spec));
	e = st ? json_object_update(c->st, st) : -ENOMEM;
	json_decref(st);
	if (e < 0) {
		snprintf(err, sizeof(err), "the state: out of memory");
		goto fail;
	}
	/* The cgroup and its limits come first: realtime limits must be there before a task. */
	if (make_cgroup(g, spec, c, &cg, err, sizeof(err)) < 0)
		goto fail;
	control = make_control_socket(c->dirfd);
	if (control < 0) {
		snprintf(err, sizeof(err), "control socket: %s", strerror(-control));
		goto fail;
	}
	if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		goto fail;
	}
	if (spec->process.terminal && a->console_socket) {
		e = lifecycle_open_console(a->console_socket, &spec->process, &master, &slave);
		if (e < 0) {
			snprintf(err, sizeof(err), "console socket %s: %s", a->console_socket,
			         strerror(-e));
			goto fail;
		}
		close(master);
		master = -1;
	}

	struct child_args ca = {
		.g = g,
		.bundle = bundle,
		.id = a->id,
		.control = control,
		.sync = sync[1],
		.go = go[0],
		.netns = netns,
		.tty = slave,
		.set_ctty = slave >= 0,
		.has_oom = spec->process.has_oom_score_adj,
		.oom_score_adj = spec->process.oom_score_adj,
	};
	pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		child_boot(&ca);
	if (pid < 0) {
		snprintf(err, sizeof(err), "starting the sandbox: %s", strerror(errno));
		goto fail;
	}
	close(sync[1]);
	sync[1] = -1;
	close(go[0]);
	go[0] = -1;
	/* The sandbox waits on the go pipe: it has no child yet, so all it makes is in the cgroup.
	 */
	if (cg && cgroup_add_pid(cg, pid, err, sizeof(err)) < 0)
		goto fail;
	/*
	 * prestart and createRuntime run in the runtime's namespaces once the
	 * sandbox's exist, with status "creating" and its pid, as runc runs them
	 * while its init waits: a network hook finds /proc/PID/ns/net.
	 */
	if (run_hooks(c, spec, OCI_HOOK_PRESTART, OCI_STATUS_CREATING, pid, err, sizeof(err)) < 0 ||
	    run_hooks(c, spec, OCI_HOOK_CREATE_RUNTIME, OCI_STATUS_CREATING, pid, err,
	              sizeof(err)) < 0)
		goto fail;
	if ((e = say_go(go[1])) < 0) {
		snprintf(err, sizeof(err), "starting the sandbox: %s", strerror(-e));
		goto fail;
	}
	close(go[1]);
	go[1] = -1;
	char report[2048];
	int n = read_sync(sync[0], report, sizeof(report));
	if (n < 0) {
		snprintf(err, sizeof(err), "the sandbox did not report within %d s",
		         BOOT_TIMEOUT_MS / 1000);
		goto fail;
	}
	if (n == 0 || strcmp(report, "ok") != 0) {
		if (n > 0) {
			snprintf(err, sizeof(err), "%s", report);
		} else {
			int status;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			pid = -1;
			if (WIFSIGNALED(status))
				snprintf(err, sizeof(err), "the sandbox was killed by signal %d",
				         WTERMSIG(status));
			else
				snprintf(err, sizeof(err), "the sandbox exited with status %d",
				         WEXITSTATUS(status));
		}
		goto fail;
	}
	/*
	 * createContainer: runc runs it in the container's namespaces before
	 * pivot_root. A sandbox cannot run a host binary inside, so it runs on
	 * the host, now that the sandbox's mounts are made (same state).
	 */
	if (run_hooks(c, spec, OCI_HOOK_CREATE_CONTAINER, OCI_STATUS_CREATING, pid, err,
	              sizeof(err)) < 0)
		goto fail;

	st = json_pack("{s:i,s:I}", "sandbox_pid", pid, "sandbox_start",
	               (json_int_t)process_start_time(pid));
	e = st ? json_object_update(c->st, st) : -ENOMEM;
	json_decref(st);
	if (e < 0 || lifecycle_save_created(c, a->pid_file, pid, err, sizeof(err)) < 0) {
		if (e < 0)
			snprintf(err, sizeof(err), "the state: out of memory");
		goto fail;
	}
	*out_pid = pid;
	pid = -1;
	ret = 0;
	container_close(c);
	c = NULL;
fail:
	if (ret < 0) {
		runsc_error(g, "%s", err);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		char cgerr[512];
		if (cg && cgroup_destroy(cg, true, cgerr, sizeof(cgerr)) < 0)
			log_warn("removing the cgroup: %s", cgerr);
		if (c)
			container_remove(c);
	}
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	if (cg)
		cgroup_close(cg);
	if (control >= 0)
		close(control);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	if (netns >= 0)
		close(netns);
	oci_spec_free(spec);
	free(bundle);
	return ret;
}

static void report_open_error(const struct runsc_globals *g, const char *id, int err)
{
	if (err == -ENOENT)
		runsc_error(g, "container does not exist");
	else
		runsc_error(g, "container %s: %s", id, strerror(-err));
}

int lifecycle_open(const struct runsc_globals *g, const char *id, bool exclusive,
                   struct container **out)
{
	int err = container_open(g->root, id, exclusive, out);
	if (err < 0)
		report_open_error(g, id, err);
	return err < 0 ? -1 : 0;
}

/* Stops a container whose start failed (a hook), as runc: its sandbox is killed. */
static void kill_sandbox(const struct container *c)
{
	if (container_sandbox_alive(c))
		kill((pid_t)container_int(c, "sandbox_pid"), SIGKILL);
}

int lifecycle_start(const struct runsc_globals *g, const char *id)
{
	struct container *c;
	int e = 0;
	if (lifecycle_open(g, id, true, &c) < 0)
		return -1;
	pid_t pid;
	const char *status = container_status(c, &pid);
	if (strcmp(status, "created") != 0) {
		runsc_error(g, "cannot start a container that is %s", status);
		container_close(c);
		return -1;
	}
	struct oci_spec *hooks = saved_hooks(c);
	char err[2048];
	/*
	 * startContainer: runc runs it in the container just before the
	 * program; it runs on the host here (createContainer's reason). A
	 * failure stops the container and start fails.
	 */
	if (run_hooks(c, hooks, OCI_HOOK_START_CONTAINER, OCI_STATUS_CREATED, pid, err,
	              sizeof(err)) < 0) {
		kill_sandbox(c);
		goto fail;
	}
	json_t *reply;
	if (container_call(c, "start", NULL, &reply, err, sizeof(err)) < 0)
		goto fail;
	json_decref(reply);
	json_object_set_new(c->st, "status", json_string("running"));
	e = container_save(c);
	if (e < 0) {
		snprintf(err, sizeof(err), "saving the state: %s", strerror(-e));
		goto fail;
	}
	/*
	 * poststart, once the program runs. A failure stops the container and
	 * start fails, as runc has always done and runtime-spec 1.2 asks (1.0.2
	 * only asked for a warning).
	 */
	if (run_hooks(c, hooks, OCI_HOOK_POSTSTART, OCI_STATUS_RUNNING, pid, err, sizeof(err)) <
	    0) {
		kill_sandbox(c);
		goto fail;
	}
	oci_spec_free(hooks);
	container_close(c);
	return 0;
fail:
	runsc_error(g, "%s", err);
	oci_spec_free(hooks);
	container_close(c);
	return -1;
}

/* Waits until the sandbox process has ended (or is a zombie), up to about ten seconds. */
static bool wait_sandbox_gone(const struct container *c)
{
	for (int i = 0; i < 1000; i++) {
		if (!container_sandbox_alive(c))
			return true;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Runs the poststop hooks: a failure is logged and the others still run (runtime spec). */
static void run_poststop(const struct oci_spec *hooks, const char *state)
{
	const struct oci_hook_list *list = hooks ? &hooks->hooks[OCI_HOOK_POSTSTOP] : NULL;
	for (size_t i = 0; list && state && i < list->count; i++) {
		char err[2048];
		if (oci_hook_run(&list->hooks[i], OCI_HOOK_POSTSTOP, i, state, err, sizeof(err)) <
		    0)
			log_warn("%s", err);
	}
}

int lifecycle_delete(const struct runsc_globals *g, const char *id, bool force)
{
	struct container *c;
	int e = container_open(g->root, id, true, &c);
	if (e == -ENOENT && force)
		return 0;
	if (e < 0) {
		report_open_error(g, id, e);
		return -1;
	}
	pid_t pid;
	const char *status = container_status(c, &pid);
	if (!force && strcmp(status, "stopped") != 0 && strcmp(status, "created") != 0) {
		runsc_error(g, "cannot delete container %s that is not stopped: %s", id, status);
		container_close(c);
		return -1;
	}
	const char *sandbox = container_str(c, "sandbox_id");
	if (sandbox && strcmp(sandbox, id) != 0)
		return pod_delete(g, c);
	/* The pid namespace's init: every process of the sandbox dies with it. */
	kill_sandbox(c);
	/* The cgroup goes with whatever is left in it (a frozen sandbox is thawed to die). */
	struct cgroup *cg;
	char err[1024];
	e = container_cgroup(c, &cg, err, sizeof(err));
	if (e == 0 && cg) {
		e = cgroup_destroy(cg, true, err, sizeof(err));
		cgroup_close(cg);
	}
	if (e < 0) {
		runsc_error(g, "removing the cgroup of %s: %s", id, err);
		container_close(c);
		return -1;
	}
	if (!wait_sandbox_gone(c)) {
		runsc_error(g, "the sandbox of %s (pid %lld) does not end", id,
		            container_int(c, "sandbox_pid"));
		container_close(c);
		return -1;
	}
	/* As runc: the state goes first, then the poststop hooks run with status stopped. */
	struct oci_spec *hooks = saved_hooks(c);
	char *state = container_state_json(c, OCI_STATE_HOOK, OCI_STATUS_STOPPED, 0, NULL);
	container_remove(c);
	run_poststop(hooks, state);
	free(state);
	oci_spec_free(hooks);
	return 0;
}
