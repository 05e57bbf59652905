/* Signal handlers that ask the run to stop; see interrupt.h. Only async-signal-safe
 * calls in the handler: stores to sig_atomic_t, write, sigaction, raise. */
#define _POSIX_C_SOURCE 200809L
#include "engine/core/interrupt.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
volatile sig_atomic_t ps_interrupt_pending;
static volatile sig_atomic_t wake_fd = -1;

static void interrupt_handler(int sig)
{
    if (got_signal) { /* the second: stop now */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
    ps_interrupt_pending = sig;
    if (wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(wake_fd, &one, sizeof one);
        (void)w;
    }
}

int ps_interrupt_install(int fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = interrupt_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* blocking calls go on; the backend's poll notices */
    got_signal = ps_interrupt_pending = 0;
    wake_fd = fd;
    if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
        return -1;
    return 0;
}

void ps_interrupt_uninstall(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    wake_fd = -1;
}

int ps_interrupt_signal(void) { return got_signal; }

const char *ps_interrupt_name(int sig)
{
    static char other[32];
    if (sig == SIGINT)
        return "SIGINT";
    if (sig == SIGTERM)
        return "SIGTERM";
    snprintf(other, sizeof other, "signal %d", sig);
    return other;
}
