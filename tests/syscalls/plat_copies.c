/*
 * plat_copies: a call's arguments in memory are read, and its results written, as Linux does,
 * wherever they lie (systrap's stub reads a call's path or struct ahead, as it traps, up to the
 * end of its page, and writes results into private memory as it returns; the sentry does the
 * rest):
 *  - a path that ends on the last byte of a page before a hole, one that starts a few bytes
 *    before the end of a page and goes on into the next, and one of PATH_MAX - 1 bytes that
 *    fills a page exactly, all name the file they spell;
 *  - a path that runs into a hole or a PROT_NONE page without its NUL: EFAULT; one of
 *    PATH_MAX bytes: ENAMETOOLONG; a path or a struct at an unmapped, PROT_NONE, kernel or
 *    non-canonical address, or a struct that runs into a hole: EFAULT;
 *  - rt_sigaction and rt_sigprocmask with the same buffer for the new and the old value read
 *    the new one before they write the old one;
 *  - a write whose buffer ends at a hole writes it all;
 *  - a path rewritten by another thread while this one stats it in a loop gives one of the
 *    two files each time, never anything else;
 *  - a buffer the call reads that the same call wrote first (readlink into its own path):
 *    the path is read before the result is written;
 *  - recvmmsg whose first message lands on the second header's iovec pointer: the second
 *    message goes where the first one said (Linux reads each header as it gets there);
 *  - a result written into a private file mapping past the end of its file: EFAULT.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "test.h"

#define TARGET "/proc/self/exe"

static ino_t g_target_ino;

/* Writes into buf (len bytes, NUL included) a path to TARGET padded with leading slashes. */
static void padded_path(char *buf, size_t len)
{
	size_t tail = strlen(TARGET);

	CHECK(len > tail);
	memset(buf, '/', len - 1 - tail);
	memcpy(buf + len - 1 - tail, TARGET, tail + 1);
}

static void check_names_target(const char *path)
{
	struct stat st;

	CHECK_SYS(stat(path, &st));
	CHECK_EQ(st.st_ino, g_target_ino);
}

static void paths_at_page_edges(void)
{
	unsigned char *edge = test_page_before_hole();

	/* Ending on the page's last byte, a hole after it. */
	char *p = (char *)edge + PAGE_SIZE - 100;
	padded_path(p, 100);
	check_names_target(p);
	/* Running into the hole without a NUL. */
	memset(edge, 'a', PAGE_SIZE);
	CHECK_ERR(syscall(SYS_stat, edge + PAGE_SIZE - 10, &(struct stat){ 0 }), EFAULT);
	CHECK_ERR(syscall(SYS_openat, AT_FDCWD, edge + PAGE_SIZE - 10, O_RDONLY), EFAULT);

	/* Paths and structs that are not there at all, or only in part. */
	void *none = test_map(PAGE_SIZE, PROT_NONE);
	void *bad[] = { test_unmapped_page(), none, (void *)0xffff800000000000UL,
		        (void *)0x8000000000000000UL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(syscall(SYS_stat, bad[i], &(struct stat){ 0 }), EFAULT);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, bad[i], NULL, 8), EFAULT);
	}
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, edge + PAGE_SIZE - 8, NULL, 8), EFAULT);

	/* Across two mapped pages; then the second made PROT_NONE. */
	char *two = test_map(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	p = two + PAGE_SIZE - 7;
	padded_path(p, 200);
	check_names_target(p);
	CHECK_SYS(mprotect(two + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
	CHECK_ERR(syscall(SYS_stat, p, &(struct stat){ 0 }), EFAULT);
	CHECK_SYS(mprotect(two + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE));

	/* PATH_MAX - 1 bytes fill a page exactly; PATH_MAX bytes are too long. */
	padded_path(two, PATH_MAX);
	check_names_target(two);
	padded_path(two, PATH_MAX + 1);
	CHECK_ERR(syscall(SYS_stat, two, &(struct stat){ 0 }), ENAMETOOLONG);
	munmap(two, 2 * PAGE_SIZE);
}

static void same_buffer_in_and_out(void)
{
	struct sigaction a = { .sa_handler = SIG_IGN };
	CHECK_SYS(sigaction(SIGUSR1, &a, NULL));
	/* The new action and the old one in one buffer (the raw call: glibc copies). */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} k = { SIG_DFL, 0, NULL, 1 };
	CHECK_SYS(syscall(SYS_rt_sigaction, SIGUSR1, &k, &k, 8));
	CHECK(k.handler == SIG_IGN);
	CHECK_SYS(sigaction(SIGUSR1, NULL, &a));
	CHECK(a.sa_handler == SIG_DFL);

	uint64_t set = 1ULL << (SIGUSR2 - 1), none = 0;
	CHECK_SYS(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8));
	CHECK_SYS(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &set, 8));
	CHECK_EQ(set, 0);
	CHECK_SYS(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, &set, 8));
	CHECK_EQ(set, 1ULL << (SIGUSR2 - 1));

	/* readlink's result over its own path: the path was read first. */
	char buf[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = CHECK_SYS(readlink(TARGET, exe, sizeof(exe) - 1));
	exe[n] = '\0';
	strcpy(buf, TARGET);
	CHECK_EQ(syscall(SYS_readlink, buf, buf, sizeof(buf)), n);
	CHECK(memcmp(buf, exe, (size_t)n) == 0);
}

static void write_up_to_hole(void)
{
	unsigned char *edge = test_page_before_hole();
	int fds[2];

	CHECK_SYS(pipe(fds));
	for (int i = 0; i < 64; i++)
		edge[PAGE_SIZE - 64 + i] = (unsigned char)(i * 7);
	CHECK_EQ(write(fds[1], edge + PAGE_SIZE - 64, 64), 64);
	unsigned char got[64];
	CHECK_EQ(read(fds[0], got, sizeof(got)), 64);
	CHECK(memcmp(got, edge + PAGE_SIZE - 64, 64) == 0);
	close(fds[0]);
	close(fds[1]);
}

/* The path the two threads share, and whether the writer should stop. */
static char g_path[64];
static atomic_int g_stop;

static void *rewriter(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&g_stop); i++) {
		/* "/proc/self/exe" and "/proc/self/ex_" differ in one byte: either names a file or
		 * not. */
		__atomic_store_n(&g_path[13], (i & 1) ? 'e' : '_', __ATOMIC_RELAXED);
	}
	return NULL;
}

static void path_rewritten_meanwhile(void)
{
	pthread_t th;

	strcpy(g_path, TARGET);
	CHECK(pthread_create(&th, NULL, rewriter, NULL) == 0);
	int found = 0, missing = 0;
	for (int i = 0; i < 20000; i++) {
		struct stat st;
		if (stat(g_path, &st) == 0) {
			CHECK_EQ(st.st_ino, g_target_ino);
			found++;
		} else {
			CHECK_EQ(errno, ENOENT);
			missing++;
		}
	}
	atomic_store(&g_stop, 1);
	CHECK(pthread_join(th, NULL) == 0);
	printf("rewritten path: %d found, %d missing\n", found, missing);
}

static void write_then_read_in_one_call(void)
{
	int sv[2];
	char b1[16] = { 0 }, b2[16] = { 0 };
	struct iovec first = { b1, sizeof(b1) }, alt = { b2, sizeof(b2) };
	struct mmsghdr vec[2];

	CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	memset(vec, 0, sizeof(vec));
	/* The first datagram is a pointer, received right over vec[1].msg_hdr.msg_iov. */
	struct iovec over = { &vec[1].msg_hdr.msg_iov, sizeof(void *) };
	vec[0].msg_hdr.msg_iov = &over;
	vec[0].msg_hdr.msg_iovlen = 1;
	vec[1].msg_hdr.msg_iov = &first;
	vec[1].msg_hdr.msg_iovlen = 1;
	struct iovec *p = &alt;
	CHECK_EQ(send(sv[1], &p, sizeof(p), 0), sizeof(p));
	CHECK_EQ(send(sv[1], "second", 7, 0), 7);
	CHECK_EQ(recvmmsg(sv[0], vec, 2, 0, NULL), 2);
	CHECK(vec[1].msg_hdr.msg_iov == &alt);
	CHECK_EQ(vec[1].msg_len, 7);
	CHECK_STREQ(b2, "second");
	CHECK_STREQ(b1, "");
	close(sv[0]);
	close(sv[1]);
}

static void result_past_end_of_file(void)
{
	char path[] = "/tmp/plat_copies_XXXXXX";
	int fd = CHECK_SYS(mkstemp(path));

	CHECK_SYS(unlink(path));
	CHECK_SYS(ftruncate(fd, PAGE_SIZE));
	char *m = (char *)CHECK_SYS(
	        mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	struct stat *st = (struct stat *)(m + PAGE_SIZE);
	CHECK_ERR(syscall(SYS_fstat, fd, st), EFAULT);
	/* Within the file it works, and the file does not see it (private). */
	CHECK_SYS(syscall(SYS_fstat, fd, (struct stat *)m));
	CHECK_EQ(((struct stat *)m)->st_size, PAGE_SIZE);
	char byte;
	CHECK_EQ(pread(fd, &byte, 1, 0), 1);
	CHECK_EQ(byte, 0);
	munmap(m, 2 * PAGE_SIZE);
	close(fd);
}

int main(void)
{
	struct stat st;

	CHECK_SYS(stat(TARGET, &st));
	g_target_ino = st.st_ino;
	paths_at_page_edges();
	same_buffer_in_and_out();
	write_up_to_hole();
	path_rewritten_meanwhile();
	write_then_read_in_one_call();
	result_past_end_of_file();
	puts("ok");
	return 0;
}
