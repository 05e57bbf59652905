/* Ctrl-C and SIGTERM as a request to stop the run cleanly. The handler only
 * records the signal and pokes a descriptor the backend polls; the backend then
 * sends the coordinator one PS_MSG_INTERRUPT (backend.h). A second signal ends
 * the process at once, as if no handler were installed. */
#ifndef PS_INTERRUPT_H
#define PS_INTERRUPT_H

/* Installs the handlers for SIGINT and SIGTERM; each signal writes an eventfd
 * count of 1 to wake_fd (< 0: none) so that a loop blocked in epoll wakes. */
int ps_interrupt_install(int wake_fd);
/* Restores the default handlers (a run has ended: nothing is left to stop). */
void ps_interrupt_uninstall(void);
/* The signal received since the last call, once; 0 when none. Inline: the sim
 * backend asks on every message. */
#include <signal.h>
extern volatile sig_atomic_t ps_interrupt_pending;
static inline int ps_interrupt_take(void)
{
    int sig = ps_interrupt_pending;
    if (sig)
        ps_interrupt_pending = 0;
    return sig;
}
/* The first signal received since install, 0 when none (it stays). */
int ps_interrupt_signal(void);
/* "SIGINT", "SIGTERM" or "signal N". */
const char *ps_interrupt_name(int sig);

#endif
