/* `pslab check RUN_DIR`: reads a traced run (config.ini and trace/, see trace.h)
 * and verifies that the consistency model's rule held for every pull served and
 * that no pushed update was lost. */
#ifndef PS_CHECK_H
#define PS_CHECK_H

#include <stdio.h>

#include "engine/core/err.h"

/* Checks the run in dir, writing each violation (naming the trace file:line and the
 * pull) to `report`, at most max_report of them, and a one-line verdict to `out`.
 * Returns 0 when every rule holds, 1 on violations, PS_ERR (with err) when the run
 * cannot be read. */
int ps_check_run(const char *dir, int max_report, FILE *out, FILE *report, ps_err *err);

/* The subcommand; argv[0] is "check". Exit code: 0 ok, 1 violations, 2 usage or
 * I/O error. */
int ps_check_main(int argc, char **argv);

#endif
