/*
 * Containers of a pod: see pod.h.
 */
#include "runsc-cli/pod.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/control.h"
#include "common/oci/spec.h"
#include "common/oci/state.h"
#include "runsc-cli/container.h"
#include "sentry/boot/boot.h"
#include "sentry/boot/oci.h"

#define ANN_TYPE    "io.kubernetes.cri.container-type"
#define ANN_SANDBOX "io.kubernetes.cri.sandbox-id"

static const char *annotation(const struct oci_spec *spec, const char *key)
{
	for (size_t i = 0; i < spec->annotations_count; i++) {
		if (strcmp(spec->annotations[i].key, key) == 0)
			return spec->annotations[i].value;
	}
	return NULL;
}

const char *pod_sandbox_id(const struct oci_spec *spec, const char *id)
{
	const char *type = annotation(spec, ANN_TYPE);
	const char *sandbox = annotation(spec, ANN_SANDBOX);
	if (!type || strcmp(type, "container") != 0 || !sandbox || strcmp(sandbox, id) == 0)
		return NULL;
	return sandbox;
}

/* ---- the proxy ---- */

/* Sends one request on a new connection to the sandbox (sandbox_dir: its state directory). */
static void call_once(int sandbox_dir, json_t *req)
{
	int s = control_connect(sandbox_dir);
	if (s < 0)
		return;
	json_t *reply = NULL;
	control_call(s, req, NULL, 0, &reply);
	json_decref(reply);
	close(s);
}

struct proxy_args {
	const char *id;
	int sandbox_dir; /* O_PATH fd of the sandbox's state directory */
	const struct sandbox_config *cfg;
	json_t *create; /* the "create" request */
	int stdio[3];
	int ready; /* gets "ok" or the error */
};

static void report(int ready, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int ready, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ssize_t n = write(ready, msg, strlen(msg));
	(void)n;
}

/*
 * The proxy: starts the gofer, has the sandbox add the container, then
 * waits for its init and exits with its status (128+N for signal N).
 */
static NORETURN void proxy_main(struct proxy_args *a)
{
	/* Never the caller's stderr: a client waits for its EOF (see cmd_exec.c). */
	if (log_fd() == 2) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			log_set_fd(null);
	}
	pid_t gofer = -1;
	int gsock = sandbox_spawn_gofer(a->cfg, &gofer);
	if (gsock < 0) {
		char last[512];
		log_last_error(last, sizeof(last));
		report(a->ready, "%s", last[0] ? last : strerror(-gsock));
		_exit(1);
	}
	int sock = control_connect(a->sandbox_dir);
	json_t *reply = NULL;
	int fds[4] = { gsock, a->stdio[0], a->stdio[1], a->stdio[2] };
	int e = sock < 0 ? sock : control_call(sock, a->create, fds, 4, &reply);
	close(gsock);
	const char *err = reply ? json_string_value(json_object_get(reply, "error")) : NULL;
	if (e < 0 || err) {
		report(a->ready, "%s", err ? err : strerror(-e));
		kill(gofer, SIGKILL);
		waitpid(gofer, NULL, 0);
		_exit(1);
	}
	json_decref(reply);
	report(a->ready, "ok");
	close(a->ready);
	/* The container has its stdio now; the proxy holds none of the caller's. */
	lifecycle_let_go_of_stdio(a->stdio);
	int sigs = lifecycle_catch_signals();
	json_t *wait = json_pack("{s:s,s:s}", "op", "wait", "container", a->id);
	int code = 255;
	if (wait && control_send(sock, wait, NULL, 0) == 0) {
		for (;;) {
			struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				               { .fd = sigs, .events = POLLIN } };
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			unsigned char b;
			while (p[1].revents && read(sigs, &b, 1) == 1) {
				json_t *m = json_pack("{s:s,s:s,s:i}", "op", "signal", "container",
				                      a->id, "signal", (int)b);
				if (m)
					call_once(a->sandbox_dir, m);
				json_decref(m);
			}
			if (!p[0].revents)
				continue;
			json_t *m;
			if (control_recv(sock, &m, NULL, NULL) == 0) {
				json_t *st = json_object_get(m, "status");
				if (json_is_integer(st))
					code = lifecycle_exit_code((int)json_integer_value(st));
				json_decref(m);
			}
			break; /* the status, or the sandbox is gone */
		}
	}
	json_decref(wait);
	kill(gofer, SIGKILL);
	waitpid(gofer, NULL, 0);
	_exit(code);
}

/* ---- create and delete ---- */

/* The container's config.json as compact JSON text, for the sandbox to parse. */
static char *config_text(const char *bundle, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		snprintf(err, errlen, "config.json: %s", j ? "out of memory" : jerr.text);
	else if (strlen(text) > CONTROL_MSG_MAX / 2)
		snprintf(err, errlen, "config.json: too large for a pod container (%zu bytes)",
		         strlen(text));
	if (text && strlen(text) > CONTROL_MSG_MAX / 2) {
		free(text);
		text = NULL;
	}
	return text;
}

int pod_create(const struct runsc_globals *g, const struct create_args *a,
               const struct oci_spec *spec, const char *bundle, const char *sandbox_id,
               pid_t *out_pid)
{
	char err[2048] = "";
	struct container *sb = NULL, *c = NULL;
	struct oci_sandbox osb;
	bool have_osb = false;
	int sandbox_dir = -1, master = -1, slave = -1, ready[2] = { -1, -1 };
	char *text = NULL;
	json_t *req = NULL;
	pid_t pid = -1;
	int ret = -1;

	int e = container_open(g->root, sandbox_id, false, &sb);
	if (e < 0 || !container_sandbox_alive(sb)) {
		snprintf(err, sizeof(err), "the pod's sandbox %s (%s) is not running", sandbox_id,
		         ANN_SANDBOX);
		goto out;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", g->root, sandbox_id);
	sandbox_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sandbox_dir < 0) {
		snprintf(err, sizeof(err), "the sandbox's state directory: %s", strerror(errno));
		goto out;
	}
	if (oci_sandbox_config(spec, g->platform, false, &osb, err, sizeof(err)) < 0)
		goto out;
	have_osb = true;
	/* What a pod container does not get of its own (pod.h), said rather than dropped. */
	for (int k = 0; k < OCI_HOOK_KIND_COUNT; k++) {
		if (spec->hooks[k].count) {
			log_warn("config.json: hooks: not run for a container of a pod");
			break;
		}
	}
	if (spec->has_linux && spec->linux_.resources)
		log_warn("config.json: linux.resources: a container of a pod shares the cgroup of "
		         "its sandbox %s: not applied to it alone",
		         sandbox_id);
	text = config_text(bundle, err, sizeof(err));
	if (!text)
		goto out;
	e = container_create(g->root, a->id, &c);
	if (e < 0) {
		if (e == -EEXIST)
			snprintf(err, sizeof(err), "container with id exists: %s", a->id);
		else
			snprintf(err, sizeof(err), "state directory %s/%s: %s", g->root, a->id,
			         strerror(-e));
		goto out;
	}
	int stdio[3] = { 0, 1, 2 };
	if (spec->process.terminal) {
		if (!a->console_socket) {
			snprintf(err, sizeof(err),
			         "process.terminal is true: create needs --console-socket");
			goto out;
		}
		if (lifecycle_open_console(a->console_socket, &spec->process, &master, &slave) <
		    0) {
			snprintf(err, sizeof(err), "console socket %s: %s", a->console_socket,
			         strerror(errno));
			goto out;
		}
		stdio[0] = stdio[1] = stdio[2] = slave;
	}
	req = json_pack("{s:s,s:s,s:s,s:s}", "op", "create", "container", a->id, "bundle", bundle,
	                "config", text);
	if (!req || pipe2(ready, O_CLOEXEC) < 0) {
		snprintf(err, sizeof(err), "out of resources");
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		/* Not the state directories' locks: they are this command's alone. */
		close(c->dirfd);
		close(sb->dirfd);
		close(ready[0]);
		if (master >= 0)
			close(master);
		struct proxy_args pa = { .id = a->id,
			                 .sandbox_dir = sandbox_dir,
			                 .cfg = &osb.cfg,
			                 .create = req,
			                 .stdio = { stdio[0], stdio[1], stdio[2] },
			                 .ready = ready[1] };
		proxy_main(&pa);
	}
	if (pid < 0) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		goto out;
	}
	close(ready[1]);
	ready[1] = -1;
	char msg[1024];
	ssize_t n;
	do
		n = read(ready[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	msg[n > 0 ? n : 0] = '\0';
	if (strcmp(msg, "ok") != 0) {
		snprintf(err, sizeof(err), "%s", n > 0 ? msg : "the pod container's proxy failed");
		goto out;
	}

	json_t *st = lifecycle_new_state(a->id, sandbox_id, bundle, spec);
	if (st) {
		json_object_set_new(st, "pid_start",
		                    json_integer((json_int_t)process_start_time(pid)));
		json_object_set_new(st, "sandbox_pid",
		                    json_integer(container_int(sb, "sandbox_pid")));
		json_object_set_new(st, "sandbox_start",
		                    json_integer(container_int(sb, "sandbox_start")));
	}
	e = st ? json_object_update(c->st, st) : -ENOMEM;
	json_decref(st);
	if (e < 0) {
		snprintf(err, sizeof(err), "the state: out of memory");
		goto out;
	}
	if (lifecycle_save_created(c, a->pid_file, pid, err, sizeof(err)) < 0)
		goto out;
	*out_pid = pid;
	pid = -1;
	ret = 0;
out:
	if (ret < 0) {
		runsc_error(g, "%s", err);
		if (pid > 0) {
			/* The sandbox may have added it: take it out again, then the proxy. */
			json_t *del = json_pack("{s:s,s:s}", "op", "delete", "container", a->id);
			if (del && sandbox_dir >= 0)
				call_once(sandbox_dir, del);
			json_decref(del);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		if (c)
			container_remove(c);
	} else {
		container_close(c);
	}
	if (sb)
		container_close(sb);
	for (int i = 0; i < 2; i++)
		if (ready[i] >= 0)
			close(ready[i]);
	if (sandbox_dir >= 0)
		close(sandbox_dir);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	if (have_osb)
		oci_sandbox_release(&osb);
	json_decref(req);
	free(text);
	return ret;
}

/* Whether the proxy recorded in c's state still runs (same start time). */
static bool proxy_alive(const struct container *c)
{
	pid_t pid = (pid_t)container_int(c, "pid");
	return pid > 0 &&
	       process_start_time(pid) == (unsigned long long)container_int(c, "pid_start");
}

int pod_delete(const struct runsc_globals *g, struct container *c)
{
	if (container_sandbox_alive(c)) {
		json_t *reply;
		char err[1024];
		if (container_call(c, "delete", NULL, &reply, err, sizeof(err)) < 0) {
			/* Already gone from the sandbox is fine; anything else is not. */
			if (!strstr(err, "is not in this sandbox")) {
				runsc_error(g, "%s", err);
				container_close(c);
				return -1;
			}
		} else {
			json_decref(reply);
		}
	}
	/* Its init has ended: the proxy exits by itself; a stuck one is ended here. */
	for (int i = 0; i < 500 && proxy_alive(c); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (proxy_alive(c))
		kill((pid_t)container_int(c, "pid"), SIGKILL);
	container_remove(c);
	return 0;
}
