/*
 * The stub: the only code of the sentry that runs in a stub process.
 *
 * The sentry copies [runsc_stub_start, runsc_stub_end) to a code page
 * above the guest's address range and writes a data page right after it
 * (struct stub_data in host_stub.c). A new stub process (a fork of a
 * sentry thread) jumps to runsc_stub_start, which, using no stack:
 *   1. unmaps every range listed in the data page: all of the sentry's
 *      memory except the stub pages and the vDSO;
 *   2. installs the seccomp filter from the data page, which kills the
 *      process on any system call except the memory operations made from
 *      runsc_stub_gadget, with a user-notification listener (its fd 0,
 *      which the tracer copies with pidfd_getfd and then has it close);
 *   3. stops with int3 for its tracer.
 * From then on the tracer runs application code with PTRACE_SYSEMU, and
 * injects memory operations by pointing rip at the gadget: `syscall; int3`.
 */
	.section .rodata.runsc_stub, "a"
	.balign 4096
	.globl runsc_stub_start
	.globl runsc_stub_gadget
	.globl runsc_stub_end
runsc_stub_start:
.Lstart:
	lea .Lstart+4096(%rip), %rbx	/* the data page */
	mov 0(%rbx), %r12		/* stub_data.nranges */
	lea 24(%rbx), %r13		/* stub_data.ranges */
1:	test %r12, %r12
	jz 2f
	mov $11, %eax			/* munmap(start, len) */
	mov 0(%r13), %rdi
	mov 8(%r13), %rsi
	syscall
	test %rax, %rax
	jnz 9f
	add $16, %r13
	dec %r12
	jmp 1b
2:	mov $317, %eax			/* seccomp(SECCOMP_SET_MODE_FILTER, */
	mov $1, %edi
	mov $8, %esi			/*   SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog) */
	lea 8(%rbx), %rdx
	syscall
	test %rax, %rax			/* the listener's fd: 0, the only one open */
	jnz 9f
	/* Leave no sentry values in registers for the application to see. */
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	int3				/* ready */
	ud2
9:	mov $231, %eax			/* exit_group(127): the stub failed to set up */
	mov $127, %edi
	syscall
	ud2

	.balign 16
runsc_stub_gadget:
	syscall
	int3
	ud2
runsc_stub_end:

	.section .note.GNU-stack, "", @progbits
