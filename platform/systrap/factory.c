/* The stub image, its filter, the factory and the pool of ready stubs: see systrap_impl.h. */
#include "platform/systrap/systrap_impl.h"

struct systrap_globals g_systrap = {
	.factory = -1, .factory_sock = -1, .listener = -1, .listener_mu = PTHREAD_MUTEX_INITIALIZER
};

static uaddr_t stub_addr(const void *fn)
{
	return g_systrap.code + (uaddr_t)((const char *)fn - __start_systrap_stub);
}

/* ---- Init: the stub image and the factory ---- */

static int build_filter(struct systrap_factory_data *d);

/* Runs in the factory between fork and the stub code: raw system calls only. */
NORETURN static void factory_child(pid_t parent, int sock)
{
	stub_util_unregister_rseq();
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, 127);
	syscall(SYS_setpgid, 0, 0);
	if (sock != 0 && syscall(SYS_dup2, sock, 0) != 0)
		syscall(SYS_exit_group, 127);
	syscall(SYS_close_range, 1, ~0U, 0);
	/* No capabilities: a stub needs none (the bounding set, then capset's three sets). */
	for (int cap = 0; cap < 64; cap++)
		syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522, 0 };
	uint32_t caps[6] = { 0 };
	syscall(SYS_capset, &hdr, caps);
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		syscall(SYS_exit_group, 127);
	/*
	 * The traps' handler, on the alternate stack, with every signal
	 * blocked but the faults of its own reads of the application's memory
	 * (stub.c's copy_in), which it recovers from.
	 */
	struct {
		uint64_t handler, flags, restorer, mask;
	} sa = { stub_addr((const void *)systrap_stub_handler),
		 SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		 stub_addr((const void *)systrap_stub_restorer),
		 ~(1ULL << (SIGSEGV - 1) | 1ULL << (SIGBUS - 1)) };
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS,          SIGFPE,
		                    SIGILL, SIGTRAP, INTERRUPT_SIGNAL };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (syscall(SYS_rt_sigaction, sigs[i], &sa, NULL, 8) != 0)
			syscall(SYS_exit_group, 127);
	}
	uint64_t none = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	uaddr_t entry = stub_addr((const void *)systrap_stub_factory);
	__asm__ volatile("mov %0, %%rsp\n\t"
	                 "call *%1\n\t"
	                 "ud2"
	                 :
	                 : "r"(g_systrap.factory_stack_top), "r"(entry), "D"(g_systrap.data)
	                 : "memory");
	__builtin_unreachable();
}

#define IMAGE_CODE_PAGES  4
#define IMAGE_DATA_PAGES  2
#define IMAGE_STACK_PAGES 4
#define IMAGE_READY_PAGES 1 /* systrap_factory_data.ready_page */
#define IMAGE_PAGES       (IMAGE_CODE_PAGES + IMAGE_DATA_PAGES + IMAGE_STACK_PAGES + IMAGE_READY_PAGES)

static int make_image(void)
{
	size_t code_size = (size_t)(__stop_systrap_stub - __start_systrap_stub);
	BUG_ON(code_size > IMAGE_CODE_PAGES * PAGE_SIZE);
	BUG_ON(sizeof(struct systrap_factory_data) > IMAGE_DATA_PAGES * PAGE_SIZE);
	/* The region, aligned to a slot, then the image; all of it is kept in every stub. */
	size_t total = SYSTRAP_REGION_SIZE + SYSTRAP_SLOT_SIZE + IMAGE_PAGES * PAGE_SIZE;
	uint8_t *p =
	        mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	uaddr_t base = ((uaddr_t)p + SYSTRAP_SLOT_SIZE - 1) & ~(uaddr_t)(SYSTRAP_SLOT_SIZE - 1);
	uint8_t *image = (uint8_t *)(base + SYSTRAP_REGION_SIZE);
	if (mprotect(image, (IMAGE_PAGES - IMAGE_READY_PAGES) * PAGE_SIZE,
	             PROT_READ | PROT_WRITE) != 0)
		return -errno;
	uint8_t *ready = image + (IMAGE_PAGES - IMAGE_READY_PAGES) * PAGE_SIZE;
	if (mmap(ready, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
	         -1, 0) != ready)
		return -errno;
	memcpy(image, __start_systrap_stub, code_size);
	g_systrap.region_base = base;
	g_systrap.code = (uaddr_t)image;
	g_systrap.code_end = g_systrap.code + code_size;
	g_systrap.data = (struct systrap_factory_data *)(image + IMAGE_CODE_PAGES * PAGE_SIZE);
	g_systrap.factory_stack_top =
	        (uaddr_t)image + (IMAGE_PAGES - IMAGE_READY_PAGES) * PAGE_SIZE - 64;
	g_systrap.factory_ready = (uint32_t *)ready;
	g_systrap.data->msg.region_base = base;
	g_systrap.data->ready_page = (uint64_t)(uintptr_t)ready;
	g_systrap.data->fprog.filter = (uint64_t)(uintptr_t)g_systrap.data->filter;
	int err = build_filter(g_systrap.data);
	if (err < 0)
		return err;

	struct stub_util_range keep[SYSTRAP_MAX_RANGES];
	int nkeep = 0;
	err = stub_util_special_ranges(keep, SYSTRAP_MAX_RANGES - 1, &nkeep);
	if (err < 0)
		return err;
	keep[nkeep++] = (struct stub_util_range){ (uaddr_t)p, (uaddr_t)p + total };
	uint64_t lowest;
	int n = stub_util_unmap_list(keep, nkeep, (void *)g_systrap.data->ranges,
	                             SYSTRAP_MAX_RANGES, &lowest);
	if (n < 0)
		return n;
	g_systrap.data->nranges = (uint64_t)n;
	if (mprotect(image, IMAGE_CODE_PAGES * PAGE_SIZE, PROT_READ | PROT_EXEC) != 0 ||
	    mprotect(g_systrap.data, IMAGE_DATA_PAGES * PAGE_SIZE, PROT_READ) != 0)
		return -errno;
	g_systrap.max_addr = lowest & ~((1ULL << 30) - 1);
	g_systrap.vdso_base = getauxval(AT_SYSINFO_EHDR);
	return 0;
}

static int start_factory(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid_t parent = getpid();
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0) {
		int err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0)
		factory_child(parent, sv[1]);
	close(sv[1]);
	g_systrap.factory = (pid_t)pid;
	g_systrap.factory_sock = sv[0];
	/*
	 * Its listener is its fd 1 once it has installed the filter, which it
	 * says on the ready page's futex. Waits of 10 ms check that it lives.
	 */
	for (int i = 0; i < 1000; i++) {
		if (__atomic_load_n(g_systrap.factory_ready, __ATOMIC_SEQ_CST) == 1) {
			int fd = stub_util_take_fd(g_systrap.factory, 1);
			uint64_t id = 0;
			if (fd >= 0 && (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 ||
			                errno == ENOENT)) {
				g_systrap.listener = fd;
				return 0;
			}
			if (fd >= 0)
				close(fd);
			log_warn("systrap: the stub factory's fd 1 is not its listener");
			return -EIO;
		}
		int status;
		if (waitpid(g_systrap.factory, &status, WNOHANG) == g_systrap.factory) {
			log_warn("systrap: the stub factory failed (status %#x)", status);
			g_systrap.factory = -1;
			return -ECHILD;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		syscall(SYS_futex, g_systrap.factory_ready, FUTEX_WAIT, 0, &ts, NULL, 0);
	}
	return -ETIMEDOUT;
}

static void take_fp_sw(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	const ucontext_t *uc = ucv;
	if (uc->uc_mcontext.fpregs)
		memcpy(g_systrap.fp_sw, (const uint8_t *)uc->uc_mcontext.fpregs + FXSAVE_SW_OFFSET,
		       sizeof(g_systrap.fp_sw));
}

/*
 * System-call patching (patch.c), when $RUNSC_SYSCALL_PATCHING is 1 (the
 * flag --syscall-patching) and the CPU has what the trap table's code
 * uses: rdgsbase in user mode (FSGSBASE) and BMI2's flag-less shifts.
 * The trampoline lays out its FP state as the kernel's signal frames do:
 * their software bytes come from a signal the sentry sends itself.
 */
static void init_patching(void)
{
	const char *env = getenv("RUNSC_SYSCALL_PATCHING");
	if (!env || strcmp(env, "1") != 0)
		return;
	if (!(getauxval(AT_HWCAP2) & 2 /* HWCAP2_FSGSBASE */) || !__builtin_cpu_supports("bmi2")) {
		log_warn("systrap: syscall patching needs FSGSBASE and BMI2; it stays off");
		return;
	}
	struct sigaction sa = { .sa_sigaction = take_fp_sw, .sa_flags = SA_SIGINFO }, old;
	if (sigaction(SIGURG, &sa, &old) != 0)
		return;
	raise(SIGURG);
	sigaction(SIGURG, &old, NULL);
	struct fpx_sw sw;
	memcpy(&sw, g_systrap.fp_sw, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size > SYSTRAP_TFRAME_FP_MAX) {
		log_warn("systrap: this kernel's FP frames do not fit the trampoline; no patching");
		return;
	}
	g_systrap.patching = true;
}

int systrap_init(void)
{
	if (g_systrap.ready)
		return 0;
	init_patching();
	if (sched_getaffinity(0, sizeof(g_systrap.cpus), &g_systrap.cpus) != 0)
		return -errno;
	/* The TSC's rate, for the spin budgets: over 200 us of the monotonic clock. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t c0 = systrap_rdtsc(), ns;
	do {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ULL + (uint64_t)t1.tv_nsec -
		     (uint64_t)t0.tv_nsec;
	} while (ns < 200000);
	g_systrap.tsc_per_us = (systrap_rdtsc() - c0) * 1000 / ns;
	if (g_systrap.tsc_per_us == 0)
		g_systrap.tsc_per_us = 1;
	int err = make_image();
	if (err < 0)
		return err;
	g_systrap.ready = true;
	log_debug("systrap: stub code at %#lx, regions at %#lx, guest below %#lx",
	          (unsigned long)g_systrap.code, (unsigned long)g_systrap.region_base,
	          (unsigned long)g_systrap.max_addr);
	return 0;
}

/*
 * The factory starts here, confined but for the seccomp filter it must
 * not inherit: no capabilities, the empty root, no_new_privs.
 */
int systrap_prepare_confined(void)
{
	return g_systrap.factory > 0 ? 0 : start_factory();
}

void systrap_layout(struct platform_layout *out)
{
	out->min_addr = 0x10000;
	out->max_addr = g_systrap.max_addr;
	out->vdso_base = g_systrap.vdso_base;
	systrap_patch_layout(out);
}

/* ---- The filter ---- */

/*
 * From the stub code ([code, code_end], by the address after `syscall`):
 * the host calls of stub.c, with clone's flags checked; dup: to the
 * listener; anything else: KILL. From anywhere else: TRAP.
 */
static int build_filter(struct systrap_factory_data *d)
{
	static const int allowed[] = {
		SYS_munmap,       SYS_mprotect,    SYS_mremap,     SYS_madvise, SYS_mincore,
		SYS_msync,        SYS_pread64,     SYS_close,      SYS_read,    SYS_futex,
		SYS_rt_sigreturn, SYS_sigaltstack, SYS_exit_group, SYS_seccomp, SYS_sched_yield,
		SYS_recvmsg, /* a lent fd, from the address space's own lend socket */
	};
	const uint32_t k = ARRAY_SIZE(allowed);
	const uint32_t ip = offsetof(struct seccomp_data, instruction_pointer);
	struct systrap_filter_insn *f = d->filter;
	int n = 0;
#define EMIT(c, t, e, kk)                                                                         \
	do {                                                                                      \
		BUG_ON(n >= SYSTRAP_MAX_FILTER);                                                  \
		f[n++] = (struct systrap_filter_insn){ (uint16_t)(c), (uint8_t)(t), (uint8_t)(e), \
			                               (uint32_t)(kk) };                          \
	} while (0)
#define LOAD(off)         EMIT(BPF_LD | BPF_W | BPF_ABS, 0, 0, off)
#define RET(a)            EMIT(BPF_RET | BPF_K, 0, 0, a)
#define JUMP(op, v, t, e) EMIT(BPF_JMP | (op) | BPF_K, t, e, v)
	BUG_ON((g_systrap.code >> 32) != (g_systrap.code_end >> 32));
	LOAD(offsetof(struct seccomp_data, arch));
	JUMP(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 0);
	RET(SECCOMP_RET_TRAP); /* the i386 ABI: the sentry refuses it */
	/* From outside [code, code_end] (ip is the address after `syscall`): TRAP. */
	LOAD(ip + 4);
	JUMP(BPF_JEQ, g_systrap.code >> 32, 1, 0);
	RET(SECCOMP_RET_TRAP);
	LOAD(ip);
	JUMP(BPF_JGE, (uint32_t)g_systrap.code, 1, 0);
	RET(SECCOMP_RET_TRAP);
	JUMP(BPF_JGT, (uint32_t)g_systrap.code_end, 0, 1);
	RET(SECCOMP_RET_TRAP);
	/* The stub's own calls: each test jumps over the others and the JA to ALLOW. */
	LOAD(offsetof(struct seccomp_data, nr));
	for (uint32_t i = 0; i < k; i++)
		JUMP(BPF_JEQ, allowed[i], k - i, 0);
	EMIT(BPF_JMP | BPF_JA, 0, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_dup, 0, 1);
	RET(SECCOMP_RET_USER_NOTIF); /* a lent fd: answered by the sentry */
	/* mmap only with MAP_FIXED: the sentry always chooses the address. */
	JUMP(BPF_JEQ, SYS_mmap, 0, 4);
	LOAD(offsetof(struct seccomp_data, args[3]));
	EMIT(BPF_JMP | BPF_JSET | BPF_K, 1, 0, MAP_FIXED);
	RET(SECCOMP_RET_KILL_PROCESS);
	RET(SECCOMP_RET_ALLOW);
	/* arch_prctl only to set fs or gs (the application's, which the sentry keeps). */
	JUMP(BPF_JEQ, SYS_arch_prctl, 0, 4);
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, LINUX_ARCH_SET_FS, 1, 0);
	JUMP(BPF_JEQ, LINUX_ARCH_SET_GS, 0, 10); /* to KILL */
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_prctl, 0, 3);
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, PR_SET_PDEATHSIG, 0, 6); /* to KILL */
	RET(SECCOMP_RET_ALLOW);
	JUMP(BPF_JEQ, SYS_clone, 0, 4); /* to KILL */
	LOAD(offsetof(struct seccomp_data, args[0]));
	JUMP(BPF_JEQ, CLONE_PARENT, 1, 0);
	JUMP(BPF_JEQ, CLONE_PARENT | CLONE_VM, 0, 1);
	RET(SECCOMP_RET_ALLOW);
	RET(SECCOMP_RET_KILL_PROCESS);
#undef JUMP
#undef RET
#undef LOAD
#undef EMIT
	d->fprog.len = (uint16_t)n;
	return 0;
}

/*
 * A new stub from the factory, in a new address space, ready in its first
 * trap (READY as a SIGTRAP in slot 0). Returns its context or NULL (logged).
 */
static struct systrap_ctx *new_stub(void)
{
	struct systrap_as *as = systrap_as_alloc();
	if (!as)
		return NULL;
	int slot = systrap_slot_take(as, 0);
	systrap_slot_reset(as, slot);
	pthread_mutex_lock(&g_systrap.listener_mu);
	pid_t pid = -1;
	int err = 0;
	if (write(g_systrap.factory_sock, "n", 1) != 1) {
		err = -errno;
	} else {
		/* The new stub's `dup` asks for its region; its pid is the notification's. */
		struct pollfd p = { .fd = g_systrap.listener, .events = POLLIN };
		err = poll(&p, 1, 10000) == 1 ? 0 : -ETIMEDOUT;
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (err == 0 && ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
			err = -errno;
		if (err == 0) {
			pid = (pid_t)req.pid;
			struct seccomp_notif_addfd addfd = {
				.id = req.id,
				.flags = SECCOMP_ADDFD_FLAG_SEND,
				.srcfd = (uint32_t)as->memfd,
				.newfd_flags = O_CLOEXEC,
			};
			if (req.data.nr != SYS_dup ||
			    ioctl(g_systrap.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0)
				err = -EIO;
		}
	}
	pthread_mutex_unlock(&g_systrap.listener_mu);
	struct systrap_ctx *c = NULL;
	if (err == 0) {
		c = systrap_ctx_new(as, pid, slot);
		err = c ? systrap_wait_event(c) : -ENOMEM;
	}
	if (err == 0 && (!frame_of(c) || msg_of(as, slot)->signo != SIGTRAP))
		err = -EIO;
	/* The exec that takes it lends the program and ld.so at once: its socket is ready. */
	if (err == 0)
		err = systrap_lend_socket(c);
	if (err == 0) {
		/* The mm's reference is the caller's: as_new hands it over with the as. */
		return c;
	}
	log_warn("systrap: a new stub failed: %s", strerror(-err));
	if (c) {
		systrap_kill_stub(c);
		pthread_mutex_lock(&as->mu);
		systrap_ctx_unlink_unlock(c);
		free(c);
	} else if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
	pthread_mutex_lock(&as->mu);
	systrap_as_unref_unlock(as);
	return NULL;
}

/*
 * The pool of ready stubs (the "pre-created stubs"): an exec takes
 * one instead of waiting for the factory, and a thread of the sentry makes
 * the next while the application runs. POOL_SIZE stubs wait, asleep on
 * their futex words, each with its region: an idle sandbox pays memory
 * for them (a few pages each), no CPU.
 */
#define POOL_SIZE 2

static struct {
	pthread_mutex_t mu;
	pthread_cond_t want; /* signalled when a stub was taken */
	struct systrap_ctx *ready[POOL_SIZE];
	int count;
	bool started;
	bool failing; /* the factory failed: no more refills (as_new reports it) */
} g_pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .want = PTHREAD_COND_INITIALIZER };

static void *pool_refill(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g_pool.mu);
	for (;;) {
		while (g_pool.count == POOL_SIZE || g_pool.failing)
			pthread_cond_wait(&g_pool.want, &g_pool.mu);
		pthread_mutex_unlock(&g_pool.mu);
		struct systrap_ctx *c = new_stub();
		pthread_mutex_lock(&g_pool.mu);
		if (c)
			g_pool.ready[g_pool.count++] = c;
		else
			g_pool.failing = true;
	}
	return NULL;
}

/* A ready stub from the pool, or NULL when it is empty; starts the refills. */
static struct systrap_ctx *pool_take(void)
{
	pthread_mutex_lock(&g_pool.mu);
	if (!g_pool.started)
		g_pool.started = systrap_start_thread(pool_refill);
	struct systrap_ctx *c = g_pool.count > 0 ? g_pool.ready[--g_pool.count] : NULL;
	g_pool.failing = false;
	pthread_cond_signal(&g_pool.want);
	pthread_mutex_unlock(&g_pool.mu);
	return c;
}

struct systrap_ctx *systrap_ready_stub(void)
{
	struct systrap_ctx *c = pool_take();
	return c ? c : new_stub();
}
