/*
 * runsc boot --bundle DIR --id ID --control-fd N --sync-fd M: the sandbox
 * process of an OCI container, started by `runsc create` in new
 * namespaces (it is pid 1 of its pid namespace).
 *
 * It builds the sandbox from the bundle (the gofer, the mounts), checks
 * that the container's program exists, starts serving the control socket
 * (fd N), and then writes "ok" to the sync pipe (fd M), or the error that
 * stopped it, so that `runsc create` reports the real reason. Its fds 0-2
 * are the container's stdio, handed to init at `runsc start`. It exits
 * with init's status (128+N when signal N killed it) once every process
 * of the sandbox has ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/spec.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/network.h"
#include "runsc-cli/runsc.h"
#include "sentry/boot/boot.h"
#include "sentry/boot/confine.h"
#include "sentry/boot/control_server.h"
#include "sentry/boot/oci.h"
#include "sentry/boot/sigforward.h"
#include "sentry/net/netmode.h"

/* Tells create why the sandbox could not be made, and exits. */
static NORETURN void sync_fail(int sync_fd, const char *msg)
{
	if (!msg || !*msg)
		msg = "the sandbox failed to start";
	log_error("%s", msg);
	ssize_t n = write(sync_fd, msg, strlen(msg));
	(void)n;
	_exit(1);
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v < 1 << 20 ? (int)v : -1;
}

/*
 * --network=sandbox in a network namespace of the container's own (one
 * linux.namespaces lists: runsc create joined it or made it): its
 * interfaces become the sandbox's (network.h). Without such a namespace
 * the sandbox runs in the runtime's, whose interfaces are never taken.
 */
static int take_over_network(const struct runsc_globals *g, const struct oci_spec *spec,
                             struct runsc_net *net, char *err, size_t errlen)
{
	bool own_netns = false;
	for (size_t i = 0; spec->has_linux && i < spec->linux_.namespaces_count; i++)
		own_netns |= spec->linux_.namespaces[i].type == OCI_NS_NETWORK;
	if (strcmp(g->network, "host") == 0) {
		/* Host sockets: the sandbox's table shows the host's interfaces, takes none. */
		if (runsc_net_read(net, err, errlen) < 0)
			log_warn("%s: the sandbox shows lo alone", err);
		return 0;
	}
	if (strcmp(g->network, "sandbox") != 0 || !own_netns)
		return 0;
	int e = runsc_net_scan(net, err, errlen);
	if (e == -EPERM) {
		log_warn("%s: the sandbox has lo alone", err);
		return 0;
	}
	if (e == 0 && net->nlinks)
		e = runsc_net_take_over(net, err, errlen);
	if (e == 0 && net->nlinks && log_enabled(LOG_DEBUG)) {
		char text[4096];
		runsc_net_describe(net, text, sizeof(text));
		log_debug("network: the sandbox's interfaces and routes:\n%s", text);
	}
	return e;
}

int cmd_boot(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "bundle", required_argument, NULL, 'b' },
		{ "id", required_argument, NULL, 'i' },
		{ "control-fd", required_argument, NULL, 'c' },
		{ "sync-fd", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = NULL, *id = NULL;
	int control_fd = -1, sync_fd = -1, opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'b':
			bundle = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'c':
			control_fd = parse_fd(optarg);
			break;
		case 's':
			sync_fd = parse_fd(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!bundle || !id || control_fd < 0 || sync_fd < 0) {
		fprintf(stderr, "usage: runsc boot --bundle DIR --id ID --control-fd N --sync-fd M "
		                "(started by runsc create)\n");
		return 2;
	}
	log_set_prefix("runsc-sandbox");
	/* The container's stdio is not the sentry's log: without a log file, errors go to create.
	 */
	if (!g->log && !g->debug_log) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			log_set_fd(null);
	} else if (runsc_setup_logging(g) < 0) {
		return 2;
	}

	char err[1024];
	struct oci_spec *spec;
	if (oci_spec_load(bundle, &spec, err, sizeof(err)) < 0)
		sync_fail(sync_fd, err);
	struct oci_sandbox osb;
	if (oci_sandbox_config(spec, g->platform, g->strace, &osb, err, sizeof(err)) < 0)
		sync_fail(sync_fd, err);
	/* Static: a few dozen KiB, and the sentry keeps pointing into it (the routes). */
	static struct runsc_net net;
	if (take_over_network(g, spec, &net, err, sizeof(err)) < 0)
		sync_fail(sync_fd, err);
	osb.cfg.links = net.links;
	osb.cfg.nlinks = net.nlinks;
	osb.cfg.routes = net.routes;
	osb.cfg.nroutes = net.nroutes;
	struct sandbox_process init;
	if (oci_sandbox_process(&spec->process, &init, err, sizeof(err)) < 0)
		sync_fail(sync_fd, err);
	init.terminal = spec->process.terminal;
	for (int fd = 0; fd < 3; fd++)
		init.stdio[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	/* The sentry itself holds none of the container's stdio. */
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		for (int fd = 0; fd < 3; fd++)
			dup2(null, fd);
		if (null > 2)
			close(null);
	}

	struct sandbox *sb;
	if (sandbox_new(&osb.cfg, &sb) < 0) {
		log_last_error(err, sizeof(err));
		sync_fail(sync_fd, err);
	}
	if (sandbox_check_process(sb, &init) < 0) {
		log_last_error(err, sizeof(err));
		sync_fail(sync_fd, err);
	}
	/* Signals to this process go to the container (before any thread: they inherit the mask).
	 */
	int e = sigforward_start(sandbox_kernel(sb), init.terminal ? init.stdio[0] : -1);
	if (e < 0) {
		snprintf(err, sizeof(err), "signal forwarding: %s", strerror(-e));
		sync_fail(sync_fd, err);
	}
	/* The network mode before confinement: host mode widens the allowlist (netmode.h). */
	enum net_mode mode;
	if (net_mode_parse(g->network, &mode) < 0)
		sync_fail(sync_fd, "bad --network");
	net_mode_set(mode);
	/* Every host file the sentry needs is open: from here on it holds only what it has. */
	if (sentry_confine(platform_lookup(osb.cfg.platform)) < 0) {
		log_last_error(err, sizeof(err));
		sync_fail(sync_fd, err);
	}
	struct control_server *cs;
	e = control_server_start(control_fd, sb, id, &init, &cs);
	if (e < 0) {
		snprintf(err, sizeof(err), "control socket: %s", strerror(-e));
		sync_fail(sync_fd, err);
	}
	if (write(sync_fd, "ok", 2) != 2)
		_exit(1); /* create is gone: nobody will start us */
	close(sync_fd);

	if (!control_server_wait_started(cs))
		_exit(127);
	int status = sandbox_wait(sb);
	/*
	 * Control threads may still answer clients: the process ends here
	 * without freeing the sandbox under them; the gofer and every stub
	 * die with the pid namespace.
	 */
	_exit(lifecycle_exit_code(status));
}
