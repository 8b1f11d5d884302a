/*
 * Patched system calls, the sentry's side (docs/architecture.md 3b,
 * "Patched calls"; the stub's side is stub.c's trampoline).
 *
 * A trap costs a signal frame and an rt_sigreturn (about 2.3 us here,
 * twenty native getpids). Most system calls come from a few sites, each a
 * `mov $nr, %eax; syscall` (b8 nr32 0f 05): glibc's wrappers. Once a site
 * has trapped PATCH_AFTER times, the sentry rewrites it into `jmp *entry`
 * (ff 24 25 entry32), an absolute indirect jump through an entry of the
 * address space's trap table, mapped at PATCH_TABLE (below 2 GiB, for the
 * 32-bit address, and with 0x06 as its third byte: see stub.c's
 * patch_site). The entry (PATCH_ENTRY bytes) holds its own address + 8
 * and the code
 *
 *     lea entry(%rip), %r11
 *     jmp common              ; the table's header
 *   fallback:
 *     mov $nr, %eax
 *     syscall
 *     jmp *ret(%rip)
 *   ret: .quad site + 7
 *
 * and the header checks, without touching the flags, that %gs is a slot
 * of the region (the stub keeps gs_base there while the application's own
 * is 0), then jumps to the slot's trampoline entry, which finds the number
 * and ret in the entry (r11); with any other %gs (the application set its
 * own), it jumps to the entry's fallback, whose `syscall` traps as an
 * unpatched call would (and restarts as one). `syscall` clobbers rcx and
 * r11, so the application holds nothing there.
 *
 * A thread that ran the `mov` before the patch and meets the 0x06 after
 * it faults with SIGILL there; so does a restart (the sentry moves rip
 * back by two bytes) and a jump straight to the old `syscall`.
 * systrap_patch_fixup turns that fault into the system call the thread
 * meant: rax's, when rax holds a plausible number (below 0x1000), or
 * else (a `mov` torn by the patch) it restarts the thread at the jump.
 */
#include "platform/systrap/systrap_impl.h"

#define PATCH_TABLE      0x60000ULL
#define PATCH_TABLE_SIZE 0x10000ULL
#define PATCH_HEADER     128 /* the common code */
#define PATCH_ENTRY      48
#define PATCH_ENTRIES    ((PATCH_TABLE_SIZE - PATCH_HEADER) / PATCH_ENTRY)
#define PATCH_AFTER      3 /* traps from a site before it is patched */
#define PATCH_MAX_NR     0x1000
#define SITE_PROBES      8

_Static_assert((PATCH_TABLE >> 16) == 0x06 && PATCH_TABLE + PATCH_TABLE_SIZE <= 0x70000,
               "every entry's third byte is 0x06");
_Static_assert(SYSTRAP_REGION_SIZE == 1ULL << 25, "the header's shift");
_Static_assert(SYSTRAP_MSG_TRAMP_ENTRY_OFF == 2112, "the header's %gs offset");
_Static_assert(SYSTRAP_PATCH_ENTRY_NR == 21 && SYSTRAP_PATCH_ENTRY_RET == 33 &&
                       SYSTRAP_PATCH_ENTRY_RET + 8 <= PATCH_ENTRY,
               "an entry's layout (systrap_as_patch_syscall)");

/* The table's header (copied into the table; position-independent but for -region_base). */
__asm__(".pushsection .rodata\n"
        "patch_common:\n\t"
        "rdgsbase %rcx\n\t"
        "movabs $0x1122334455667788, %rax\n" /* -region_base */
        "patch_common_base:\n\t"
        "lea (%rcx,%rax), %rcx\n\t"
        "mov $25, %eax\n\t"
        "shrx %rax, %rcx, %rcx\n\t" /* 0 when %gs is in the region */
        "jrcxz 1f\n\t"
        "lea 20(%r11), %rcx\n\t" /* the entry's fallback */
        "jmp *%rcx\n"
        "1:\n\t"
        "jmp *%gs:2112\n" /* the slot's tramp_entry */
        "patch_common_end:\n\t"
        ".popsection\n");
extern const uint8_t patch_common[], patch_common_base[], patch_common_end[];

/* The state of an address space's patching (systrap_as.patch; NULL: none). */
struct systrap_patch {
	bool table_ready; /* the table is writable on the host and has its header */
	unsigned next;    /* the next free entry */
	struct {
		uaddr_t rip; /* the address after the `syscall` */
		uint32_t traps;
	} sites[1024]; /* open addressing, SITE_PROBES probes */
	struct {
		uaddr_t site;
		uint32_t nr;
	} patched[PATCH_ENTRIES]; /* entry i's site, to undo it */
};

/* The 7 bytes (little-endian) of `jmp *entry`, and of `mov $nr, %eax; syscall`. */
static uint64_t jmp_code(uaddr_t entry)
{
	return 0xff | 0x24 << 8 | 0x25 << 16 | (uint64_t)(uint32_t)entry << 24;
}

static uint64_t syscall_code(uint32_t nr)
{
	return 0xb8 | (uint64_t)nr << 8 | 0x0fULL << 40 | 0x05ULL << 48;
}

struct systrap_patch *systrap_patch_new(void)
{
	return calloc(1, sizeof(struct systrap_patch));
}

/* A fork's copy: its memory is the parent's, table and patched sites included. */
void systrap_patch_copy(struct systrap_patch *to, const struct systrap_patch *from)
{
	memcpy(to, from, sizeof(*to));
}

void systrap_patch_layout(struct platform_layout *out)
{
	out->patch_table = g_systrap.patching ? PATCH_TABLE : 0;
	out->patch_table_len = g_systrap.patching ? PATCH_TABLE_SIZE : 0;
}

/* Calls whose sentry side rebuilds the thread (a clone's child, an exec, a sigreturn). */
static bool patchable_nr(uint64_t nr)
{
	switch (nr) {
	case SYS_rt_sigreturn:
	case SYS_clone:
	case SYS_fork:
	case SYS_vfork:
	case SYS_execve:
	case SYS_execveat:
	case SYS_clone3:
		return false;
	default:
		return nr < PATCH_MAX_NR;
	}
}

uaddr_t systrap_ctx_syscall_site(struct platform_ctx *pctx)
{
	struct systrap_ctx *c = to_ctx(pctx);
	struct systrap_patch *p = c->as->patch;
	if (!p || !c->trapped)
		return 0;
	uaddr_t rip = c->regs.rip;
	uint64_t nr = c->regs.orig_rax;
	if (!patchable_nr(nr) || rip < 0x10000 + 7 || rip > g_systrap.max_addr)
		return 0;
	/* Counted under the as's lock: the threads of a process share the table. */
	pthread_mutex_lock(&c->as->mu);
	size_t h = (size_t)((rip * 0x9e3779b97f4a7c15ULL) >> 54), i;
	uint32_t traps = 0;
	for (unsigned k = 0; k < SITE_PROBES; k++) {
		i = (h + k) % ARRAY_SIZE(p->sites);
		if (p->sites[i].rip == rip || p->sites[i].rip == 0) {
			p->sites[i].rip = rip;
			traps = ++p->sites[i].traps;
			break;
		}
	}
	pthread_mutex_unlock(&c->as->mu);
	if (traps != PATCH_AFTER)
		return 0;
	uint8_t code[7];
	if (g_platform_systrap.as_read(&c->as->base, code, rip - 7, sizeof(code)) != 7)
		return 0;
	uint32_t imm;
	memcpy(&imm, code + 1, sizeof(imm));
	if (code[0] != 0xb8 || imm != nr || code[5] != 0x0f || code[6] != 0x05)
		return 0;
	return rip - 7;
}

/* Writes the table's header and makes it writable on the host (not in the mm's view). */
static int table_init(struct systrap_ctx *c)
{
	const uint64_t prot[6] = { PATCH_TABLE, PATCH_TABLE_SIZE,
		                   PROT_READ | PROT_WRITE | PROT_EXEC };
	long r = systrap_stub_call(c, SYS_mprotect, prot);
	if (r != 0)
		return r < 0 ? (int)r : -EIO;
	size_t len = (size_t)(patch_common_end - patch_common);
	BUG_ON(len > PATCH_HEADER);
	uint8_t code[PATCH_HEADER];
	memset(code, 0xcc, sizeof(code));
	memcpy(code, patch_common, len);
	uint64_t neg_base = -(uint64_t)g_systrap.region_base;
	memcpy(code + (patch_common_base - patch_common) - 8, &neg_base, 8);
	ssize_t n = g_platform_systrap.as_write(&c->as->base, PATCH_TABLE, code, sizeof(code));
	return n == (ssize_t)sizeof(code) ? 0 : -EIO;
}

int systrap_as_patch_syscall(struct platform_as *pas, uaddr_t site, uint64_t nr)
{
	struct systrap_as *as = to_as(pas);
	struct systrap_patch *p = as->patch;
	if (!p || p->next >= PATCH_ENTRIES)
		return -ENOSPC;
	struct systrap_ctx *c = systrap_ctx_of(as);
	if (!p->table_ready) {
		int err = table_init(c);
		if (err < 0)
			return err;
		p->table_ready = true;
	}
	unsigned i = p->next++;
	uaddr_t entry = PATCH_TABLE + PATCH_HEADER + (uaddr_t)i * PATCH_ENTRY;
	uint8_t code[PATCH_ENTRY];
	memset(code, 0xcc, sizeof(code));
	uint64_t target = entry + 8, ret = site + 7;
	uint32_t nr32 = (uint32_t)nr;
	int32_t rel = (int32_t)((int64_t)PATCH_TABLE - (int64_t)(entry + 20));
	memcpy(code, &target, 8);
	static const uint8_t lea_r11[7] = { 0x4c, 0x8d, 0x1d, 0xf1, 0xff, 0xff, 0xff };
	memcpy(code + 8, lea_r11, sizeof(lea_r11)); /* lea -15(%rip), %r11: the entry */
	code[15] = 0xe9;                            /* jmp rel32: the header */
	memcpy(code + 16, &rel, 4);
	code[20] = 0xb8; /* fallback: mov $nr, %eax */
	memcpy(code + SYSTRAP_PATCH_ENTRY_NR, &nr32, 4);
	code[25] = 0x0f; /* syscall */
	code[26] = 0x05;
	static const uint8_t jmp_ret[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(code + 27, jmp_ret, sizeof(jmp_ret)); /* jmp *0(%rip): ret, which follows */
	memcpy(code + SYSTRAP_PATCH_ENTRY_RET, &ret, 8);
	if (g_platform_systrap.as_write(pas, entry, code, sizeof(code)) != (ssize_t)sizeof(code))
		return -EIO;
	log_debug("systrap: patching the call %lu at %#lx (entry %#lx)", (unsigned long)nr,
	          (unsigned long)site, (unsigned long)entry);
	const uint64_t args[6] = { site, jmp_code(entry) };
	systrap_queue_or_call(c, SYSTRAP_OP_PATCH, args);
	p->patched[i].site = site;
	p->patched[i].nr = nr32;
	return 0;
}

/*
 * The mm wants the table's addresses for the application: every site
 * still holding its jump gets its `mov $nr, %eax; syscall` back, which is
 * safe only when no other thread can be running patched code (the
 * caller's own is in the sentry, and its trampoline reads nothing more
 * from the table). The stub writes each site; the mm unmaps the table.
 */
int systrap_as_unpatch_syscalls(struct platform_as *pas)
{
	struct systrap_as *as = to_as(pas);
	struct systrap_patch *p = as->patch;
	if (!p)
		return 0;
	struct systrap_ctx *c = systrap_ctx_of(as);
	pthread_mutex_lock(&as->mu);
	bool alone = as->ctxs == c && !c->next;
	pthread_mutex_unlock(&as->mu);
	if (!alone)
		return -EBUSY;
	for (unsigned i = 0; i < p->next; i++) {
		uaddr_t site = p->patched[i].site,
		        entry = PATCH_TABLE + PATCH_HEADER + i * PATCH_ENTRY;
		uint8_t code[8] = { 0 };
		uint64_t now;
		if (!site || g_platform_systrap.as_read(pas, code, site, 7) != 7)
			continue;
		memcpy(&now, code, sizeof(now));
		if (now != jmp_code(entry))
			continue; /* the application rewrote its code since */
		const uint64_t args[6] = { site, syscall_code(p->patched[i].nr) };
		systrap_queue_or_call(c, SYSTRAP_OP_PATCH, args);
	}
	log_debug("systrap: %u patched calls undone: the application maps the trap table's "
	          "addresses",
	          p->next);
	memset(p->patched, 0, sizeof(p->patched));
	p->next = 0;
	p->table_ready = false;
	return 0;
}

/*
 * A SIGILL at rip: when rip is the 0x06 of a patched site (rip - 5 holds
 * `jmp *entry` into the table), the thread meant the site's `syscall`.
 * Returns 1 when the registers now describe that call (rip after it), 2
 * when the thread must rather run the jump again (rip moved back to it),
 * 0 when the fault is the application's.
 */
int systrap_patch_fixup(struct systrap_ctx *c)
{
	if (!c->as->patch || c->regs.rip < 0x10000 + 5 || c->regs.rip > g_systrap.max_addr)
		return 0;
	uint8_t code[7];
	if (g_platform_systrap.as_read(&c->as->base, code, c->regs.rip - 5, sizeof(code)) != 7)
		return 0;
	uint32_t entry;
	memcpy(&entry, code + 3, sizeof(entry));
	if (code[0] != 0xff || code[1] != 0x24 || code[2] != 0x25 ||
	    entry < PATCH_TABLE + PATCH_HEADER || entry >= PATCH_TABLE + PATCH_TABLE_SIZE)
		return 0;
	if ((uint32_t)c->regs.rax < PATCH_MAX_NR) {
		c->regs.orig_rax = (uint32_t)c->regs.rax;
		c->regs.rax = (uint64_t)-ENOSYS;
		c->regs.rip += 2;
		c->regs_state = REGS_DIRTY;
		return 1;
	}
	c->regs.rip -= 5;
	c->regs_state = REGS_DIRTY;
	return 2;
}
