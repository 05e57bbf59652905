/* Platform generator: writes a SimGrid 3.32 platform (DTD 4.1) with one Cluster
 * zone of explicit hosts, because <cluster> tags cannot hold disks. Numbers are
 * printed with %.17g so that the file states the drawn values exactly. */
#include "sim/platform.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/rng.h"

/* The backbone is not meant to be the bottleneck of a single host pair, but it is
 * shared by all, so many-to-one traffic (workers to a server) still contends. */
#define PS_BACKBONE_FACTOR 10.0

void ps_platform_defaults(ps_platform_params *p)
{
    memset(p, 0, sizeof *p);
    p->hosts = 1;
    p->speed = 1e9;
    p->bandwidth = 1.25e9;
    p->latency = 50e-6;
    p->speed_spread = 0.0;
    p->slow_fraction = 0.0;
    p->slow_factor = 1.0;
    p->disk_read_bw = 200e6;
    p->disk_write_bw = 100e6;
    p->cores = 1;
    p->seed = 1;
}

static int check_positive(double v, const char *field, const char *opt, ps_err *err)
{
    if (!isfinite(v) || v <= 0)
        return ps_err_set(err, "%s (%s) must be a positive number, got %.17g", field, opt, v);
    return PS_OK;
}

static int check_range(double v, double lo, double hi, int hi_open, const char *field,
                       const char *opt, ps_err *err)
{
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
        return ps_err_set(err, "%s (%s) must be in [%g, %g%c, got %.17g", field, opt, lo, hi,
                          hi_open ? ')' : ']', v);
    return PS_OK;
}

int ps_platform_check(const ps_platform_params *p, ps_err *err)
{
    if (p->hosts < 1 || p->hosts > PS_PLATFORM_MAX_HOSTS)
        return ps_err_set(err, "hosts (--hosts) must be in [1, %d], got %d",
                          PS_PLATFORM_MAX_HOSTS, p->hosts);
    if (check_positive(p->speed, "speed", "--speed", err) ||
        check_positive(p->bandwidth, "bandwidth", "--bandwidth", err) ||
        check_positive(p->disk_read_bw, "disk_read_bw", "--disk-read", err) ||
        check_positive(p->disk_write_bw, "disk_write_bw", "--disk-write", err))
        return PS_ERR;
    if (p->cores < 1 || p->cores > 1024)
        return ps_err_set(err, "cores (--cores) must be in [1, 1024], got %d", p->cores);
    if (p->linked_hosts < 0 || p->linked_hosts > p->hosts)
        return ps_err_set(err, "linked hosts (--linked-hosts) must be in 0..%d, got %d", p->hosts,
                          p->linked_hosts);
    if (!isfinite(p->latency) || p->latency < 0)
        return ps_err_set(err, "latency (--latency) must be a number >= 0, got %.17g",
                          p->latency);
    /* spread 1 would allow a host of speed 0, which SimGrid cannot run. */
    if (check_range(p->speed_spread, 0, 1, 1, "speed_spread", "--speed-spread", err) ||
        check_range(p->slow_fraction, 0, 1, 0, "slow_fraction", "--slow-fraction", err) ||
        check_range(p->slow_factor, 1, 1e6, 0, "slow_factor", "--slow-factor", err))
        return PS_ERR;
    return PS_OK;
}

/* Marks exactly round(fraction * hosts) hosts as slow with a partial Fisher-Yates
 * shuffle, so the count is exact and the choice depends only on the seed. */
static int pick_slow(int n, double fraction, ps_rng *rng, char *slow, ps_err *err)
{
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!idx)
        return ps_err_set(err, "out of memory for %d hosts", n);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    int k = (int)llround(fraction * n);
    for (int i = 0; i < k; i++) {
        int j = i + (int)ps_rng_below(rng, (uint64_t)(n - i));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        slow[idx[i]] = 1;
    }
    free(idx);
    return PS_OK;
}

int ps_platform_speeds(const ps_platform_params *p, double *speeds, ps_err *err)
{
    if (ps_platform_check(p, err))
        return PS_ERR;
    char *slow = calloc((size_t)p->hosts, 1);
    if (!slow)
        return ps_err_set(err, "out of memory for %d hosts", p->hosts);
    ps_rng rng;
    ps_rng_init(&rng, p->seed, PS_STREAM_PLATFORM);
    /* One draw per host even without spread, so that the slow hosts chosen for a
     * seed do not change when only the spread does. */
    for (int i = 0; i < p->hosts; i++)
        speeds[i] = p->speed * (1.0 + p->speed_spread * (2.0 * ps_rng_unit(&rng) - 1.0));
    if (pick_slow(p->hosts, p->slow_fraction, &rng, slow, err)) {
        free(slow);
        return PS_ERR;
    }
    for (int i = 0; i < p->hosts; i++)
        if (slow[i])
            speeds[i] /= p->slow_factor;
    free(slow);
    return PS_OK;
}

static void write_header(FILE *f, const ps_platform_params *p)
{
    fputs("<?xml version='1.0'?>\n"
          "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n",
          f);
    /* The parameters go into the file so that it documents how to regenerate it. */
    fprintf(f,
            "<!-- pslab platform: hosts=%d speed=%.17g bandwidth=%.17g latency=%.17g "
            "speed_spread=%.17g slow_fraction=%.17g slow_factor=%.17g "
            "disk_read_bw=%.17g disk_write_bw=%.17g seed=%llu linked_hosts=%d -->\n",
            p->hosts, p->speed, p->bandwidth, p->latency, p->speed_spread, p->slow_fraction,
            p->slow_factor, p->disk_read_bw, p->disk_write_bw, (unsigned long long)p->seed,
            p->linked_hosts);
    if (p->cores > 1)
        fprintf(f, "<!-- cores=%d -->\n", p->cores);
    fputs("<platform version=\"4.1\">\n  <zone id=\"cluster\" routing=\"Cluster\">\n", f);
}

/* A SPLITDUPLEX link "linkI" becomes two SimGrid links linkI_UP and linkI_DOWN, so
 * a host's sends and receives do not share bandwidth. */
static void write_host(FILE *f, const ps_platform_params *p, int i, double speed)
{
    int linked = p->linked_hosts == 0 || i < p->linked_hosts;
    double latency = p->linked_hosts ? 3 * p->latency : p->latency;
    if (p->cores > 1) /* one core is SimGrid's default, and the files stay as they were */
        fprintf(f, "    <host id=\"host%d\" speed=\"%.17gf\" core=\"%d\">\n", i, speed, p->cores);
    else
        fprintf(f, "    <host id=\"host%d\" speed=\"%.17gf\">\n", i, speed);
    fprintf(f, "      <disk id=\"disk\" read_bw=\"%.17gBps\" write_bw=\"%.17gBps\"/>\n",
            p->disk_read_bw, p->disk_write_bw);
    fputs("    </host>\n", f);
    if (!linked)
        return;
    fprintf(f,
            "    <link id=\"link%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
            "sharing_policy=\"SPLITDUPLEX\"/>\n",
            i, p->bandwidth, latency);
    fprintf(f, "    <host_link id=\"host%d\" up=\"link%d_UP\" down=\"link%d_DOWN\"/>\n", i, i,
            i);
}

static void write_footer(FILE *f, const ps_platform_params *p)
{
    if (!p->linked_hosts)
        fprintf(f, "    <backbone id=\"backbone\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n",
            p->bandwidth * PS_BACKBONE_FACTOR, p->latency);
    fputs("  </zone>\n</platform>\n", f);
}

static int write_all(FILE *f, const ps_platform_params *p, const double *speeds)
{
    write_header(f, p);
    for (int i = 0; i < p->hosts; i++)
        write_host(f, p, i, speeds[i]);
    write_footer(f, p);
    return ferror(f) ? PS_ERR : PS_OK;
}

/* Opens a temporary file next to path (same file system, so rename is atomic). */
static FILE *open_temp(const char *path, char *tmp, size_t tmp_len, ps_err *err)
{
    if ((size_t)snprintf(tmp, tmp_len, "%s.tmp.XXXXXX", path) >= tmp_len) {
        ps_err_set(err, "%s: path too long", path);
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ps_err_set(err, "%s: cannot create a temporary file: %s", path, strerror(errno));
        return NULL;
    }
    (void)fchmod(fd, 0644); /* mkstemp makes 0600; the file is meant to be shared */
    FILE *f = fdopen(fd, "w");
    if (!f) {
        ps_err_set(err, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
    }
    return f;
}

static int write_file(const ps_platform_params *p, const double *speeds, const char *path,
                      ps_err *err)
{
    char tmp[4096];
    FILE *f = open_temp(path, tmp, sizeof tmp, err);
    if (!f)
        return PS_ERR;
    int bad = write_all(f, p, speeds);
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = PS_ERR;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = PS_ERR;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        return ps_err_set(err, "%s: write failed: %s", path, strerror(saved));
    }
    return PS_OK;
}

int ps_platform_write(const ps_platform_params *p, const char *path, ps_err *err)
{
    if (ps_platform_check(p, err))
        return PS_ERR;
    double *speeds = malloc((size_t)p->hosts * sizeof *speeds);
    if (!speeds)
        return ps_err_set(err, "out of memory for %d hosts", p->hosts);
    int rc = ps_platform_speeds(p, speeds, err);
    if (rc == PS_OK)
        rc = write_file(p, speeds, path, err);
    free(speeds);
    return rc;
}
