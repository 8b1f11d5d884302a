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

struct control_server {
	int listen_fd;
	struct sandbox *sb;
	char *id;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/* Protected by mu. */
	struct sandbox_process init;
	bool starting;                /* a start request came */
	bool started;                 /* and was answered: init_tg is set if init runs */
	struct thread_group *init_tg; /* a reference once started */
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

static void op_start(struct conn *c)
{
	struct control_server *cs = c->cs;
	pthread_mutex_lock(&cs->mu);
	bool again = cs->starting;
	cs->starting = true;
	pthread_mutex_unlock(&cs->mu);
	if (again) {
		reply_error(c, "container %s is already started", cs->id);
		return;
	}
	struct thread_group *tg = NULL;
	int err = sandbox_start(cs->sb, &cs->init, &tg);
	if (err < 0) {
		char msg[1024];
		start_error(err, msg, sizeof(msg));
		reply_error(c, "starting the container process: %s", msg);
	} else {
		reply(c, json_object());
	}
	/* Once tried, never again (the stdio is gone); with no init the sandbox ends. */
	pthread_mutex_lock(&cs->mu);
	cs->init_tg = tg;
	cs->started = true;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->mu);
}

static const char *init_status(struct control_server *cs, int *pid)
{
	*pid = 0;
	pthread_mutex_lock(&cs->mu);
	const char *s = !cs->started ? "created"
	                : !cs->init_tg || __atomic_load_n(&cs->init_tg->zombie, __ATOMIC_ACQUIRE)
	                        ? "stopped"
	                        : "running";
	if (cs->init_tg)
		*pid = cs->init_tg->tgid;
	pthread_mutex_unlock(&cs->mu);
	return s;
}

static void op_state(struct conn *c)
{
	int pid;
	const char *s = init_status(c->cs, &pid);
	reply(c, json_pack("{s:s,s:i}", "status", s, "pid", pid));
}

/* Sends sig to tg, or to every process when tg is NULL. Returns 0 or -ESRCH. */
static int signal_processes(struct kernel *k, struct thread_group *tg, int sig)
{
	pthread_mutex_lock(&k->mu);
	int err = -ESRCH;
	if (tg) {
		err = tg_signal_from_host_locked(tg, sig);
	} else {
		struct thread_group *o;
		list_for_each_entry (o, &k->tgs, k_link) {
			if (tg_signal_from_host_locked(o, sig) == 0)
				err = 0;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return err;
}

static void op_signal(struct conn *c, json_t *req)
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
	bool started = cs->started;
	struct thread_group *init = cs->init_tg;
	pthread_mutex_unlock(&cs->mu);
	if (!started) {
		/*
		 * A created container's init waits for start: like runc's
		 * waiting init, it dies of a signal whose default is to end it.
		 */
		if (sig == LINUX_SIGKILL || sig == LINUX_SIGTERM || sig == LINUX_SIGINT ||
		    sig == LINUX_SIGHUP || sig == LINUX_SIGQUIT || sig == LINUX_SIGUSR1 ||
		    sig == LINUX_SIGUSR2) {
			reply(c, json_object());
			log_info("container %s killed by signal %d before it started", cs->id, sig);
			_exit(128 + sig);
		}
		reply(c, json_object());
		return;
	}
	if (!init || signal_processes(sandbox_kernel(cs->sb), all ? NULL : init, sig) < 0) {
		reply_error(c, "container not running");
		return;
	}
	reply(c, json_object());
}

static void op_ps(struct conn *c)
{
	struct kernel *k = sandbox_kernel(c->cs->sb);
	json_t *list = json_array();
	pthread_mutex_lock(&k->mu);
	struct thread_group *tg;
	list_for_each_entry (tg, &k->tgs, k_link) {
		if (tg->zombie || list_empty(&tg->threads))
			continue;
		struct task *t = list_first_entry(&tg->threads, struct task, tg_link);
		json_array_append_new(list, json_pack("{s:i,s:i,s:i,s:s}", "pid", tg->tgid, "ppid",
		                                      tg->parent ? tg->parent->tgid : 0, "uid",
		                                      (int)t->creds.ruid, "cmd", t->comm));
	}
	pthread_mutex_unlock(&k->mu);
	reply(c, json_pack("{s:o}", "processes", list));
}

static void op_wait(struct conn *c)
{
	struct control_server *cs = c->cs;
	struct thread_group *init = control_server_wait_started(cs);
	int status = init ? tg_wait_exit(init) : (127 << 8);
	reply(c, json_pack("{s:i}", "status", status));
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

static void op_exec(struct conn *c, json_t *req, int *fds, int nfds)
{
	struct control_server *cs = c->cs;
	int pid;
	if (strcmp(init_status(cs, &pid), "running") != 0) {
		reply_error(c, "cannot exec in a container that is not running");
		return;
	}
	if (nfds != 3) {
		reply_error(c, "exec needs the process's fds 0, 1 and 2");
		return;
	}
	struct oci_process op;
	char err[1024];
	if (oci_process_parse(json_object_get(req, "process"), "process", &op, err, sizeof(err)) <
	    0) {
		reply_error(c, "%s", err);
		return;
	}
	struct sandbox_process p;
	if (oci_sandbox_process(&op, &p, err, sizeof(err)) < 0) {
		oci_process_free(&op);
		reply_error(c, "%s", err);
		return;
	}
	for (int i = 0; i < 3; i++) {
		p.stdio[i] = fds[i];
		fds[i] = -1;
	}
	p.terminal = op.terminal;
	struct exec_wait w = { .c = c };
	int e = sandbox_start(cs->sb, &p, &w.tg);
	oci_process_free(&op);
	if (e < 0) {
		start_error(e, err, sizeof(err));
		reply_error(c, "exec: %s", err);
		return;
	}
	reply(c, json_pack("{s:i}", "pid", w.tg->tgid));
	pthread_t th;
	if (pthread_create(&th, NULL, exec_waiter, &w) != 0) {
		signal_processes(sandbox_kernel(cs->sb), w.tg, LINUX_SIGKILL);
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
			signal_processes(sandbox_kernel(cs->sb), w.tg, (int)json_integer_value(js));
		json_decref(m);
	}
	pthread_mutex_lock(&c->send_mu);
	bool done = w.done;
	pthread_mutex_unlock(&c->send_mu);
	if (!done)
		signal_processes(sandbox_kernel(cs->sb), w.tg, LINUX_SIGKILL);
	pthread_join(th, NULL);
	tg_put(w.tg);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	json_t *req;
	int fds[CONTROL_MAX_FDS], nfds = 0;
	while (control_recv(c->sock, &req, fds, &nfds) == 0) {
		const char *op = json_string_value(json_object_get(req, "op"));
		const char *id = json_string_value(json_object_get(req, "container"));
		if (!op || !id) {
			reply_error(c, "malformed request");
		} else if (strcmp(id, c->cs->id) != 0) {
			reply_error(c, "container %s is not in this sandbox", id);
		} else if (strcmp(op, "start") == 0) {
			op_start(c);
		} else if (strcmp(op, "state") == 0) {
			op_state(c);
		} else if (strcmp(op, "signal") == 0) {
			op_signal(c, req);
		} else if (strcmp(op, "ps") == 0) {
			op_ps(c);
		} else if (strcmp(op, "wait") == 0) {
			op_wait(c);
		} else if (strcmp(op, "exec") == 0) {
			op_exec(c, req, fds, nfds);
			json_decref(req);
			for (int i = 0; i < nfds; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			break; /* an exec connection ends with its process */
		} else {
			reply_error(c, "unknown request \"%s\"", op);
		}
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		nfds = 0;
		json_decref(req);
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
	if (!cs || !(cs->id = strdup(id))) {
		free(cs);
		close(listen_fd);
		return -ENOMEM;
	}
	cs->listen_fd = listen_fd;
	cs->sb = sb;
	cs->init = *init;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->cond, NULL);
	pthread_t th;
	int err = -pthread_create(&th, NULL, accept_thread, cs);
	if (err < 0) {
		close(listen_fd);
		free(cs->id);
		free(cs);
		return err;
	}
	pthread_detach(th);
	*out = cs;
	return 0;
}

struct thread_group *control_server_wait_started(struct control_server *cs)
{
	pthread_mutex_lock(&cs->mu);
	while (!cs->started)
		pthread_cond_wait(&cs->cond, &cs->mu);
	struct thread_group *init = cs->init_tg;
	pthread_mutex_unlock(&cs->mu);
	return init;
}
