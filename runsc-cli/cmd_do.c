/*
 * runsc do: run one program in a new sandbox, with the caller's stdio,
 * environment and working directory, and exit with its status (128+N when
 * signal N killed it, as a shell reports it).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "runsc-cli/runsc.h"
#include "sentry/boot/boot.h"

extern char **environ;

/* Finds cmd in $PATH as execvp(3) does. Returns 0 and the path in buf, or -errno. */
static int resolve_command(const char *cmd, char *buf, size_t size)
{
	if (strchr(cmd, '/')) {
		if (snprintf(buf, size, "%s", cmd) >= (int)size)
			return -ENAMETOOLONG;
		return access(buf, F_OK) == 0 ? 0 : -errno;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int n = snprintf(buf, size, "%.*s/%s", (int)(end - path), path, cmd);
		struct stat st;
		if (n > 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			err = -EACCES;
		}
		path = *end ? end + 1 : end;
	}
	return err;
}

/*
 * HOST:GUEST[:ro], both absolute. The host path is made canonical (the
 * gofer refuses symlinks on the way). *spec is the copy the fields point into.
 */
static int parse_volume(const char *arg, struct sentry_volume *v, char **spec)
{
	char *s = strdup(arg);
	if (!s)
		return -1;
	char *guest = strchr(s, ':');
	if (!guest)
		goto fail;
	*guest++ = '\0';
	char *mode = strchr(guest, ':');
	v->readonly = false;
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") == 0)
			v->readonly = true;
		else if (strcmp(mode, "rw") != 0)
			goto fail;
	}
	if (s[0] != '/' || guest[0] != '/')
		goto fail;
	char *host = realpath(s, NULL);
	if (!host)
		goto fail;
	v->host = host;
	v->guest = guest;
	*spec = s;
	return 0;
fail:
	free(s);
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: runsc do [flags] CMD [ARG...]\n\n"
	             "  --platform=NAME        ptrace (default)\n"
	             "  --hostname=NAME        the sandbox's hostname (default: the host's)\n"
	             "  --kernel-release=REL   what uname reports as the release (default 6.1.0)\n"
	             "  --volume=HOST:GUEST[:ro]  bind-mount a host directory into the sandbox\n"
	             "  --strace, --debug, --debug-log=FILE: as the global flags\n");
}

int cmd_do(struct runsc_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		RUNSC_GLOBAL_OPTIONS,
		{ "hostname", required_argument, NULL, 'H' },
		{ "kernel-release", required_argument, NULL, 'R' },
		{ "volume", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char host[HOST_NAME_MAX + 1] = "runsc";
	gethostname(host, sizeof(host));
	struct sentry_do_args args = { .hostname = host, .release = "6.1.0" };
	struct sentry_volume volumes[16];
	char *volume_specs[16];
	int nvolumes = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		int r = runsc_parse_global(g, opt, optarg);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		switch (opt) {
		case 'H':
			args.hostname = optarg;
			break;
		case 'R':
			args.release = optarg;
			break;
		case 'v':
			if (nvolumes == (int)ARRAY_SIZE(volumes) ||
			    parse_volume(optarg, &volumes[nvolumes], &volume_specs[nvolumes]) < 0) {
				fprintf(stderr,
				        "runsc do: bad --volume %s: want HOST:GUEST[:ro] with "
				        "absolute paths (at most 16)\n",
				        optarg);
				return 2;
			}
			nvolumes++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (runsc_setup_logging(g) < 0)
		return 2;

	char path[PATH_MAX];
	int err = resolve_command(argv[optind], path, sizeof(path));
	if (err < 0) {
		fprintf(stderr, "runsc: %s: %s\n", argv[optind], strerror(-err));
		return err == -ENOENT ? 127 : 126;
	}
	char cwd[PATH_MAX];
	args.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	args.volumes = volumes;
	args.nvolumes = nvolumes;
	args.platform = g->platform;
	args.exe_path = path;
	args.argv = argv + optind;
	args.envp = environ;
	args.strace = g->strace;
	int status = sentry_do(&args);
	if (status < 0) {
		fprintf(stderr, "runsc: %s: %s\n", argv[optind], strerror(-status));
		return status == -ENOENT ? 127 : 126;
	}
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	return 128 + (status & 0x7f);
}
