/*
 * runsc exec: runs a process in a running container.
 *
 *   runsc exec --process FILE [--detach] [--pid-file F] [--console-socket S] ID
 *   runsc exec [--tty] [--cwd D] [--env K=V]... [--user UID[:GID]] ID CMD [ARG...]
 *
 * The process is started by the sandbox (the control request "exec",
 * with our fds 0-2, or a new terminal's slave, as its stdio). A proxy
 * process stays connected until it ends and exits with its status, so
 * that the pid in --pid-file is one the caller can wait for, as with
 * runc; signals sent to the proxy are passed on to the process. Without
 * --detach the runsc exec process itself is the proxy.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/control.h"
#include "common/oci/spec.h"
#include "runsc-cli/container.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/runsc.h"

/*
 * Talks to the sandbox until the process ends. ready (or -1) gets "ok"
 * or the error once the process started. Returns the exit code for the
 * proxy, or -1 after an error before the start.
 */
static int proxy(const struct runsc_globals *g, int sock, json_t *req, const int stdio[3],
                 int ready)
{
	json_t *reply = NULL;
	int e = control_send(sock, req, stdio, 3);
	if (e == 0)
		e = control_recv(sock, &reply, NULL, NULL);
	const char *err = reply ? json_string_value(json_object_get(reply, "error")) : NULL;
	if (e < 0 || err || !json_is_integer(json_object_get(reply, "pid"))) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s",
		         err     ? err
		         : e < 0 ? strerror(-e)
		                 : "malformed reply from the sandbox");
		json_decref(reply);
		if (ready >= 0) {
			ssize_t n = write(ready, msg, strlen(msg));
			(void)n;
		} else {
			runsc_error(g, "%s", msg);
		}
		return -1;
	}
	json_decref(reply);
	if (ready >= 0) {
		ssize_t n = write(ready, "ok", 2);
		(void)n;
		close(ready);
		/* Detached: the process has its stdio now. */
		lifecycle_let_go_of_stdio(stdio);
	}
	int sigs = lifecycle_catch_signals();
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
			               { .fd = sigs, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (p[1].revents & POLLIN) {
			unsigned char b;
			while (read(sigs, &b, 1) == 1) {
				json_t *m =
				        json_pack("{s:s,s:i}", "op", "signal", "signal", (int)b);
				if (m)
					control_send(sock, m, NULL, 0);
				json_decref(m);
			}
		}
		if (p[0].revents) {
			json_t *m;
			if (control_recv(sock, &m, NULL, NULL) < 0)
				return 255; /* the sandbox is gone */
			json_t *st = json_object_get(m, "status");
			if (json_is_integer(st)) {
				int status = (int)json_integer_value(st);
				json_decref(m);
				return lifecycle_exit_code(status);
			}
			json_decref(m);
		}
	}
}

/* The process object: --process FILE, or the container's own process with our overrides. */
static json_t *make_process(const struct runsc_globals *g, struct container *c,
                            const char *process_file, char **args, int nargs, const char *cwd,
                            json_t *envs, const char *user, bool tty)
{
	json_error_t jerr;
	if (process_file) {
		json_t *p = json_load_file(process_file, 0, &jerr);
		if (!p)
			runsc_error(g, "--process %s: %s (line %d)", process_file, jerr.text,
			            jerr.line);
		if (p && tty)
			json_object_set_new(p, "terminal", json_true());
		return p;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/config.json", container_str(c, "bundle"));
	json_t *cfg = json_load_file(path, 0, &jerr);
	json_t *p = cfg ? json_deep_copy(json_object_get(cfg, "process")) : NULL;
	json_decref(cfg);
	if (!p) {
		runsc_error(g, "%s: %s", path, cfg ? "no process" : jerr.text);
		return NULL;
	}
	json_t *a = json_array();
	for (int i = 0; i < nargs; i++)
		json_array_append_new(a, json_string(args[i]));
	json_object_set_new(p, "args", a);
	json_object_set_new(p, "terminal", json_boolean(tty));
	if (cwd)
		json_object_set_new(p, "cwd", json_string(cwd));
	if (json_array_size(envs)) {
		json_t *env = json_object_get(p, "env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(p, "env", env);
		}
		json_array_extend(env, envs);
	}
	if (user) {
		unsigned uid, gid = 0;
		int n = sscanf(user, "%u:%u", &uid, &gid);
		if (n < 1) {
			runsc_error(g, "--user %s: want UID[:GID]", user);
			json_decref(p);
			return NULL;
		}
		json_object_set_new(
		        p, "user",
		        json_pack("{s:I,s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid));
	}
	return p;
}

int cmd_exec(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "tty", no_argument, NULL, 't' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *process_file = NULL, *pid_file = NULL, *console = NULL, *cwd = NULL,
	           *user = NULL;
	bool detach = false, tty = false;
	json_t *envs = json_array();
	int opt;
	while ((opt = getopt_long(argc, argv, "+p:dtw:e:u:", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'p':
			process_file = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 'P':
			pid_file = optarg;
			break;
		case 'c':
			console = optarg;
			break;
		case 't':
			tty = true;
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'e':
			json_array_append_new(envs, json_string(optarg));
			break;
		case 'u':
			user = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "0") != 0) {
				runsc_error(g, "--preserve-fds is not supported");
				return 1;
			}
			break;
		default:
			return 2;
		}
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	if (optind >= argc || (!process_file && optind + 1 >= argc)) {
		runsc_error(g, "usage: runsc exec [flags] ID CMD [ARG...] | --process FILE ID");
		return 1;
	}
	const char *id = argv[optind];
	struct container *c;
	int e = 0;
	if (lifecycle_open(g, id, false, &c) < 0)
		return 1;
	if (container_frozen(c)) {
		/* runc's message (it has --ignore-paused; a frozen sentry cannot start one). */
		runsc_error(g, "cannot exec in a paused container");
		container_close(c);
		json_decref(envs);
		return 1;
	}
	json_t *process = make_process(g, c, process_file, argv + optind + 1, argc - optind - 1,
	                               cwd, envs, user, tty);
	json_decref(envs);
	int sock = process ? container_connect(c) : -1;
	if (process && sock < 0)
		runsc_error(g, "container %s is not running", id);
	container_close(c);
	if (sock < 0) {
		json_decref(process);
		return 1;
	}
	bool terminal = json_is_true(json_object_get(process, "terminal"));
	int stdio[3] = { 0, 1, 2 }, master = -1, slave = -1;
	if (terminal && console) {
		/* Parsed here for its consoleSize; the sandbox checks the rest. */
		struct oci_process op;
		char err[512];
		if (oci_process_parse(process, "process", &op, err, sizeof(err)) < 0) {
			runsc_error(g, "%s", err);
			json_decref(process);
			return 1;
		}
		e = lifecycle_open_console(console, &op, &master, &slave);
		oci_process_free(&op);
		if (e < 0) {
			runsc_error(g, "console socket %s: %s", console, strerror(errno));
			json_decref(process);
			return 1;
		}
		stdio[0] = stdio[1] = stdio[2] = slave;
	} else if (terminal && detach) {
		runsc_error(g, "process.terminal is true: exec --detach needs --console-socket");
		json_decref(process);
		return 1;
	}
	json_t *req = json_pack("{s:s,s:s,s:o}", "op", "exec", "container", id, "process", process);

	int ret;
	if (!detach) {
		ret = proxy(g, sock, req, stdio, -1);
		ret = ret < 0 ? 1 : ret;
	} else {
		/* The proxy is a child that outlives us; it says when the process runs. */
		int ready[2];
		if (pipe2(ready, O_CLOEXEC) < 0) {
			runsc_error(g, "pipe: %s", strerror(errno));
			return 1;
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(ready[0]);
			if (master >= 0)
				close(master); /* the client's now */
			int code = proxy(g, sock, req, stdio, ready[1]);
			_exit(code < 0 ? 1 : code);
		}
		close(ready[1]);
		char msg[1024];
		ssize_t n = pid < 0 ? -1 : read(ready[0], msg, sizeof(msg) - 1);
		close(ready[0]);
		msg[n > 0 ? n : 0] = '\0';
		if (strcmp(msg, "ok") != 0) {
			runsc_error(g, "%s", n > 0 ? msg : "the exec proxy failed");
			if (pid > 0)
				waitpid(pid, NULL, 0);
			ret = 1;
		} else if (pid_file && (e = lifecycle_write_pid_file(pid_file, pid)) < 0) {
			runsc_error(g, "--pid-file %s: %s", pid_file, strerror(-e));
			kill(pid, SIGKILL);
			ret = 1;
		} else {
			ret = 0;
		}
	}
	json_decref(req);
	close(sock);
	if (slave >= 0)
		close(slave);
	if (master >= 0)
		close(master);
	return ret;
}
