/*
 * The strace formatter (see strace_format.h): the decoders of what lives
 * in guest memory (strings, buffers, iovecs, structs), the dispatch over
 * argument kinds, results, and the assembly of a line from the part
 * formatted before the call and the part after. Values that need no
 * memory (flags, enumerations) are decoded in strace_values.c.
 *
 * Nothing here touches a task or the host: guest memory comes through
 * struct strace_mem, and every read may come back short, in which case
 * the argument prints as its value in hex, as strace(1) does.
 */
#include "syscalls/strace_format.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "common/abi/linux/errno.h"
#include "common/abi/linux/misc.h"
#include "common/abi/linux/signal.h"
#include "common/abi/linux/time.h"
#include "syscalls/strace_internal.h"

/* Reads up to len bytes; returns how many could be read. */
static size_t mem_read(const struct strace_mem *m, void *dst, uint64_t addr, size_t len)
{
	size_t n;

	if (!m || !m->read || len == 0)
		return 0;
	n = m->read(m->arg, dst, addr, len);
	return n < len ? n : len;
}

static bool mem_read_all(const struct strace_mem *m, void *dst, uint64_t addr, size_t len)
{
	return mem_read(m, dst, addr, len) == len;
}

/* "bytes", escaped as strace -x does, with "..." when more is true. */
static void put_quoted(struct sbuf *sb, const uint8_t *s, size_t n, bool more)
{
	sb_putc(sb, '"');
	for (size_t k = 0; k < n; k++) {
		uint8_t c = s[k];

		switch (c) {
		case '\n':
			sb_puts(sb, "\\n");
			break;
		case '\t':
			sb_puts(sb, "\\t");
			break;
		case '\r':
			sb_puts(sb, "\\r");
			break;
		case '\v':
			sb_puts(sb, "\\v");
			break;
		case '\f':
			sb_puts(sb, "\\f");
			break;
		case '"':
			sb_puts(sb, "\\\"");
			break;
		case '\\':
			sb_puts(sb, "\\\\");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				sb_putc(sb, (char)c);
			else
				sb_printf(sb, "\\x%02x", c);
		}
	}
	sb_putc(sb, '"');
	if (more)
		sb_puts(sb, "...");
}

/* Prints n bytes of s, cut at STRACE_STRING_MAX. */
static void put_bytes(struct sbuf *sb, const uint8_t *s, size_t n)
{
	put_quoted(sb, s, MIN(n, (size_t)STRACE_STRING_MAX), n > STRACE_STRING_MAX);
}

/* A NUL-terminated guest string. */
static void put_str(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	uint8_t s[STRACE_STRING_MAX + 1];
	const uint8_t *nul;
	size_t n;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	/* A short read is fine as long as the NUL is within it. */
	n = mem_read(m, s, addr, sizeof(s));
	nul = memchr(s, 0, n);
	if (nul)
		put_quoted(sb, s, (size_t)(nul - s), false);
	else if (n == sizeof(s))
		put_quoted(sb, s, STRACE_STRING_MAX, true);
	else
		strace_put_ptr(sb, addr);
}

/* A guest buffer of len bytes. */
static void put_buf(struct sbuf *sb, const struct strace_mem *m, uint64_t addr, uint64_t len)
{
	uint8_t s[STRACE_STRING_MAX];
	size_t n = (size_t)MIN(len, (uint64_t)STRACE_STRING_MAX);

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (n && !mem_read_all(m, s, addr, n)) {
		strace_put_ptr(sb, addr);
		return;
	}
	put_quoted(sb, s, n, len > STRACE_STRING_MAX);
}

/*
 * [{iov_base="...", iov_len=5}, ...]: count iovecs, of which the data of
 * the first limit bytes is shown (readv shows what it read).
 */
static void put_iov(struct sbuf *sb, const struct strace_mem *m, uint64_t addr, uint64_t count,
                    uint64_t limit)
{
	struct linux_iovec iov[STRACE_ARRAY_MAX];
	size_t n = (size_t)MIN(count, (uint64_t)STRACE_ARRAY_MAX);

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (count > LINUX_IOV_MAX || !mem_read_all(m, iov, addr, n * sizeof(iov[0]))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_putc(sb, '[');
	for (size_t k = 0; k < n; k++) {
		uint64_t shown = MIN(iov[k].len, limit);

		sb_puts(sb, k ? ", {iov_base=" : "{iov_base=");
		put_buf(sb, m, iov[k].base, shown);
		sb_printf(sb, ", iov_len=%llu}", (unsigned long long)iov[k].len);
		limit -= shown;
	}
	if (count > n)
		sb_puts(sb, ", ...");
	sb_putc(sb, ']');
}

/* ["ls", "-l"]: a NULL-terminated array of string pointers. */
static void put_strv(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	uint64_t ptrs[STRACE_ARRAY_MAX + 1];
	bool fault = false;
	size_t n;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	for (n = 0; n < ARRAY_SIZE(ptrs); n++) {
		if (!mem_read_all(m, &ptrs[n], addr + n * sizeof(ptrs[0]), sizeof(ptrs[0]))) {
			fault = true;
			break;
		}
		if (ptrs[n] == 0)
			break;
	}
	if (n == 0 && fault) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_putc(sb, '[');
	for (size_t k = 0; k < MIN(n, (size_t)STRACE_ARRAY_MAX); k++) {
		if (k)
			sb_puts(sb, ", ");
		put_str(sb, m, ptrs[k]);
	}
	if (n > STRACE_ARRAY_MAX || fault)
		sb_puts(sb, ", ..."); /* n > 0 here */
	sb_putc(sb, ']');
}

static void put_timespec(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_timespec ts;

	if (addr == 0)
		sb_puts(sb, "NULL");
	else if (!mem_read_all(m, &ts, addr, sizeof(ts)))
		strace_put_ptr(sb, addr);
	else
		sb_printf(sb, "{tv_sec=%lld, tv_nsec=%lld}", (long long)ts.tv_sec,
		          (long long)ts.tv_nsec);
}

static void put_timeval(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_timeval tv;

	if (addr == 0)
		sb_puts(sb, "NULL");
	else if (!mem_read_all(m, &tv, addr, sizeof(tv)))
		strace_put_ptr(sb, addr);
	else
		sb_printf(sb, "{tv_sec=%lld, tv_usec=%lld}", (long long)tv.tv_sec,
		          (long long)tv.tv_usec);
}

static void put_sigset_at(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	linux_sigset_t set;

	if (addr == 0)
		sb_puts(sb, "NULL");
	else if (!mem_read_all(m, &set, addr, sizeof(set)))
		strace_put_ptr(sb, addr);
	else
		strace_put_sigset(sb, set);
}

/* {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x...} */
static void put_sigaction(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_sigaction sa;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, &sa, addr, sizeof(sa))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_puts(sb, "{sa_handler=");
	if (sa.handler == LINUX_SIG_DFL)
		sb_puts(sb, "SIG_DFL");
	else if (sa.handler == LINUX_SIG_IGN)
		sb_puts(sb, "SIG_IGN");
	else
		sb_printf(sb, "%#llx", (unsigned long long)sa.handler);
	sb_puts(sb, ", sa_mask=");
	strace_put_sigset(sb, sa.mask);
	sb_puts(sb, ", sa_flags=");
	strace_put_sa_flags(sb, sa.flags);
	if (sa.flags & LINUX_SA_RESTORER)
		sb_printf(sb, ", sa_restorer=%#llx", (unsigned long long)sa.restorer);
	sb_putc(sb, '}');
}

static void put_rlimit(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_rlimit rl;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, &rl, addr, sizeof(rl))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_puts(sb, "{rlim_cur=");
	strace_put_rlim(sb, rl.cur);
	sb_puts(sb, ", rlim_max=");
	strace_put_rlim(sb, rl.max);
	sb_putc(sb, '}');
}

/* {sysname="Linux", nodename="box", ...}, as strace prints it without -v. */
static void put_utsname(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_utsname u;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, &u, addr, sizeof(u))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_puts(sb, "{sysname=");
	put_bytes(sb, (const uint8_t *)u.sysname, strnlen(u.sysname, sizeof(u.sysname)));
	sb_puts(sb, ", nodename=");
	put_bytes(sb, (const uint8_t *)u.nodename, strnlen(u.nodename, sizeof(u.nodename)));
	sb_puts(sb, ", ...}");
}

static const char *file_type_name(uint32_t fmt)
{
	switch (fmt) {
	case 0140000:
		return "S_IFSOCK";
	case 0120000:
		return "S_IFLNK";
	case 0100000:
		return "S_IFREG";
	case 0060000:
		return "S_IFBLK";
	case 0040000:
		return "S_IFDIR";
	case 0020000:
		return "S_IFCHR";
	case 0010000:
		return "S_IFIFO";
	default:
		return NULL;
	}
}

/* {st_mode=S_IFREG|0644, st_size=5, ...} */
static void put_stat(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct linux_stat st;
	const char *type;
	uint32_t fmt;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, &st, addr, sizeof(st))) {
		strace_put_ptr(sb, addr);
		return;
	}
	fmt = st.mode & 0170000;
	type = file_type_name(fmt);
	if (type)
		sb_printf(sb, "{st_mode=%s|%04o", type, st.mode & 07777);
	else
		sb_printf(sb, "{st_mode=%#o", st.mode);
	if (fmt == 0020000 || fmt == 0060000) {
		/* Linux's new_encode_dev() layout. */
		unsigned long long major = ((st.rdev >> 8) & 0xfff) | ((st.rdev >> 32) & ~0xfffULL);
		unsigned long long minor = (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xffULL);

		sb_printf(sb, ", st_rdev=makedev(%#llx, %#llx)", major, minor);
	} else {
		sb_printf(sb, ", st_size=%lld", (long long)st.size);
	}
	sb_puts(sb, ", ...}");
}

/* fcntl's struct flock: {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=100}. */
static void put_flock(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	struct {
		int16_t type, whence;
		int32_t pad0;
		int64_t start, len;
		int32_t pid, pad1;
	} fl;
	static const char *const types[] = { "F_RDLCK", "F_WRLCK", "F_UNLCK" };

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, &fl, addr, sizeof(fl))) {
		strace_put_ptr(sb, addr);
		return;
	}
	if (fl.type >= 0 && fl.type < 3)
		sb_printf(sb, "{l_type=%s, l_whence=", types[fl.type]);
	else
		sb_printf(sb, "{l_type=%d, l_whence=", fl.type);
	strace_put_value(sb, SA_WHENCE, (uint64_t)(int64_t)fl.whence, NULL);
	sb_printf(sb, ", l_start=%lld, l_len=%lld}", (long long)fl.start, (long long)fl.len);
}

/* openat2's struct open_how: {flags=O_RDONLY, mode=0, resolve=RESOLVE_BENEATH}. */
static void put_open_how(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	uint64_t how[3]; /* flags, mode, resolve */

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, how, addr, sizeof(how))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_puts(sb, "{flags=");
	strace_put_value(sb, SA_OPEN_FLAGS, how[0], NULL);
	sb_printf(sb, ", mode=%#03llo, resolve=", (unsigned long long)how[1]);
	strace_put_value(sb, SA_RESOLVE_FLAGS, how[2], NULL);
	sb_putc(sb, '}');
}

static void put_fdpair(struct sbuf *sb, const struct strace_mem *m, uint64_t addr)
{
	int32_t fds[2];

	if (addr == 0)
		sb_puts(sb, "NULL");
	else if (!mem_read_all(m, fds, addr, sizeof(fds)))
		strace_put_ptr(sb, addr);
	else
		sb_printf(sb, "[%d, %d]", fds[0], fds[1]);
}

/*
 * {sa_family=AF_UNIX, sun_path="/run/s"} or {sa_family=AF_INET,
 * sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}.
 */
static void put_sockaddr(struct sbuf *sb, const struct strace_mem *m, uint64_t addr, uint64_t len)
{
	uint8_t sa[128];
	size_t n = (size_t)MIN(len, (uint64_t)sizeof(sa));
	unsigned int family;

	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (n < 2 || !mem_read_all(m, sa, addr, n)) {
		strace_put_ptr(sb, addr);
		return;
	}
	family = sa[0] | (unsigned int)sa[1] << 8; /* sa_family_t, little-endian */
	sb_puts(sb, "{sa_family=");
	strace_put_value(sb, SA_SOCK_FAMILY, family, NULL);
	if (family == LINUX_AF_UNIX && n > 2) {
		if (sa[2] == 0) {
			/* An abstract name: its length is the address's. */
			sb_puts(sb, ", sun_path=@");
			put_bytes(sb, sa + 3, n - 3);
		} else {
			sb_puts(sb, ", sun_path=");
			put_bytes(sb, sa + 2, strnlen((const char *)sa + 2, n - 2));
		}
	} else if (family == LINUX_AF_INET && n >= 8) {
		sb_printf(sb, ", sin_port=htons(%u), sin_addr=inet_addr(\"%u.%u.%u.%u\")",
		          (unsigned int)sa[2] << 8 | sa[3], sa[4], sa[5], sa[6], sa[7]);
	} else if (family == LINUX_AF_INET6 && n >= 24) {
		char text[INET6_ADDRSTRLEN];

		if (!inet_ntop(AF_INET6, sa + 8, text, sizeof(text)))
			strcpy(text, "?");
		sb_printf(sb, ", sin6_port=htons(%u), sin6_addr=\"%s\"",
		          (unsigned int)sa[2] << 8 | sa[3], text);
	} else if (n > 2) {
		sb_puts(sb, ", ...");
	}
	sb_putc(sb, '}');
}

/* [{fd=3, events=POLLIN}, ...] */
static void put_pollfds(struct sbuf *sb, const struct strace_mem *m, uint64_t addr, uint64_t count)
{
	struct {
		int32_t fd;
		int16_t events;
		int16_t revents;
	} pfd[STRACE_ARRAY_MAX];
	size_t n = (size_t)MIN(count, (uint64_t)STRACE_ARRAY_MAX);

	_Static_assert(sizeof(pfd[0]) == 8, "struct pollfd layout");
	if (addr == 0) {
		sb_puts(sb, "NULL");
		return;
	}
	if (!mem_read_all(m, pfd, addr, n * sizeof(pfd[0]))) {
		strace_put_ptr(sb, addr);
		return;
	}
	sb_putc(sb, '[');
	for (size_t k = 0; k < n; k++) {
		sb_printf(sb, "%s{fd=%d, events=", k ? ", " : "", pfd[k].fd);
		strace_put_poll_events(sb, (uint16_t)pfd[k].events);
		sb_putc(sb, '}');
	}
	if (count > n)
		sb_puts(sb, ", ...");
	sb_putc(sb, ']');
}

/* Arguments and results. */

static bool is_error(long ret)
{
	return ret < 0 && ret >= -LINUX_MAX_ERRNO;
}

bool strace_arg_is_output(enum sarg kind)
{
	switch (kind) {
	case SA_BUF_RET:
	case SA_IOV_RET:
	case SA_SIGSET_OUT:
	case SA_SIGACTION_OUT:
	case SA_TIMESPEC_OUT:
	case SA_TIMEVAL_OUT:
	case SA_RLIMIT_OUT:
	case SA_UTSNAME_OUT:
	case SA_STAT_OUT:
	case SA_STR_OUT:
	case SA_FDPAIR_OUT:
		return true;
	default:
		return false;
	}
}

static unsigned int entry_nargs(const struct syscall_entry *e)
{
	if (!e)
		return 6;
	return MIN(e->nargs, (uint8_t)6);
}

/* The value of the argument that holds argument i's length (or count). */
static uint64_t len_arg(const struct syscall_entry *e, const struct sys_args *a, unsigned int i)
{
	return e->len[i] < 6 ? a->a[e->len[i]] : 0;
}

static void format_arg(struct sbuf *sb, const struct strace_mem *m, const struct syscall_entry *e,
                       const struct sys_args *a, unsigned int i, long ret)
{
	enum sarg kind = e ? (enum sarg)e->arg[i] : SA_NONE;
	uint64_t v = a->a[i];

	/* After a failed call, an output buffer holds nothing to show. */
	if (strace_arg_is_output(kind) && is_error(ret)) {
		strace_put_ptr(sb, v);
		return;
	}
	switch (kind) {
	case SA_OCT:
		/* open's mode is left out, as strace does, unless the flags use it. */
		if (i > 0 && e->arg[i - 1] == SA_OPEN_FLAGS && !strace_open_has_mode(a->a[i - 1]))
			break;
		strace_put_value(sb, kind, v, a);
		break;
	case SA_STR:
	case SA_STR_OUT:
		put_str(sb, m, v);
		break;
	case SA_BUF_IN:
		put_buf(sb, m, v, len_arg(e, a, i));
		break;
	case SA_BUF_RET:
		put_buf(sb, m, v, (uint64_t)ret);
		break;
	case SA_IOV_IN:
		put_iov(sb, m, v, len_arg(e, a, i), UINT64_MAX);
		break;
	case SA_IOV_RET:
		put_iov(sb, m, v, len_arg(e, a, i), (uint64_t)ret);
		break;
	case SA_SIGSET_IN:
	case SA_SIGSET_OUT:
		put_sigset_at(sb, m, v);
		break;
	case SA_SIGACTION_IN:
	case SA_SIGACTION_OUT:
		put_sigaction(sb, m, v);
		break;
	case SA_TIMESPEC_IN:
	case SA_TIMESPEC_OUT:
		put_timespec(sb, m, v);
		break;
	case SA_TIMEVAL_OUT:
		put_timeval(sb, m, v);
		break;
	case SA_RLIMIT_IN:
	case SA_RLIMIT_OUT:
		put_rlimit(sb, m, v);
		break;
	case SA_UTSNAME_OUT:
		put_utsname(sb, m, v);
		break;
	case SA_STAT_OUT:
		put_stat(sb, m, v);
		break;
	case SA_STRV:
		put_strv(sb, m, v);
		break;
	case SA_FDPAIR_OUT:
		put_fdpair(sb, m, v);
		break;
	case SA_SOCKADDR_IN:
		put_sockaddr(sb, m, v, len_arg(e, a, i));
		break;
	case SA_POLLFD_IN:
		put_pollfds(sb, m, v, len_arg(e, a, i));
		break;
	case SA_OPEN_HOW_IN:
		put_open_how(sb, m, v);
		break;
	case SA_FCNTL_ARG:
		/* The lock commands (F_GETLK ... F_OFD_SETLKW) point at a struct flock. */
		if ((a->a[1] >= 5 && a->a[1] <= 7) || (a->a[1] >= 36 && a->a[1] <= 38))
			put_flock(sb, m, v);
		else
			strace_put_value(sb, kind, v, a);
		break;
	default:
		if (!strace_put_value(sb, kind, v, a))
			strace_put_hex(sb, v);
	}
}

static void format_ret(struct sbuf *sb, enum sret kind, long ret)
{
	if (kind == SR_NONE) {
		sb_putc(sb, '?');
	} else if (is_error(ret)) {
		const char *name = linux_errno_name((int)-ret);
		const char *msg = linux_errno_msg((int)-ret);

		if (name && msg)
			sb_printf(sb, "-%s (%s)", name, msg);
		else if (name)
			sb_printf(sb, "-%s", name);
		else
			sb_printf(sb, "%ld", ret);
	} else if (kind == SR_HEX) {
		sb_printf(sb, "%#lx", (unsigned long)ret);
	} else {
		sb_printf(sb, "%ld", ret);
	}
}

size_t strace_format_arg(char *buf, size_t size, const struct strace_mem *m,
                         const struct syscall_entry *e, const struct sys_args *a, unsigned int i,
                         long ret)
{
	struct sbuf sb;

	if (size == 0)
		return 0;
	sb_init(&sb, buf, size);
	if (i < 6)
		format_arg(&sb, m, e, a, i, ret);
	return sb.len;
}

size_t strace_format_ret(char *buf, size_t size, enum sret kind, long ret)
{
	struct sbuf sb;

	if (size == 0)
		return 0;
	sb_init(&sb, buf, size);
	format_ret(&sb, kind, ret);
	return sb.len;
}

/*
 * The line between enter and exit. st->buf holds NUL-terminated segments
 * back to back: first "[ tid] name(", then one per argument: its text for
 * an input kind, empty for an output kind (formatted at exit) and for an
 * omitted argument. st->len counts the bytes used, NULs included.
 *
 * Each segment may use what is left of buf but one byte for each segment
 * after it, so that a long argument truncates itself, never the count of
 * segments.
 */
void strace_format_enter(struct strace_state *st, const struct strace_mem *m, int tid,
                         const char *name, const struct syscall_entry *e, const struct sys_args *a)
{
	unsigned int nargs = entry_nargs(e);
	struct sbuf sb;

	st->len = 0;
	sb_init(&sb, st->buf, sizeof(st->buf) - nargs);
	if (name)
		sb_printf(&sb, "[%4d] %s(", tid, name);
	else
		sb_printf(&sb, "[%4d] syscall_%llu(", tid, (unsigned long long)a->nr);
	st->len += sb.len + 1;

	for (unsigned int i = 0; i < nargs; i++) {
		enum sarg kind = e ? (enum sarg)e->arg[i] : SA_NONE;

		sb_init(&sb, st->buf + st->len, sizeof(st->buf) - st->len - (nargs - 1 - i));
		if (!strace_arg_is_output(kind))
			format_arg(&sb, m, e, a, i, 0);
		st->len += sb.len + 1;
	}
}

/* Returns the segment at *pos and moves past it; "" past the end. */
static const char *next_segment(const struct strace_state *st, size_t *pos)
{
	const char *seg;

	if (*pos >= st->len || st->len > sizeof(st->buf))
		return "";
	seg = st->buf + *pos;
	*pos += strnlen(seg, st->len - *pos) + 1;
	return seg;
}

size_t strace_format_exit(char *buf, size_t size, const struct strace_state *st,
                          const struct strace_mem *m, const struct syscall_entry *e,
                          const struct sys_args *a, long ret)
{
	unsigned int nargs = entry_nargs(e);
	bool first = true;
	size_t pos = 0;
	struct sbuf sb;

	if (size == 0)
		return 0;
	sb_init(&sb, buf, size);
	sb_puts(&sb, next_segment(st, &pos));
	for (unsigned int i = 0; i < nargs; i++) {
		enum sarg kind = e ? (enum sarg)e->arg[i] : SA_NONE;
		const char *seg = next_segment(st, &pos);

		if (!strace_arg_is_output(kind) && seg[0] == '\0')
			continue; /* omitted */
		if (!first)
			sb_puts(&sb, ", ");
		first = false;
		if (strace_arg_is_output(kind))
			format_arg(&sb, m, e, a, i, ret);
		else
			sb_puts(&sb, seg);
	}
	sb_puts(&sb, ") = ");
	format_ret(&sb, e ? (enum sret)e->ret : SR_INT, ret);
	return sb.len;
}
