/*
 * The control server: see control_server.h.
 *
 * Threads: one accepts; each connection gets a detached thread that reads
 * requests until the client closes it. An exec connection also gets a
 * waiter thread that sends the process's exit status when it ends; if the
 * client goes away first, the process is killed (as a `runc exec` whose
 * runtime process died would lose its parent and its stdio).
 */
#include "sentry/boot/control_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/control.h"
#include "common/oci/spec.h"
#include "sentry/boot/oci.h"
#include "sentry/kernel/task.h"

/*
 * A container: the sandbox's own (the first, created with the server) or
 * a further one of a pod ("create"). Fields under the server's mu.
 */
struct ctr {
	struct ctr *next;
	char *id;
	unsigned num;                 /* thread_group.container of its processes: 0 for the first */
	struct sandbox_container *sc; /* its root and mounts; NULL: the sandbox's */
	struct sandbox_process init;  /* until started */
	struct oci_spec *spec;        /* a pod container's: init's strings point into it */
	struct oci_sandbox osb;       /* and its mounts */
	bool starting;                /* a start request came */
	bool started;                 /* and was answered: init_tg is set if init runs */
	struct thread_group *init_tg; /* a reference once started */
	int refs;                     /* the list's, and each request's that uses it */
	int starting_execs;           /* exec requests between their check and their start */
};

struct control_server {
	int listen_fd;
	struct sandbox *sb;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct ctr *ctrs; /* the sandbox's own first; under mu */
	unsigned next_num;
};

struct conn {
	struct control_server *cs;
	int sock;
	pthread_mutex_t send_mu; /* the waiter and the reader both send on an exec connection */
};

static int reply(struct conn *c, json_t *msg)
{
	if (!msg)
		return control_send_error(c->sock, "out of memory");
	pthread_mutex_lock(&c->send_mu);
	int err = control_send(c->sock, msg, NULL, 0);
	pthread_mutex_unlock(&c->send_mu);
	json_decref(msg);
	return err;
}

static int reply_error(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply_error(struct conn *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply(c, json_pack("{s:s}", "error", msg));
}

/* Why sandbox_start failed, for the user: the last error the sentry logged, or the errno. */
static void start_error(int err, char *buf, size_t size)
{
	char last[1024];
	log_last_error(last, sizeof(last));
	snprintf(buf, size, "%s", last[0] ? last : strerror(-err));
}

/* The container named id, or NULL. Under cs->mu. */
static struct ctr *find_locked(struct control_server *cs, const char *id)
{
	for (struct ctr *r = cs->ctrs; r; r = r->next) {
		if (strcmp(r->id, id) == 0)
			return r;
	}
	return NULL;
}

/* The container named id with a reference for the caller, or NULL. */
static struct ctr *get_ctr(struct control_server *cs, const char *id)
{
	pthread_mutex_lock(&cs->mu);
	struct ctr *r = find_locked(cs, id);
	if (r)
		r->refs++;
	pthread_mutex_unlock(&cs->mu);
	return r;
}

/*
 * Frees what a pod container's record holds for its init: its stdio
 * unless sandbox_start took it (consumed), its spec and mounts' strings.
 */
static void release_init_locked(struct ctr *r, bool consumed)
{
	if (!r->spec)
		return;
	for (int fd = 0; fd < 3; fd++) {
		if (r->init.stdio[fd] >= 0 && !consumed)
			close(r->init.stdio[fd]);
		r->init.stdio[fd] = -1;
	}
	oci_sandbox_release(&r->osb);
	oci_spec_free(r->spec);
	r->spec = NULL;
}

static void put_ctr(struct control_server *cs, struct ctr *r)
{
	pthread_mutex_lock(&cs->mu);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&cs->mu);
	if (!last)
		return;
	release_init_locked(r, false);
	if (r->init_tg)
		tg_put(r->init_tg);
	free(r->id);
	free(r);
}

static void op_start(struct conn *c, struct ctr *r)
{
	struct control_server *cs = c->cs;
	pthread_mutex_lock(&cs->mu);
	bool again = r->starting;
	/* A pod's container runs beside the sandbox's init, which must run first. */
	bool early = r->num != 0 && !cs->ctrs->started;
	if (!again && !early)
		r->starting = true;
	pthread_mutex_unlock(&cs->mu);
	if (again) {
		reply_error(c, "container %s is already started", r->id);
		return;
	}
	if (early) {
		reply_error(c, "the pod's sandbox container %s has not started", cs->ctrs->id);
		return;
	}
	struct thread_group *tg = NULL;
	int err = sandbox_start(cs->sb, &r->init, &tg);
	if (err < 0) {
		char msg[1024];
		start_error(err, msg, sizeof(msg));
		reply_error(c, "starting the container process: %s", msg);
	} else {
		reply(c, json_object());
	}
	/* Once tried, never again (the stdio is gone); with no init the container has ended. */
	pthread_mutex_lock(&cs->mu);
	r->init_tg = tg;
	r->started = true;
	release_init_locked(r, true);
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->mu);
}

static const char *status_locked(struct ctr *r, int *pid)
{
	*pid = r->init_tg ? r->init_tg->tgid : 0;
	return !r->started                                                             ? "created"
	       : !r->init_tg || __atomic_load_n(&r->init_tg->zombie, __ATOMIC_ACQUIRE) ? "stopped"
	                                                                               : "running";
}

static void op_state(struct conn *c, struct ctr *r)
{
	int pid;
	pthread_mutex_lock(&c->cs->mu);
	const char *s = status_locked(r, &pid);
	pthread_mutex_unlock(&c->cs->mu);
	reply(c, json_pack("{s:s,s:i}", "status", s, "pid", pid));
}

/*
 * Sends sig to tg, or with tg NULL to every process of container num (of
 * the whole sandbox when num is 0: the sandbox's own container holds the
 * pod). Returns 0 or -ESRCH.
 */
static int signal_processes(struct kernel *k, struct thread_group *tg, unsigned num, int sig)
{
	pthread_mutex_lock(&k->mu);
	int err = -ESRCH;
	if (tg) {
		err = tg_signal_from_host_locked(tg, sig);
	} else {
		struct thread_group *o;
		list_for_each_entry (o, &k->tgs, k_link) {
			if ((num == 0 || o->container == num) &&
			    tg_signal_from_host_locked(o, sig) == 0)
				err = 0;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return err;
}

/* Whether sig ends a process that has no handler for it (runc's waiting init). */
static bool deadly(int sig)
{
	return sig == LINUX_SIGKILL || sig == LINUX_SIGTERM || sig == LINUX_SIGINT ||
	       sig == LINUX_SIGHUP || sig == LINUX_SIGQUIT || sig == LINUX_SIGUSR1 ||
	       sig == LINUX_SIGUSR2;
}

static void op_signal(struct conn *c, struct ctr *r, json_t *req)
{
	struct control_server *cs = c->cs;
	json_t *js = json_object_get(req, "signal");
	if (!json_is_integer(js) || json_integer_value(js) < 1 ||
	    json_integer_value(js) > LINUX_NSIG) {
		reply_error(c, "invalid signal");
		return;
	}
	int sig = (int)json_integer_value(js);
	bool all = json_is_true(json_object_get(req, "all"));
	pthread_mutex_lock(&cs->mu);
	bool started = r->started, starting = r->starting;
	struct thread_group *init = r->init_tg;
	if (!starting && deadly(sig) && r->num != 0) {
		/* A pod container that never started: it has ended. */
		r->starting = r->started = true;
		release_init_locked(r, false);
		pthread_cond_broadcast(&cs->cond);
	}
	pthread_mutex_unlock(&cs->mu);
	if (!starting && r->num == 0) {
		/*
		 * A created container's init waits for start: like runc's
		 * waiting init, it dies of a signal whose default is to end it,
		 * and with the sandbox's own container, the sandbox.
		 */
		reply(c, json_object());
		if (deadly(sig)) {
			log_info("container %s killed by signal %d before it started", r->id, sig);
			_exit(128 + sig);
		}
		return;
	}
	if (!started) {
		reply(c, json_object());
		return;
	}
	if (!init || signal_processes(sandbox_kernel(cs->sb), all ? NULL : init, r->num, sig) < 0) {
		reply_error(c, "container not running");
		return;
	}
	reply(c, json_object());
}

static void op_ps(struct conn *c, struct ctr *r)
{
	struct kernel *k = sandbox_kernel(c->cs->sb);
	json_t *list = json_array();
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (tg->zombie || list_empty(&tg->threads) || tg->container != r->num)
			continue;
		struct task *t = list_first_entry(&tg->threads, struct task, tg_link);
		json_array_append_new(list, json_pack("{s:i,s:i,s:i,s:s}", "pid", tg->tgid, "ppid",
		                                      tg->parent ? tg->parent->tgid : 0, "uid",
		                                      (int)t->creds.ruid, "cmd", t->comm));
	}
	pthread_mutex_unlock(&k->mu);
	reply(c, json_pack("{s:o}", "processes", list));
}

/* Blocks until r's start was answered; returns its init (a reference r keeps) or NULL. */
static struct thread_group *wait_started(struct control_server *cs, struct ctr *r)
{
	pthread_mutex_lock(&cs->mu);
	while (!r->started)
		pthread_cond_wait(&cs->cond, &cs->mu);
	struct thread_group *init = r->init_tg;
	pthread_mutex_unlock(&cs->mu);
	return init;
}

static void op_wait(struct conn *c, struct ctr *r)
{
	struct thread_group *init = wait_started(c->cs, r);
	int status = init ? tg_wait_exit(init) : (127 << 8);
	reply(c, json_pack("{s:i}", "status", status));
}

/* ---- pods ---- */

static void op_create(struct conn *c, json_t *req, int *fds, int nfds)
{
	struct control_server *cs = c->cs;
	const char *id = json_string_value(json_object_get(req, "container"));
	const char *bundle = json_string_value(json_object_get(req, "bundle"));
	const char *config = json_string_value(json_object_get(req, "config"));
	if (!bundle || !config || nfds != 4) {
		reply_error(c, "create needs a bundle, its config and 4 fds");
		return;
	}
	struct ctr *r = calloc(1, sizeof(*r));
	char err[1024];
	if (!r || !(r->id = strdup(id))) {
		free(r);
		reply_error(c, "out of memory");
		return;
	}
	int e = oci_spec_parse(config, bundle, &r->spec, err, sizeof(err));
	if (e == 0 && !r->spec->has_process) {
		snprintf(err, sizeof(err), "config.json: process: required");
		e = -EINVAL;
	}
	if (e == 0)
		e = oci_container_config(r->spec, &r->osb, err, sizeof(err));
	if (e == 0)
		e = oci_sandbox_process(&r->spec->process, &r->init, err, sizeof(err));
	pthread_mutex_lock(&cs->mu);
	bool taken = find_locked(cs, id) != NULL;
	r->num = cs->next_num++;
	pthread_mutex_unlock(&cs->mu);
	if (e == 0 && taken) {
		snprintf(err, sizeof(err), "container with id exists: %s", id);
		e = -EEXIST;
	}
	if (e == 0) {
		e = sandbox_add_container(cs->sb, &r->osb.cfg, fds[0], r->num, &r->sc);
		fds[0] = -1;
		if (e < 0)
			start_error(e, err, sizeof(err));
	}
	if (e == 0) {
		r->init.container = r->sc;
		r->init.terminal = r->spec->process.terminal;
		for (int i = 0; i < 3; i++) {
			r->init.stdio[i] = fds[i + 1];
			fds[i + 1] = -1;
		}
		e = sandbox_check_process(cs->sb, &r->init);
		if (e < 0)
			start_error(e, err, sizeof(err));
	}
	if (e < 0) {
		if (r->sc)
			sandbox_remove_container(cs->sb, r->sc);
		release_init_locked(r, false);
		free(r->id);
		free(r);
		reply_error(c, "%s", err);
		return;
	}
	pthread_mutex_lock(&cs->mu);
	r->refs = 1;
	struct ctr **tail = &cs->ctrs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	pthread_mutex_unlock(&cs->mu);
	reply(c, json_object());
}

/* How long delete waits for a pod container's processes to die of SIGKILL. */
#define DELETE_WAIT_MS 5000

static void op_delete(struct conn *c, struct ctr *r)
{
	struct control_server *cs = c->cs;
	if (r->num == 0) {
		reply_error(c, "the sandbox's own container ends with the sandbox");
		return;
	}
	struct kernel *k = sandbox_kernel(cs->sb);
	pthread_mutex_lock(&cs->mu);
	/* A start under way finishes first: its init is then killed with the rest. */
	while (r->starting && !r->started)
		pthread_cond_wait(&cs->cond, &cs->mu);
	if (!r->starting) {
		r->starting = r->started = true;
		release_init_locked(r, false);
		pthread_cond_broadcast(&cs->cond);
	}
	/* Off the list first: a second delete finds nothing to do. */
	bool listed = false;
	for (struct ctr **p = &cs->ctrs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			listed = true;
			break;
		}
	}
	struct sandbox_container *sc = listed ? r->sc : NULL;
	r->sc = NULL;
	/* An exec that saw sc uses it until its process has started. */
	while (r->starting_execs)
		pthread_cond_wait(&cs->cond, &cs->mu);
	pthread_mutex_unlock(&cs->mu);
	if (sc) {
		signal_processes(k, NULL, r->num, LINUX_SIGKILL);
		for (int i = 0;
		     i < DELETE_WAIT_MS / 10 && sandbox_container_has_processes(cs->sb, sc); i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		sandbox_remove_container(cs->sb, sc);
	}
	reply(c, json_object());
	/* The list's reference; the request's is the caller's. */
	if (listed)
		put_ctr(cs, r);
}

/* ---- exec ---- */

struct exec_wait {
	struct conn *c;
	struct thread_group *tg;
	bool done; /* under c->send_mu */
};

static void *exec_waiter(void *arg)
{
	struct exec_wait *w = arg;
	int status = tg_wait_exit(w->tg);
	json_t *msg = json_pack("{s:i}", "status", status);
	pthread_mutex_lock(&w->c->send_mu);
	if (msg)
		control_send(w->c->sock, msg, NULL, 0);
	w->done = true;
	pthread_mutex_unlock(&w->c->send_mu);
	json_decref(msg);
	/* The reader sees the client close the connection after the status. */
	shutdown(w->c->sock, SHUT_RD);
	return NULL;
}

/* Starts an exec request's process in sc (NULL: the sandbox's root); replies on failure. */
static int exec_start(struct conn *c, struct sandbox_container *sc, json_t *req, int *fds, int nfds,
                      struct thread_group **tg)
{
	if (nfds != 3) {
		reply_error(c, "exec needs the process's fds 0, 1 and 2");
		return -EINVAL;
	}
	struct oci_process op;
	char err[1024];
	if (oci_process_parse(json_object_get(req, "process"), "process", &op, err, sizeof(err)) <
	    0) {
		reply_error(c, "%s", err);
		return -EINVAL;
	}
	struct sandbox_process p;
	if (oci_sandbox_process(&op, &p, err, sizeof(err)) < 0) {
		oci_process_free(&op);
		reply_error(c, "%s", err);
		return -EINVAL;
	}
	for (int i = 0; i < 3; i++) {
		p.stdio[i] = fds[i];
		fds[i] = -1;
	}
	p.terminal = op.terminal;
	p.container = sc;
	int e = sandbox_start(c->cs->sb, &p, tg);
	oci_process_free(&op);
	if (e < 0) {
		start_error(e, err, sizeof(err));
		reply_error(c, "exec: %s", err);
	}
	return e;
}

static void op_exec(struct conn *c, struct ctr *r, json_t *req, int *fds, int nfds)
{
	struct control_server *cs = c->cs;
	int pid;
	pthread_mutex_lock(&cs->mu);
	/* A pod container being deleted has no sc any more: it is not running. */
	bool running = strcmp(status_locked(r, &pid), "running") == 0 && (r->num == 0 || r->sc);
	struct sandbox_container *sc = r->sc;
	if (running)
		r->starting_execs++; /* delete keeps sc until the process has started */
	pthread_mutex_unlock(&cs->mu);
	if (!running) {
		reply_error(c, "cannot exec in a container that is not running");
		return;
	}
	struct exec_wait w = { .c = c };
	int e = exec_start(c, sc, req, fds, nfds, &w.tg);
	pthread_mutex_lock(&cs->mu);
	r->starting_execs--;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->mu);
	if (e < 0)
		return;
	reply(c, json_pack("{s:i}", "pid", w.tg->tgid));
	pthread_t th;
	if (pthread_create(&th, NULL, exec_waiter, &w) != 0) {
		signal_processes(sandbox_kernel(cs->sb), w.tg, 0, LINUX_SIGKILL);
		tg_put(w.tg);
		return;
	}
	/* Signals for the process, until the client closes or the waiter is done. */
	for (;;) {
		json_t *m;
		if (control_recv(c->sock, &m, NULL, NULL) < 0)
			break;
		json_t *js = json_object_get(m, "signal");
		if (json_is_integer(js) && json_integer_value(js) >= 1 &&
		    json_integer_value(js) <= LINUX_NSIG)
			signal_processes(sandbox_kernel(cs->sb), w.tg, 0,
			                 (int)json_integer_value(js));
		json_decref(m);
	}
	pthread_mutex_lock(&c->send_mu);
	bool done = w.done;
	pthread_mutex_unlock(&c->send_mu);
	if (!done)
		signal_processes(sandbox_kernel(cs->sb), w.tg, 0, LINUX_SIGKILL);
	pthread_join(th, NULL);
	tg_put(w.tg);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct control_server *cs = c->cs;
	json_t *req;
	int fds[CONTROL_MAX_FDS], nfds = 0;
	while (control_recv(c->sock, &req, fds, &nfds) == 0) {
		const char *op = json_string_value(json_object_get(req, "op"));
		const char *id = json_string_value(json_object_get(req, "container"));
		struct ctr *r = op && id && strcmp(op, "create") != 0 ? get_ctr(cs, id) : NULL;
		bool end = false;
		if (!op || !id) {
			reply_error(c, "malformed request");
		} else if (strcmp(op, "create") == 0) {
			op_create(c, req, fds, nfds);
		} else if (!r) {
			reply_error(c, "container %s is not in this sandbox", id);
		} else if (strcmp(op, "start") == 0) {
			op_start(c, r);
		} else if (strcmp(op, "state") == 0) {
			op_state(c, r);
		} else if (strcmp(op, "signal") == 0) {
			op_signal(c, r, req);
		} else if (strcmp(op, "ps") == 0) {
			op_ps(c, r);
		} else if (strcmp(op, "wait") == 0) {
			op_wait(c, r);
		} else if (strcmp(op, "delete") == 0) {
			op_delete(c, r);
		} else if (strcmp(op, "exec") == 0) {
			op_exec(c, r, req, fds, nfds);
			end = true; /* an exec connection ends with its process */
		} else {
			reply_error(c, "unknown request \"%s\"", op);
		}
		if (r)
			put_ctr(cs, r);
		for (int i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		nfds = 0;
		json_decref(req);
		if (end)
			break;
	}
	close(c->sock);
	pthread_mutex_destroy(&c->send_mu);
	free(c);
	return NULL;
}

static void *accept_thread(void *arg)
{
	struct control_server *cs = arg;
	for (;;) {
		int s = accept4(cs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
				continue;
			log_error("control socket: accept: %s", strerror(errno));
			return NULL;
		}
		struct conn *c = calloc(1, sizeof(*c));
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (c) {
			c->cs = cs;
			c->sock = s;
			pthread_mutex_init(&c->send_mu, NULL);
		}
		if (!c || pthread_create(&th, &attr, conn_thread, c) != 0) {
			close(s);
			free(c);
		}
		pthread_attr_destroy(&attr);
	}
}

int control_server_start(int listen_fd, struct sandbox *sb, const char *id,
                         const struct sandbox_process *init, struct control_server **out)
{
	struct control_server *cs = calloc(1, sizeof(*cs));
	struct ctr *r = calloc(1, sizeof(*r));
	if (!cs || !r || !(r->id = strdup(id))) {
		free(r);
		free(cs);
		close(listen_fd);
		return -ENOMEM;
	}
	r->init = *init;
	r->refs = 1;
	cs->listen_fd = listen_fd;
	cs->sb = sb;
	cs->ctrs = r;
	cs->next_num = 1;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->cond, NULL);
	pthread_t th;
	int err = -pthread_create(&th, NULL, accept_thread, cs);
	if (err < 0) {
		close(listen_fd);
		free(r->id);
		free(r);
		free(cs);
		return err;
	}
	pthread_detach(th);
	*out = cs;
	return 0;
}

struct thread_group *control_server_wait_started(struct control_server *cs)
{
	/* The sandbox's own container is never removed. */
	return wait_started(cs, cs->ctrs);
}
