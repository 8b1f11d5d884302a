/*
 * The OCI verbs that only report: list, ps, spec and features (runc's
 * output formats).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/oci/spec.h"
#include "runsc-cli/container.h"
#include "runsc-cli/lifecycle.h"
#include "runsc-cli/runsc.h"

/* Parses the global flags and --format/-q for list and ps. Returns 0, or 2 for bad usage. */
static int info_options(struct runsc_globals *g, int argc, char **argv, bool *json, bool *quiet)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			*json = strcmp(optarg, "json") == 0;
		else if (opt == 'q' && quiet)
			*quiet = true;
		else
			return 2;
	}
	return runsc_setup_logging(g) < 0 ? 2 : 0;
}

int cmd_list(struct runsc_globals *g, int argc, char **argv)
{
	bool json = false, quiet = false;
	if (info_options(g, argc, argv, &json, &quiet))
		return 2;
	char **ids;
	if (container_list(g->root, &ids) < 0)
		return 1;
	json_t *arr = json_array();
	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (char **id = ids; *id; id++) {
		struct container *c;
		if (container_open(g->root, *id, false, &c) < 0) {
			free(*id);
			continue;
		}
		pid_t pid;
		enum oci_status status = container_oci_status(c, &pid);
		if (quiet) {
			printf("%s\n", *id);
		} else if (json) {
			/* runc's list: each container's state, its owner by name. */
			char *text = container_state_json(c, OCI_STATE_CLI, status, pid, "root");
			json_t *one = text ? json_loads(text, JSON_PRESERVE_ORDER, NULL) : NULL;
			if (one)
				json_array_append_new(arr, one);
			free(text);
		} else {
			printf("%-20s %-8d %-10s %-40s %-30s %s\n", *id, (int)pid,
			       oci_status_name(status), container_str(c, "bundle"),
			       container_str(c, "created"), "root");
		}
		container_close(c);
		free(*id);
	}
	free(ids);
	if (json && !quiet) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(arr);
	return 0;
}

int cmd_ps(struct runsc_globals *g, int argc, char **argv)
{
	bool json = false;
	if (info_options(g, argc, argv, &json, NULL))
		return 2;
	if (optind != argc - 1) {
		runsc_error(g, "usage: runsc ps [--format table|json] ID");
		return 1;
	}
	const char *id = argv[optind];
	struct container *c;
	int e = 0;
	if (lifecycle_open(g, id, false, &c) < 0)
		return 1;
	json_t *reply = NULL;
	char err[1024];
	if (!container_sandbox_alive(c)) {
		snprintf(err, sizeof(err), "container not running");
		e = -1;
	} else if (container_frozen(c)) {
		/* runc lists a paused container's processes from its cgroup; ours are the sentry's.
		 */
		snprintf(err, sizeof(err),
		         "container %s is paused: resume it to list its processes", id);
		e = -1;
	} else {
		e = container_call(c, "ps", NULL, &reply, err, sizeof(err));
	}
	container_close(c);
	if (e < 0) {
		runsc_error(g, "%s", err);
		return 1;
	}
	json_t *procs = json_object_get(reply, "processes"), *p;
	size_t i;
	if (json) {
		/* The pids, as runc prints them: here the sandbox's own pids. */
		json_t *pids = json_array();
		json_array_foreach(procs, i, p) json_array_append(pids, json_object_get(p, "pid"));
		json_dumpf(pids, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(pids);
	} else {
		printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
		json_array_foreach(procs, i, p)
		{
			printf("%-8lld %-8lld %-8lld %s\n",
			       (long long)json_integer_value(json_object_get(p, "uid")),
			       (long long)json_integer_value(json_object_get(p, "pid")),
			       (long long)json_integer_value(json_object_get(p, "ppid")),
			       json_string_value(json_object_get(p, "cmd")));
		}
	}
	json_decref(reply);
	return 0;
}

/* runc spec's default configuration, with the capabilities Docker gives by default. */
static const char g_default_spec[] =
        "{\n"
        "\t\"ociVersion\": \"1.0.2\",\n"
        "\t\"process\": {\n"
        "\t\t\"terminal\": true,\n"
        "\t\t\"user\": {\"uid\": 0, \"gid\": 0},\n"
        "\t\t\"args\": [\"sh\"],\n"
        "\t\t\"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
        "\"TERM=xterm\"],\n"
        "\t\t\"cwd\": \"/\",\n"
        "\t\t\"capabilities\": {\n"
        "\t\t\t\"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "\t\t\t\"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "\t\t\t\"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
        "\t\t\t\"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
        "\t\t},\n"
        "\t\t\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
        "\t\t\"noNewPrivileges\": true\n"
        "\t},\n"
        "\t\"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
        "\t\"hostname\": \"runsc\",\n"
        "\t\"mounts\": [\n"
        "\t\t{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
        "\t\t{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
        "\"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
        "\t\t{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", "
        "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n"
        "\t],\n"
        "\t\"linux\": {\n"
        "\t\t\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": "
        "\"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}],\n"
        "\t\t\"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\", "
        "\"/sys/firmware\"],\n"
        "\t\t\"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
        "\"/proc/sysrq-trigger\"]\n"
        "\t}\n"
        "}\n";

int cmd_spec(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = ".";
	int opt;
	while ((opt = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (opt == 'b')
			bundle = optarg;
		else if (opt != 'r')
			return 2;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			runsc_error(g, "File %s exists. Remove it first", path);
		else
			runsc_error(g, "%s: %s", path, strerror(errno));
		return 1;
	}
	size_t n = sizeof(g_default_spec) - 1;
	int ok = write(fd, g_default_spec, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : 1;
}

int cmd_features(struct runsc_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	json_t *caps = json_array();
	for (int i = 0; i <= OCI_CAP_LAST; i++)
		json_array_append_new(caps, json_string(oci_capability_name(i)));
	json_t *f = json_pack(
	        "{s:s,s:s,s:[ssssss],s:[ssssssssssssssss],s:{s:[sssss],s:o,s:{s:b,s:b,s:b},s:{s:b}}"
	        ","
	        "s:{s:s}}",
	        "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", "prestart",
	        "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	        "mountOptions", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec",
	        "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
	        "linux", "namespaces", "pid", "network", "ipc", "uts", "mount", "capabilities",
	        caps, "cgroup", "v1", true, "v2", true, "systemd", false, "seccomp", "enabled",
	        false, "annotations", "io.github.runsc.sandbox", "gVisor-style user-space kernel");
	if (!f)
		return 1;
	json_dumpf(f, stdout, JSON_INDENT(4));
	putchar('\n');
	json_decref(f);
	return 0;
}
