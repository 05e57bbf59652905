/* SimGrid platform generation: N hosts in one Cluster zone, each with a disk and a
 * private split-duplex link to a shared backbone, with seeded speed heterogeneity
 * and a chosen fraction of slow hosts (stragglers by construction). */
#ifndef PS_PLATFORM_H
#define PS_PLATFORM_H

#include <stdint.h>

#include "engine/core/err.h"

/* Hosts above this would take minutes and gigabytes for SimGrid to load. */
#define PS_PLATFORM_MAX_HOSTS 1000000

typedef struct ps_platform_params {
    int hosts;
    double speed;         /* flop/s */
    double bandwidth;     /* B/s, of each host's private link */
    double latency;       /* s, of each private link and of the backbone */
    double speed_spread;  /* host speed uniform in speed*(1±spread) */
    double slow_fraction; /* this fraction of hosts (chosen by seed) ... */
    double slow_factor;   /* ... runs slow_factor times slower */
    double disk_read_bw, disk_write_bw; /* B/s */
    int cores;            /* per host, each of `speed` */
    uint64_t seed;
    /* 0: every host has a private link to the backbone. K > 0: only hosts 0..K-1
     * have one, without a backbone, and it carries the latency of a whole path
     * (3 x latency); other hosts' NICs are not modelled. Flows to different servers
     * then share no link, which keeps SimGrid's bandwidth-sharing system in small
     * independent parts: the scale mode of bench/scale.sh. */
    int linked_hosts;
} ps_platform_params;

/* 1 host of 1 Gflop/s, 1.25 GB/s (10 Gb/s) links with 50 us latency, 200/100 MB/s
 * disks, homogeneous; callers set hosts and whatever else they vary. */
void ps_platform_defaults(ps_platform_params *p);

/* Checks every field; the message names the field and its CLI option. */
int ps_platform_check(const ps_platform_params *p, ps_err *err);

/* The speed of every host (flop/s) as the generated file states it, in host order;
 * speeds must hold p->hosts values. Exposed so that a run can report which hosts
 * are slow without parsing XML back. */
int ps_platform_speeds(const ps_platform_params *p, double *speeds, ps_err *err);

/* Writes the platform XML to path, atomically (temporary file, then rename). The
 * same params always give a byte-identical file. */
int ps_platform_write(const ps_platform_params *p, const char *path, ps_err *err);

/* `pslab platform --hosts N ... -o FILE`; argv[0] is the subcommand name. Returns
 * the process exit code (0 ok, 1 failure, 2 usage error). */
int ps_platform_main(int argc, char **argv);

/* Loads path with SimGrid in a child process, so that a malformed file gives an
 * error naming the file and line instead of aborting this process; then checks
 * what a run of `nodes` nodes (the first `servers` of them servers) needs of it:
 * hosts of positive speed, disks of positive bandwidths, and a route of links of
 * positive bandwidth from each node to each server and back. nodes = 0: the load
 * only. */
int ps_platform_validate(const char *path, int nodes, int servers, ps_err *err);

/* Starts SimGrid with argv (argv[0] the program, then --cfg=... and --log=...) in a
 * child process: an option SimGrid refuses is an error naming it, before the run. */
int ps_sim_options_validate(int argc, char **argv, ps_err *err);

#endif
