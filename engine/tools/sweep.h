/* pslab sweep FILE [--out DIR] [--jobs N]: the points of a sweep as runs, in
 * parallel, with their table (sweep.csv) and plot; see sweep.c. */
#ifndef PS_SWEEP_H
#define PS_SWEEP_H

int ps_sweep_main(int argc, char **argv);

#endif
