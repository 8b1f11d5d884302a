/*
 * Host signals into the sandbox (sigforward.c).
 *
 * The sandbox is one host process, the sentry (its stubs are in process
 * groups of their own, the gofer too). What the host sends that process is
 * meant for the sandbox: ^C, ^\, ^Z, a new window size and a hangup from
 * its terminal's line discipline, and any signal a client sends it (kill
 * runsc-pid, a supervisor's SIGTERM). sigforward turns each into the
 * sandbox's signal, as Linux would deliver it:
 *
 *   - From the terminal (the host kernel's si_code SI_KERNEL) when the
 *     sandbox's terminal is the sentry's controlling terminal: SIGINT,
 *     SIGQUIT, SIGTSTP and SIGWINCH go to the foreground process group of
 *     the sandbox's terminal (Linux's isig and tty_do_resize); SIGHUP is
 *     the terminal's hangup: its session leader gets SIGHUP and SIGCONT
 *     (tty_hangup); the SIGCONT that comes with a hangup is dropped.
 *   - Anything else goes to the init process, as from a process outside
 *     its pid namespace (si_pid 0): like every pid-namespace init, an
 *     init that has not set a handler for the signal ignores it (so ^C
 *     does not stop `runsc do sleep 9`, as it does not stop `docker run
 *     -t IMAGE sleep 9`).
 *
 * Forwarded: SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
 * SIGSTKFLT, SIGCONT, SIGTSTP, SIGURG, SIGVTALRM, SIGPROF, SIGWINCH,
 * SIGIO, SIGPWR and the real-time signals glibc leaves to applications.
 * Not: SIGKILL and SIGSTOP (they cannot be caught, and act on the sentry
 * itself), the synchronous signals (SIGSEGV, SIGBUS, ... are the
 * sentry's own faults), SIGCHLD (its children are stubs and the gofer),
 * SIGPIPE (ignored: a write to a closed pipe is an EPIPE), SIGTTIN and
 * SIGTTOU (the host's job control of the sentry: a sandbox in the
 * background of the host's terminal stops when it reads it, as a native
 * job does), SIGXCPU and SIGXFSZ (the host's limits on the sentry). A
 * signal the sentry was started with ignored stays ignored, as it would
 * for a program run natively (`nohup runsc do ...`: no SIGHUP; a
 * non-interactive shell's background job: no SIGINT or SIGQUIT).
 */
#ifndef SENTRY_BOOT_SIGFORWARD_H
#define SENTRY_BOOT_SIGFORWARD_H

struct file;
struct kernel;

/*
 * Starts forwarding host signals into k's sandbox: they go to its init
 * process, and those of the terminal to its foreground group once
 * sigforward_set_terminal has named the sandbox's terminal.
 *
 * console_fd (or -1) is the host fd that will be init's stdin. When it is
 * a terminal, it becomes the sentry process's controlling terminal if it
 * is not already (`runsc do` typed at a shell already has it): the sentry
 * leaves its session (setsid) and takes the terminal (TIOCSCTTY), as
 * runc's init does for process.terminal, so that the line discipline's
 * signals come to it. A terminal that cannot be taken (another session's)
 * is logged, and its signals do not reach the sandbox.
 *
 * The forwarded signals are blocked in the calling thread, and a host
 * thread reads them from a signalfd. Preconditions: no other sentry thread
 * exists yet (each one must inherit the mask: one that does not block the
 * signals would take their default action, for the whole sentry), and the
 * sentry is not confined yet (setsid and TIOCSCTTY are not in its
 * allowlist). So the runner calls it right after sandbox_new. Returns 0
 * or -errno.
 */
int sigforward_start(struct kernel *k, int console_fd);

/*
 * console, the init process's stdin, is the sandbox's terminal: the file
 * of the console_fd that sigforward_start took. A no-op when forwarding
 * does not run or did not take a terminal. Call before init starts.
 */
void sigforward_set_terminal(struct file *console);

/*
 * Stops forwarding (before the kernel goes away). The signals stay
 * blocked: one that arrives while the sentry finishes does not end it
 * with another status than the sandbox's.
 */
void sigforward_stop(void);

#endif /* SENTRY_BOOT_SIGFORWARD_H */
