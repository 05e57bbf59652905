/* The SIGINT/SIGTERM handlers (engine/core/interrupt.c) and the message a backend
 * makes of them: a signal is taken once and pokes the wake descriptor, a second
 * one ends the process as if no handler were there, and the INTERRUPT message
 * decodes with the signal as its clock. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cu_main.h"
#include "engine/core/interrupt.h"
#include "engine/ps/msg.h"

static void test_taken_once(void)
{
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    CU_ASSERT_EQUAL(ps_interrupt_install(fds[1]), 0);
    CU_ASSERT_EQUAL(ps_interrupt_take(), 0);
    raise(SIGTERM);
    uint64_t v = 0;
    CU_ASSERT_EQUAL(read(fds[0], &v, sizeof v), (ssize_t)sizeof v);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(ps_interrupt_signal(), SIGTERM);
    CU_ASSERT_EQUAL(ps_interrupt_take(), SIGTERM);
    CU_ASSERT_EQUAL(ps_interrupt_take(), 0);       /* once */
    CU_ASSERT_EQUAL(ps_interrupt_signal(), SIGTERM); /* it stays */
    CU_ASSERT_STRING_EQUAL(ps_interrupt_name(SIGINT), "SIGINT");
    CU_ASSERT_STRING_EQUAL(ps_interrupt_name(SIGTERM), "SIGTERM");
    ps_interrupt_uninstall();
    close(fds[0]);
    close(fds[1]);
}

/* In a child: the first Ctrl-C is only recorded, the second kills. */
static void test_second_signal_kills(void)
{
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        ps_interrupt_install(-1);
        raise(SIGINT);
        if (ps_interrupt_take() != SIGINT)
            _exit(3);
        raise(SIGINT);
        _exit(4); /* survived the second */
    }
    int st = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
}

static void test_message(void)
{
    size_t len = 0;
    void *buf = ps_msg_new_interrupt(7, SIGINT, &len);
    CU_ASSERT_FATAL(buf != NULL);
    ps_msg m;
    ps_err err;
    CU_ASSERT_EQUAL(ps_msg_decode(buf, len, &m, &err), PS_OK);
    CU_ASSERT_EQUAL(m.type, PS_MSG_INTERRUPT);
    CU_ASSERT_EQUAL(m.sender, 7);
    CU_ASSERT_EQUAL(m.clock, SIGINT);
    CU_ASSERT_STRING_EQUAL(ps_msg_type_name(m.type), "interrupt");
    free(buf);
    /* the servers' interrupted reply: a pull reply with no keys and the flag */
    ps_msg_writer w;
    CU_ASSERT_EQUAL(ps_msg_build(&w, PS_MSG_PULL_REPLY, PS_MSG_F_INTERRUPTED, 1, 0, 5, 0, 1, 0,
                                 &err), PS_OK);
    CU_ASSERT_EQUAL(ps_msg_decode(w.buf, w.len, &m, &err), PS_OK);
    CU_ASSERT(m.flags & PS_MSG_F_INTERRUPTED);
    free(w.buf);
}

static CU_TestInfo tests[] = {
    {"a signal is taken once and wakes the loop", test_taken_once},
    {"a second signal ends the process", test_second_signal_kills},
    {"the interrupt message and reply", test_message},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"interrupt", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
