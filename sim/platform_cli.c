/* `pslab platform`: the command line over ps_platform_write. Numbers take SI
 * suffixes (1.25G, 50u) because platform values span fifteen orders of magnitude;
 * every bad or out-of-range value is an error naming its option. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/platform.h"

static const char usage[] =
    "usage: pslab platform --hosts N -o FILE [options]\n"
    "Writes a SimGrid platform: N hosts host0..hostN-1, each with a disk and a private\n"
    "split-duplex link to a shared backbone (10x the host bandwidth).\n"
    "\n"
    "  --hosts N            number of hosts, 1..1000000 (required)\n"
    "  -o, --output FILE    where to write the XML (required)\n"
    "  --speed F            host speed in flop/s (default 1G)\n"
    "  --bandwidth B        private link bandwidth in bytes/s (default 1.25G)\n"
    "  --latency S          link latency in seconds (default 50u)\n"
    "  --speed-spread X     host speed uniform in speed*(1+-X), 0 <= X < 1 (default 0)\n"
    "  --slow-fraction X    fraction of hosts made slow, 0..1 (default 0)\n"
    "  --slow-factor X      slow hosts run X times slower, X >= 1 (default 1)\n"
    "  --linked-hosts K     only hosts 0..K-1 get a network link, with the whole path's\n"
    "                       latency, and no backbone (0 = all hosts, the default)\n"
    "  --disk-read B        disk read bandwidth in bytes/s (default 200M)\n"
    "  --disk-write B       disk write bandwidth in bytes/s (default 100M)\n"
    "  --cores N            cores of each host (default 1)\n"
    "  --seed S             seed for the heterogeneity draws (default 1)\n"
    "  -h, --help           this text\n"
    "\n"
    "Numbers accept the suffixes n u m k K M G T P (powers of 1000): 1.25G, 50u.\n"
    "The same options always give a byte-identical file.\n";

/* Parses a number with an optional SI suffix; 'm' is milli and 'M' mega, as in SI.
 * The suffix is rewritten as a decimal exponent and parsed again, so "20u" is the
 * same double as "20e-6" (20 * 1e-6 is not). */
static int parse_si(const char *s, double *out)
{
    static const char suffix[] = "numkKMGTP";
    static const char *const exponent[] = {"e-9", "e-6", "e-3", "e3", "e3",
                                           "e6",  "e9",  "e12", "e15"};
    char *end, buf[128];
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE)
        return PS_ERR;
    if (*end) {
        const char *hit = strchr(suffix, *end);
        const char *exp = strpbrk(s, "eExXpP"); /* "1e3k" or hex: no suffix allowed */
        size_t n = (size_t)(end - s);
        if (!hit || end[1] || (exp && exp < end) || n + 4 >= sizeof buf)
            return PS_ERR;
        memcpy(buf, s, n);
        strcpy(buf + n, exponent[hit - suffix]);
        errno = 0;
        v = strtod(buf, &end);
        if (*end || errno == ERANGE)
            return PS_ERR;
    }
    if (!isfinite(v))
        return PS_ERR;
    *out = v;
    return PS_OK;
}

typedef enum { OPT_INT, OPT_REAL, OPT_SEED, OPT_PATH } opt_kind;

typedef struct opt {
    const char *name;
    opt_kind kind;
    void *dst;
} opt;

static int set_int(const char *name, const char *val, int *dst, ps_err *err)
{
    double v;
    if (parse_si(val, &v) || v != floor(v) || fabs(v) > 2e9)
        return ps_err_set(err, "%s: expected an integer, got '%s'", name, val);
    *dst = (int)v;
    return PS_OK;
}

static int set_seed(const char *name, const char *val, uint64_t *dst, ps_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 10);
    if (end == val || *end || errno == ERANGE || strchr(val, '-'))
        return ps_err_set(err, "%s: expected an unsigned integer, got '%s'", name, val);
    *dst = (uint64_t)v;
    return PS_OK;
}

static int set_value(const opt *o, const char *val, ps_err *err)
{
    switch (o->kind) {
    case OPT_INT:
        return set_int(o->name, val, o->dst, err);
    case OPT_SEED:
        return set_seed(o->name, val, o->dst, err);
    case OPT_PATH:
        *(const char **)o->dst = val;
        return PS_OK;
    case OPT_REAL:
        if (parse_si(val, o->dst))
            return ps_err_set(err, "%s: expected a number (SI suffix allowed), got '%s'",
                              o->name, val);
        return PS_OK;
    }
    return ps_err_set(err, "%s: unhandled option kind", o->name);
}

static const opt *find_opt(const opt *opts, const char *name, size_t len)
{
    for (; opts->name; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

/* Accepts "--name value" and "--name=value". */
static int parse_args(int argc, char **argv, const opt *opts, ps_err *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t len = eq && a[0] == '-' ? (size_t)(eq - a) : strlen(a);
        const opt *o = find_opt(opts, a, len);
        if (!o)
            return ps_err_set(err, "unknown option '%s' (see pslab platform --help)", a);
        const char *val = eq && len < strlen(a) ? eq + 1 : NULL;
        if (!val && i + 1 >= argc)
            return ps_err_set(err, "%s: missing value", o->name);
        if (set_value(o, val ? val : argv[++i], err))
            return PS_ERR;
    }
    return PS_OK;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

static int check_required(const ps_platform_params *p, const char *out, ps_err *err)
{
    if (p->hosts == INT_MIN)
        return ps_err_set(err, "--hosts is required (see pslab platform --help)");
    if (!out)
        return ps_err_set(err, "-o FILE is required (see pslab platform --help)");
    return PS_OK;
}

int ps_platform_main(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    ps_platform_params p;
    ps_platform_defaults(&p);
    p.hosts = INT_MIN; /* required; set_int never yields INT_MIN, so it marks "not given" */
    const char *out = NULL;
    const opt opts[] = {
        {"--hosts", OPT_INT, &p.hosts},           {"--speed", OPT_REAL, &p.speed},
        {"--bandwidth", OPT_REAL, &p.bandwidth},  {"--latency", OPT_REAL, &p.latency},
        {"--speed-spread", OPT_REAL, &p.speed_spread},
        {"--slow-fraction", OPT_REAL, &p.slow_fraction},
        {"--slow-factor", OPT_REAL, &p.slow_factor},
        {"--linked-hosts", OPT_INT, &p.linked_hosts},
        {"--disk-read", OPT_REAL, &p.disk_read_bw},
        {"--disk-write", OPT_REAL, &p.disk_write_bw},
        {"--cores", OPT_INT, &p.cores},
        {"--seed", OPT_SEED, &p.seed},            {"-o", OPT_PATH, &out},
        {"--output", OPT_PATH, &out},             {NULL, OPT_INT, NULL},
    };
    ps_err err = {{0}};
    if (parse_args(argc, argv, opts, &err) || check_required(&p, out, &err) ||
        ps_platform_check(&p, &err)) {
        fprintf(stderr, "pslab platform: %s\n", err.msg);
        return 2;
    }
    if (ps_platform_write(&p, out, &err)) {
        fprintf(stderr, "pslab platform: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", out);
    return 0;
}
