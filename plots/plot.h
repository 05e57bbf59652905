/* Convergence plots of run directories (metrics.csv + summary.txt) through a
 * gnuplot pipe: loss against time and iteration, quality measure against time and
 * iteration, one series per run, written as PNG and SVG. */
#ifndef PS_PLOT_H
#define PS_PLOT_H

#include "engine/core/err.h"

/* Plots the runs as series: loss vs time and loss vs iteration (and accuracy vs
 * time and iteration), writing <out_prefix>.png and <out_prefix>.svg. gnuplot is
 * driven through popen (command "gnuplot", or $PSLAB_GNUPLOT when set); data is
 * passed inline as datablocks so paths with spaces are safe. Each series is named
 * by the run's summary.txt ("name: ..."), else by the directory's basename. */
int ps_plot_runs(const char *const *run_dirs, int n_runs, const char *out_prefix,
                 const char *title, ps_err *err);

/* `pslab plot RUN_DIR... [-o PREFIX] [--title T]`; argv[0] is the subcommand name.
 * Default prefix: <first run dir>/convergence. Prints the written paths on stdout;
 * returns the process exit code (0 ok, 1 failure, 2 usage error). */
int ps_plot_main(int argc, char **argv);

#endif
