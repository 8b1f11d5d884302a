/*
 * A hostile program in a sandbox with a --volume: the volume (mounted at
 * /mnt/vol) holds symlinks to /etc/shadow, to "../../", to an absolute
 * host path outside the volume, and a directory that the host side keeps
 * swapping with a symlink to that outside path while this program walks
 * it. Every write this program makes through those names must land in
 * the sandbox's own tree (the overlay's memory) or inside the volume,
 * never in a host file outside it: run_volume_escape.sh checks the host
 * afterwards.
 *
 * Usage (in the sandbox): volume_escape OUTSIDE_HOST_PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text through path; whether it works is the sandbox's business, where it lands is not. */
static void write_through(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	/* Whether it is written matters not: only where it lands. */
	ssize_t n = write(fd, "escaped\n", 8);
	(void)n;
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTSIDE_HOST_PATH\n", argv[0]);
		return 2;
	}
	const char *outside = argv[1];
	char path[4096];

	/* /etc/shadow through the volume's link: resolved in the sandbox, written to its overlay.
	 */
	write_through("/mnt/vol/shadow");
	/* Up and out of the volume, to the sandbox's root. */
	write_through("/mnt/vol/up/escaped-up");
	write_through("/mnt/vol/up/etc/escaped-etc");
	/* The host path of the outside directory, named by an absolute link. */
	write_through("/mnt/vol/abs/escaped-abs");
	snprintf(path, sizeof(path), "%s/escaped-direct", outside);
	write_through(path);
	/* Renames and links through the links. */
	rename("/mnt/vol/abs/victim", "/mnt/vol/moved");
	link("/mnt/vol/abs/victim", "/mnt/vol/linked");
	unlink("/mnt/vol/abs/victim");
	/* The racing directory: walk it again and again while the host swaps it. */
	for (int i = 0; i < 2000; i++) {
		snprintf(path, sizeof(path), "/mnt/vol/swap/escaped-%d", i % 8);
		write_through(path);
		int fd = open("/mnt/vol/swap/victim", O_RDWR | O_TRUNC);
		if (fd >= 0)
			close(fd);
		unlink("/mnt/vol/swap/victim");
	}
	/* Reading is allowed to fail or succeed; only the host's files matter. */
	char buf[64];
	int fd = open("/mnt/vol/abs/victim", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		(void)n;
		close(fd);
	}
	printf("done\n");
	return 0;
}
