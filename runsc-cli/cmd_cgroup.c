/*
 * The verbs that work on a container's cgroup, as runc has them: pause,
 * resume, update and events.
 *
 * `runsc create` makes the cgroup (linux.cgroupsPath, linux.resources) and
 * moves the sandbox process into it before it forks anything, so the
 * sentry, the gofer and every stub are in it; the resolved directories are
 * saved in state.json (container_cgroup reopens them). So:
 *  - pause freezes the cgroup and resume thaws it (common/oci/cgroup.h waits
 *    until the kernel is done); the status is "paused" while the cgroup is
 *    frozen, read from the freezer as runc does (container_oci_status). The
 *    sandbox itself is never told: a frozen sentry is simply not scheduled.
 *  - update writes new linux.resources: from --resources FILE (or - for
 *    stdin), when the other flags are ignored as in runc, or from runc's
 *    flags (--memory 64m, --cpu-quota, --pids-limit, ...). Only the fields
 *    given are written.
 *  - events prints runc's stats event, {"type":"stats","id":ID,"data":...}
 *    (cgroup_stats gives runc's types.Stats), once with --stats, else every
 *    --interval (default 5s) until the container stops. runc's stream also
 *    reports OOM kills ({"type":"oom"}); this one has the stats only.
 *
 * Messages are runc's: "container not running", "container not paused".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/oci/cgroup.h"
#include "runsc-cli/container.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/runsc.h"

/* Parses the global flags and a verb's own (opts, ending in a zero entry). */
#define VERB_OPTIONS(...)                                           \
	static const struct option opts[] = { RUNSC_GLOBAL_OPTIONS, \
		                              __VA_ARGS__,          \
		                              { NULL, 0, NULL, 0 } }

/* Only global flags: parses them, sets up logging, returns the one id (or NULL). */
static const char *plain_verb(struct runsc_globals *g, int argc, char **argv, const char *usage)
{
	VERB_OPTIONS({ "help", no_argument, NULL, 'h' });
	int opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (runsc_parse_global(g, opt, optarg) <= 0)
			return NULL;
	}
	if (runsc_setup_logging(g) < 0)
		return NULL;
	if (optind != argc - 1) {
		runsc_error(g, "usage: %s", usage);
		return NULL;
	}
	return argv[optind];
}

/*
 * Opens container id (exclusive) and its cgroup; *status gets its status.
 * Returns 0, or -1 after reporting the error.
 */
static int open_with_cgroup(struct runsc_globals *g, const char *id, bool exclusive,
                            struct container **c, struct cgroup **cg, enum oci_status *status)
{
	if (lifecycle_open(g, id, exclusive, c) < 0)
		return -1;
	pid_t pid;
	*status = container_oci_status(*c, &pid);
	char err[512];
	int e = container_cgroup(*c, cg, err, sizeof(err));
	if (e == 0 && !*cg) {
		snprintf(err, sizeof(err), "container %s has no cgroup", id);
		e = -ENOENT;
	}
	if (e < 0) {
		runsc_error(g, "%s", err);
		container_close(*c);
		return -1;
	}
	return 0;
}

static int pause_or_resume(struct runsc_globals *g, int argc, char **argv, bool pause)
{
	const char *id = plain_verb(g, argc, argv, pause ? "runsc pause ID" : "runsc resume ID");
	if (!id)
		return 1;
	struct container *c;
	struct cgroup *cg;
	enum oci_status status;
	if (open_with_cgroup(g, id, true, &c, &cg, &status) < 0)
		return 1;
	int ret = 1;
	char err[512];
	/* runc pauses a created or running container, and resumes a paused one. */
	if (pause && status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED)
		runsc_error(g, "container not running");
	else if (!pause && status != OCI_STATUS_PAUSED)
		runsc_error(g, "container not paused");
	else if (cgroup_freeze(cg, pause, err, sizeof(err)) < 0)
		runsc_error(g, "%s", err);
	else
		ret = 0;
	cgroup_close(cg);
	container_close(c);
	return ret;
}

int cmd_pause(struct runsc_globals *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, true);
}

int cmd_resume(struct runsc_globals *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, false);
}

/*
 * A size as docker's units.RAMInBytes takes it (runc's memory flags):
 * "1024", "64m", "1.5g", "2 GiB", binary units b k m g t p. "-1" is -1.
 */
static bool parse_ram(const char *s, long long *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return true;
	}
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	double v = strtod(s, &end);
	if (errno || end == s)
		return false;
	if (*end == ' ')
		end++;
	static const char units[] = "bkmgtp";
	double mul = 1;
	if (*end) {
		const char *u = strchr(units, *end | 0x20);
		if (!u)
			return false;
		for (const char *p = units; p < u; p++)
			mul *= 1024;
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if ((*end == 'b' || *end == 'B') && u != units)
			end++;
	}
	if (*end || v * mul >= 9.2e18)
		return false;
	*out = (long long)(v * mul);
	return true;
}

/* Sets resources.SECTION.KEY to the integer in arg; false if it is not one. */
static bool set_int(json_t *res, const char *section, const char *key, const char *arg, bool ram,
                    bool is_unsigned)
{
	long long v;
	char *end;
	if (ram) {
		if (!parse_ram(arg, &v))
			return false;
	} else {
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno || !*arg || *end || (is_unsigned && v < 0))
			return false;
	}
	json_t *sec = json_object_get(res, section);
	if (!sec) {
		sec = json_object();
		json_object_set_new(res, section, sec);
	}
	json_object_set_new(sec, key, json_integer(v));
	return true;
}

static void set_str(json_t *res, const char *section, const char *key, const char *arg)
{
	json_t *sec = json_object_get(res, section);
	if (!sec) {
		sec = json_object();
		json_object_set_new(res, section, sec);
	}
	json_object_set_new(sec, key, json_string(arg));
}

int cmd_update(struct runsc_globals *g, int argc, char **argv)
{
	/* runc's flags, and where each goes in linux.resources. */
	static const struct {
		const char *flag, *section, *key;
		bool ram, is_unsigned;
	} fields[] = {
		{ "blkio-weight", "blockIO", "weight", false, true },
		{ "cpu-period", "cpu", "period", false, true },
		{ "cpu-quota", "cpu", "quota", false, false },
		{ "cpu-share", "cpu", "shares", false, true },
		{ "cpu-rt-period", "cpu", "realtimePeriod", false, true },
		{ "cpu-rt-runtime", "cpu", "realtimeRuntime", false, false },
		{ "memory", "memory", "limit", true, false },
		{ "memory-reservation", "memory", "reservation", true, false },
		{ "memory-swap", "memory", "swap", true, false },
		{ "kernel-memory", "memory", "kernel", true, false },
		{ "kernel-memory-tcp", "memory", "kernelTCP", true, false },
		{ "pids-limit", "pids", "limit", false, false },
	};
	VERB_OPTIONS({ "resources", required_argument, NULL, 'r' },
	             { "blkio-weight", required_argument, NULL, 0x2000 },
	             { "cpu-period", required_argument, NULL, 0x2001 },
	             { "cpu-quota", required_argument, NULL, 0x2002 },
	             { "cpu-share", required_argument, NULL, 0x2003 },
	             { "cpu-rt-period", required_argument, NULL, 0x2004 },
	             { "cpu-rt-runtime", required_argument, NULL, 0x2005 },
	             { "memory", required_argument, NULL, 0x2006 },
	             { "memory-reservation", required_argument, NULL, 0x2007 },
	             { "memory-swap", required_argument, NULL, 0x2008 },
	             { "kernel-memory", required_argument, NULL, 0x2009 },
	             { "kernel-memory-tcp", required_argument, NULL, 0x200a },
	             { "pids-limit", required_argument, NULL, 0x200b },
	             { "cpuset-cpus", required_argument, NULL, 'c' },
	             { "cpuset-mems", required_argument, NULL, 'm' },
	             { "l3-cache-schema", required_argument, NULL, 'l' },
	             { "mem-bw-schema", required_argument, NULL, 'b' });
	const char *resources_file = NULL;
	json_t *res = json_object();
	int opt, ret = 1;
	while ((opt = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			goto out_usage;
		if (r > 0)
			continue;
		if (opt >= 0x2000 && opt < 0x2000 + (int)ARRAY_SIZE(fields)) {
			int i = opt - 0x2000;
			if (!set_int(res, fields[i].section, fields[i].key, optarg, fields[i].ram,
			             fields[i].is_unsigned)) {
				fprintf(stderr, "runsc: invalid value for --%s: %s\n",
				        fields[i].flag, optarg);
				goto out_usage;
			}
			continue;
		}
		switch (opt) {
		case 'r':
			resources_file = optarg;
			break;
		case 'c':
			set_str(res, "cpu", "cpus", optarg);
			break;
		case 'm':
			set_str(res, "cpu", "mems", optarg);
			break;
		case 'l':
		case 'b':
			fprintf(stderr,
			        "runsc: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not "
			        "supported\n");
			json_decref(res);
			return 1;
		default:
			goto out_usage;
		}
	}
	if (runsc_setup_logging(g) < 0)
		goto out_usage;
	if (optind != argc - 1) {
		runsc_error(g, "usage: runsc update [--resources FILE|-] [--memory N] "
		               "[--pids-limit N] [...] ID");
		json_decref(res);
		return 1;
	}
	const char *id = argv[optind];
	if (resources_file) {
		/* As runc: the file replaces the flags. */
		json_error_t jerr;
		json_decref(res);
		res = strcmp(resources_file, "-") == 0 ? json_loadf(stdin, 0, &jerr)
		                                       : json_load_file(resources_file, 0, &jerr);
		if (!res || !json_is_object(res)) {
			runsc_error(g, "--resources %s: %s", resources_file,
			            res ? "must be a JSON object" : jerr.text);
			json_decref(res);
			return 1;
		}
	}
	struct container *c;
	struct cgroup *cg;
	enum oci_status status;
	if (open_with_cgroup(g, id, true, &c, &cg, &status) < 0) {
		json_decref(res);
		return 1;
	}
	char err[1024];
	if (status == OCI_STATUS_STOPPED)
		runsc_error(g, "container not running");
	else if (cgroup_apply(cg, res, err, sizeof(err)) < 0)
		runsc_error(g, "%s", err);
	else
		ret = 0;
	cgroup_close(cg);
	container_close(c);
	json_decref(res);
	return ret;
out_usage:
	json_decref(res);
	return 2;
}

/* A Go duration ("5s", "500ms", "1m30s", "1.5h") in nanoseconds; false if malformed or <= 0. */
static bool parse_duration(const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	if (!*s)
		return false;
	while (*s) {
		char *end;
		if ((*s < '0' || *s > '9') && *s != '.')
			return false;
		double v = strtod(s, &end);
		if (end == s)
			return false;
		s = end;
		size_t best = 0;
		double mul = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);
			/* "ms" before "m": the longest unit that matches. */
			if (n > best && strncmp(s, units[i].unit, n) == 0) {
				best = n;
				mul = units[i].mul;
			}
		}
		if (!best)
			return false;
		s += best;
		total += v * mul;
	}
	if (total < 1 || total > 9e18)
		return false;
	*ns = (long long)total;
	return true;
}

/*
 * Prints one stats event of container id (only checks that it runs, when
 * !print). Returns 1 when printed, 0 when the container has stopped or is
 * gone, -1 after reporting an error; that it does not run is an error on
 * the first call.
 */
static int print_stats(struct runsc_globals *g, const char *id, bool first, bool print)
{
	struct container *c;
	int e = container_open(g->root, id, false, &c);
	if (e < 0) {
		if (first)
			runsc_error(g,
			            e == -ENOENT ? "container does not exist" : "container %s: %s",
			            id, strerror(-e));
		return first ? -1 : 0;
	}
	pid_t pid;
	if (container_oci_status(c, &pid) == OCI_STATUS_STOPPED) {
		container_close(c);
		if (first)
			runsc_error(g, "container with id %s is not running", id);
		return first ? -1 : 0;
	}
	struct cgroup *cg;
	char err[512];
	json_t *data = NULL;
	if (!print) {
		container_close(c);
		return 1;
	}
	e = container_cgroup(c, &cg, err, sizeof(err));
	if (e == 0 && !cg) {
		snprintf(err, sizeof(err), "container %s has no cgroup", id);
		e = -ENOENT;
	}
	if (e == 0) {
		e = cgroup_stats(cg, &data, err, sizeof(err));
		cgroup_close(cg);
	}
	container_close(c);
	if (e < 0) {
		runsc_error(g, "%s", err);
		return -1;
	}
	json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id, "data", data);
	if (!ev) {
		runsc_error(g, "out of memory");
		return -1;
	}
	json_dumpf(ev, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(ev);
	return 1;
}

int cmd_events(struct runsc_globals *g, int argc, char **argv)
{
	VERB_OPTIONS({ "stats", no_argument, NULL, 's' },
	             { "interval", required_argument, NULL, 'i' });
	bool once = false;
	long long interval = 5000000000LL;
	int opt;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 's':
			once = true;
			break;
		case 'i':
			if (!parse_duration(optarg, &interval)) {
				fprintf(stderr,
				        "runsc: invalid --interval %s (a duration: 5s, 500ms)\n",
				        optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (runsc_setup_logging(g) < 0)
		return 2;
	if (optind != argc - 1) {
		runsc_error(g, "usage: runsc events [--stats] [--interval 5s] ID");
		return 1;
	}
	const char *id = argv[optind];
	/* As runc: the first stats come after one interval, unless --stats. */
	if (print_stats(g, id, true, once) < 0)
		return 1;
	if (once)
		return 0;
	for (;;) {
		struct timespec ts = { interval / 1000000000, interval % 1000000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		int r = print_stats(g, id, false, true);
		if (r < 0)
			return 1;
		if (r == 0)
			return 0;
	}
}
