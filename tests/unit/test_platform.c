/* Platform generator: byte-identical output for the same params, the promised
 * heterogeneity (exact slow count, speeds in bounds), option checking, and a
 * 10,000-host file that SimGrid itself loads with the values we wrote. */
#include <dirent.h>
#include <math.h>
#include <simgrid/disk.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/platform.h"
#include "tests/unit/cu_main.h"

static char dir[] = "/tmp/ps_test_platform_XXXXXX";

static int make_dir(void) { return mkdtemp(dir) ? 0 : -1; }

static int remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    return rmdir(dir);
}

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* Reads a whole file; the caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    *len = (size_t)n;
    fclose(f);
    return buf;
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* The host speeds as written: every speed="...f" attribute, in file order. */
static int scan_speeds(const char *path, double *out, int max)
{
    size_t len;
    char *xml = slurp(path, &len);
    int n = 0;
    for (char *p = xml; p && (p = strstr(p, " speed=\"")) && n < max; n++) {
        char *end;
        out[n] = strtod(p + 8, &end);
        CU_ASSERT(*end == 'f');
        p = end;
    }
    free(xml);
    return n;
}

static ps_platform_params hetero(int hosts)
{
    ps_platform_params p;
    ps_platform_defaults(&p);
    p.hosts = hosts;
    p.speed_spread = 0.2;
    p.slow_fraction = 0.1;
    p.slow_factor = 5;
    p.seed = 42;
    return p;
}

static void test_same_params_same_bytes(void)
{
    char a[512], b[512], c[512];
    path_of(a, sizeof a, "a.xml");
    path_of(b, sizeof b, "b.xml");
    path_of(c, sizeof c, "c.xml");
    ps_platform_params p = hetero(200);
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, a, &err), PS_OK);
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, b, &err), PS_OK);
    CU_ASSERT(same_file(a, b));
    p.seed = 43;
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, c, &err), PS_OK);
    CU_ASSERT(!same_file(a, c));
}

static void test_speeds_as_promised(void)
{
    enum { N = 1000 };
    char path[512];
    path_of(path, sizeof path, "stats.xml");
    ps_platform_params p = hetero(N);
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, path, &err), PS_OK);
    static double got[N + 1], want[N];
    CU_ASSERT_EQUAL_FATAL(scan_speeds(path, got, N + 1), N);
    CU_ASSERT_EQUAL_FATAL(ps_platform_speeds(&p, want, &err), PS_OK);
    int slow = 0, fast = 0;
    double fast_sum = 0;
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(got[i], want[i]); /* %.17g round-trips exactly */
        if (got[i] < p.speed * (1 - p.speed_spread)) {
            slow++;
            CU_ASSERT(got[i] >= p.speed * 0.8 / 5 && got[i] <= p.speed * 1.2 / 5);
        } else {
            fast++;
            fast_sum += got[i];
            CU_ASSERT(got[i] <= p.speed * (1 + p.speed_spread));
        }
    }
    CU_ASSERT_EQUAL(slow, 100); /* exactly round(0.1 * 1000) */
    /* uniform on ±20%: the mean of 900 is within 0.4% of speed at 5 sigma */
    CU_ASSERT(fabs(fast_sum / fast / p.speed - 1) < 0.02);
}

static int count_slow(double fraction, int hosts)
{
    ps_platform_params p;
    ps_platform_defaults(&p);
    p.hosts = hosts;
    p.slow_fraction = fraction;
    p.slow_factor = 2;
    double *s = malloc((size_t)hosts * sizeof *s);
    ps_err err;
    int n = -1;
    if (s && ps_platform_speeds(&p, s, &err) == PS_OK) {
        n = 0;
        for (int i = 0; i < hosts; i++)
            n += s[i] < p.speed;
    }
    free(s);
    return n;
}

static void test_slow_count_rounds(void)
{
    CU_ASSERT_EQUAL(count_slow(0.25, 10), 3); /* round(2.5) */
    CU_ASSERT_EQUAL(count_slow(0.0, 10), 0);
    CU_ASSERT_EQUAL(count_slow(1.0, 10), 10);
    CU_ASSERT_EQUAL(count_slow(0.5, 1), 1);
}

static void expect_bad(ps_platform_params p, const char *option)
{
    ps_err err = {{0}};
    char path[512];
    path_of(path, sizeof path, "bad.xml");
    CU_ASSERT_EQUAL(ps_platform_write(&p, path, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, option));
    CU_ASSERT_EQUAL(access(path, F_OK), -1); /* nothing written */
}

static void test_out_of_range_names_option(void)
{
    ps_platform_params p = hetero(4), q;
    q = p, q.hosts = 0, expect_bad(q, "--hosts");
    q = p, q.speed = -1, expect_bad(q, "--speed");
    q = p, q.bandwidth = 0, expect_bad(q, "--bandwidth");
    q = p, q.latency = NAN, expect_bad(q, "--latency");
    q = p, q.speed_spread = 1, expect_bad(q, "--speed-spread");
    q = p, q.slow_fraction = 1.5, expect_bad(q, "--slow-fraction");
    q = p, q.slow_factor = 0.5, expect_bad(q, "--slow-factor");
    q = p, q.disk_read_bw = 0, expect_bad(q, "--disk-read");
    q = p, q.disk_write_bw = INFINITY, expect_bad(q, "--disk-write");
}

static void test_failed_write_leaves_nothing(void)
{
    ps_platform_params p = hetero(4);
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_platform_write(&p, "/nonexistent-dir/p.xml", &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent-dir/p.xml"));
    /* a successful write leaves no temporary file next to the result */
    char path[512];
    path_of(path, sizeof path, "clean.xml");
    CU_ASSERT_EQUAL(ps_platform_write(&p, path, &err), PS_OK);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        CU_ASSERT_PTR_NULL(strstr(e->d_name, ".tmp."));
    if (d)
        closedir(d);
}

static int cli(int argc, char **argv) { return ps_platform_main(argc, argv); }

static void test_cli_si_suffixes(void)
{
    char lib[512], out[512];
    path_of(lib, sizeof lib, "lib.xml");
    path_of(out, sizeof out, "cli.xml");
    ps_platform_params p = hetero(8);
    p.speed = 2e9;
    p.latency = 20e-6;
    p.disk_read_bw = 500e6;
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, lib, &err), PS_OK);
    char *argv[] = {"platform", "--hosts", "8", "--speed", "2G", "--latency=20u",
                    "--speed-spread", "0.2", "--slow-fraction", "0.1", "--slow-factor",
                    "5", "--disk-read", "500M", "--seed", "42", "-o", out, NULL};
    CU_ASSERT_EQUAL(cli(18, argv), 0);
    CU_ASSERT(same_file(lib, out));
    char *bad[] = {"platform", "--hosts", "8", "--slow-factor", "0.5", "-o", out, NULL};
    CU_ASSERT_EQUAL(cli(7, bad), 2);
    char *nohosts[] = {"platform", "-o", out, NULL};
    CU_ASSERT_EQUAL(cli(3, nohosts), 2);
    char *help[] = {"platform", "--help", NULL};
    CU_ASSERT_EQUAL(cli(2, help), 0);
}

/* SimGrid loads one platform per process, so one big file carries all checks. */
static void test_simgrid_loads_10000_hosts(void)
{
    enum { N = 10000 };
    char path[512];
    path_of(path, sizeof path, "big.xml");
    ps_platform_params p = hetero(N);
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_platform_write(&p, path, &err), PS_OK);
    static double want[N];
    CU_ASSERT_EQUAL_FATAL(ps_platform_speeds(&p, want, &err), PS_OK);
    int argc = 1;
    char name[] = "test_platform", *argv[] = {name, NULL};
    simgrid_init(&argc, argv);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    simgrid_load_platform(path);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("\n    SimGrid loaded %d hosts in %.3f s ", N,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    CU_ASSERT_EQUAL_FATAL(sg_host_count(), (size_t)N);
    char hn[32];
    for (int i = 0; i < N; i++) {
        snprintf(hn, sizeof hn, "host%d", i);
        sg_host_t h = sg_host_by_name(hn);
        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_EQUAL(sg_host_get_speed(h), want[i]);
    }
    sg_host_t h3 = sg_host_by_name("host3"), h9 = sg_host_by_name("host9999");
    unsigned nd = 0;
    sg_disk_t *disks = NULL;
    sg_host_get_disks(h3, &nd, &disks);
    CU_ASSERT_EQUAL_FATAL(nd, 1);
    CU_ASSERT_EQUAL(sg_disk_read_bandwidth(disks[0]), p.disk_read_bw);
    CU_ASSERT_EQUAL(sg_disk_write_bandwidth(disks[0]), p.disk_write_bw);
    free(disks);
    /* up link, backbone, down link: three latencies, the private link's bandwidth */
    CU_ASSERT_DOUBLE_EQUAL(sg_host_get_route_latency(h3, h9), 3 * p.latency, 1e-15);
    CU_ASSERT_EQUAL(sg_host_get_route_bandwidth(h3, h9), p.bandwidth);
    xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
    sg_host_get_route(h3, h9, links);
    CU_ASSERT_EQUAL_FATAL(xbt_dynar_length(links), 3);
    CU_ASSERT_STRING_EQUAL(sg_link_get_name(xbt_dynar_get_as(links, 0, sg_link_t)), "link3_UP");
    CU_ASSERT_STRING_EQUAL(sg_link_get_name(xbt_dynar_get_as(links, 1, sg_link_t)), "backbone");
    CU_ASSERT_EQUAL(sg_link_get_bandwidth(xbt_dynar_get_as(links, 1, sg_link_t)),
                    10 * p.bandwidth);
    CU_ASSERT_STRING_EQUAL(sg_link_get_name(xbt_dynar_get_as(links, 2, sg_link_t)),
                           "link9999_DOWN");
    xbt_dynar_free(&links);
}

static CU_TestInfo platform_tests[] = {
    {"same params give the same bytes", test_same_params_same_bytes},
    {"speeds and slow hosts as promised", test_speeds_as_promised},
    {"slow count is round(fraction*hosts)", test_slow_count_rounds},
    {"out-of-range values name the option", test_out_of_range_names_option},
    {"a failed write leaves no file", test_failed_write_leaves_nothing},
    {"CLI with SI suffixes matches the library", test_cli_si_suffixes},
    {"SimGrid loads 10,000 hosts with our values", test_simgrid_loads_10000_hosts},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"platform", make_dir, remove_dir, NULL, NULL, platform_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
