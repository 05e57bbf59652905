/* Convergence plots: two fake runs (one path with a space) give a real PNG and an
 * SVG naming both runs; bad metrics name the file and line; a missing gnuplot is a
 * clear error that leaves an earlier plot in place. Needs gnuplot installed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plots/plot.h"
#include "tests/unit/cu_main.h"

static char root[] = "/tmp/ps_test_plot_XXXXXX";
static char run_a[512], run_b[512], run_bad[512], out_dir[512];

static void join(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[600];
    join(path, sizeof path, dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* A plausible run: loss decaying towards a floor, accuracy rising, rate apart. */
static int write_run(const char *dir, const char *name, double rate)
{
    char path[600];
    if (mkdir(dir, 0755) != 0)
        return -1;
    join(path, sizeof path, dir, "metrics.csv");
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("time_s,stage,iteration,loss,accuracy\n", f);
    for (int i = 0; i <= 40; i += 4)
        fprintf(f, "%g,%d,%d,%g,%g\n", i * 0.02 / rate, i >= 20, i, 0.5 * exp(-rate * i) + 0.2,
                0.9 - 0.4 * exp(-rate * i));
    fclose(f);
    if (!name)
        return 0;
    char summary[300];
    snprintf(summary, sizeof summary, "name: %s\niterations_done: 40\n", name);
    return write_text(dir, "summary.txt", summary);
}

static int setup_dirs(void)
{
    if (!mkdtemp(root))
        return -1;
    join(run_a, sizeof run_a, root, "run one");
    join(run_b, sizeof run_b, root, "run-two");
    join(run_bad, sizeof run_bad, root, "bad");
    join(out_dir, sizeof out_dir, root, "out dir");
    if (write_run(run_a, "alpha_bsp", 0.1) || write_run(run_b, "beta ssp", 0.2) ||
        mkdir(run_bad, 0755) || mkdir(out_dir, 0755))
        return -1;
    return 0;
}

static void remove_tree(const char *dir)
{
    static const char *const files[] = {"metrics.csv", "summary.txt", "plot.png", "plot.svg",
                                        "convergence.png", "convergence.svg", "keep.png",
                                        "keep.svg", NULL};
    char path[600];
    for (int i = 0; files[i]; i++) {
        join(path, sizeof path, dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static int cleanup_dirs(void)
{
    remove_tree(run_a);
    remove_tree(run_b);
    remove_tree(run_bad);
    remove_tree(out_dir);
    return rmdir(root);
}

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

static void test_two_runs_png_and_svg(void)
{
    char prefix[600], png[700], svg[700];
    join(prefix, sizeof prefix, out_dir, "plot");
    snprintf(png, sizeof png, "%s.png", prefix);
    snprintf(svg, sizeof svg, "%s.svg", prefix);
    const char *dirs[] = {run_a, run_b};
    ps_err err = {{0}};
    int rc = ps_plot_runs(dirs, 2, prefix, "two runs", &err);
    if (rc)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PS_OK);
    size_t n;
    char *data = slurp(png, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT(n > 1000);
    CU_ASSERT(n >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(data);
    data = slurp(svg, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "alpha_bsp"));
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "beta ssp"));
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "time (s)"));
    free(data);
    char tmp[720];
    snprintf(tmp, sizeof tmp, "%s.tmp", png);
    CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
}

/* Without summary.txt the series is named after the directory; the CLI's default
 * prefix is <first run dir>/convergence. */
static void test_cli_default_prefix_and_basename(void)
{
    char sum[600], png[600], svg[600];
    join(sum, sizeof sum, run_b, "summary.txt");
    CU_ASSERT_EQUAL_FATAL(unlink(sum), 0);
    char *argv[] = {"plot", run_b, "--title", "default prefix", NULL};
    CU_ASSERT_EQUAL_FATAL(ps_plot_main(4, argv), 0);
    join(png, sizeof png, run_b, "convergence.png");
    join(svg, sizeof svg, run_b, "convergence.svg");
    struct stat st;
    CU_ASSERT(stat(png, &st) == 0 && st.st_size > 0);
    size_t n;
    char *data = slurp(svg, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "run-two"));
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "default prefix"));
    free(data);
}

/* -o DIR/ (or an existing DIR) writes DIR/convergence.png, not DIR/.png */
static void test_cli_directory_prefix(void)
{
    char dir[600], slash[610], png[700], hidden[700];
    join(dir, sizeof dir, out_dir, "into");
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    snprintf(slash, sizeof slash, "%s/", dir);
    char *argv[] = {"plot", run_a, "-o", slash, NULL};
    CU_ASSERT_EQUAL_FATAL(ps_plot_main(4, argv), 0);
    join(png, sizeof png, dir, "convergence.png");
    join(hidden, sizeof hidden, dir, ".png");
    struct stat st;
    CU_ASSERT(stat(png, &st) == 0 && st.st_size > 0);
    CU_ASSERT(stat(hidden, &st) != 0);
    CU_ASSERT_EQUAL(unlink(png), 0);
    char *argv2[] = {"plot", run_a, "-o", dir, NULL}; /* no slash, but a directory */
    CU_ASSERT_EQUAL_FATAL(ps_plot_main(4, argv2), 0);
    CU_ASSERT(stat(png, &st) == 0 && st.st_size > 0);
}

static void expect_metrics_error(const char *csv, const char *where)
{
    CU_ASSERT_EQUAL_FATAL(write_text(run_bad, "metrics.csv", csv), 0);
    char prefix[600], want[700];
    join(prefix, sizeof prefix, out_dir, "bad");
    snprintf(want, sizeof want, "%s/metrics.csv:%s", run_bad, where);
    const char *dirs[] = {run_a, run_bad};
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_plot_runs(dirs, 2, prefix, NULL, &err), PS_ERR);
    if (!strstr(err.msg, want))
        fprintf(stderr, "\nwanted '%s' in '%s'\n", want, err.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
}

static void test_malformed_metrics_name_file_and_line(void)
{
    const char *h = "time_s,stage,iteration,loss,accuracy\n";
    char csv[512];
    snprintf(csv, sizeof csv, "%s0,0,0,0.7,0.5\n0.1,0,2,oops,0.6\n", h);
    expect_metrics_error(csv, "3: field loss");
    snprintf(csv, sizeof csv, "%s0,0,0,0.7,0.5\n0.1,0,2,0.6\n", h);
    expect_metrics_error(csv, "3: expected at least 5");
    snprintf(csv, sizeof csv, "%s0,0,1.5,0.7,0.5\n", h);
    expect_metrics_error(csv, "2: field iteration");
    expect_metrics_error("time,loss\n0,1\n", "1: expected a header");
    expect_metrics_error(h, "2: no data rows");
    expect_metrics_error("", "1: empty file");
    char prefix[600];
    join(prefix, sizeof prefix, out_dir, "bad.png");
    CU_ASSERT_EQUAL(access(prefix, F_OK), -1);
}

static void test_missing_dir_is_an_error(void)
{
    char missing[600];
    join(missing, sizeof missing, root, "no such run");
    const char *dirs[] = {missing};
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_plot_runs(dirs, 1, "/tmp/unused", NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no such run/metrics.csv"));
}

/* A failed plot must not clobber the previous one. */
static void test_missing_gnuplot(void)
{
    char prefix[600];
    join(prefix, sizeof prefix, out_dir, "keep");
    CU_ASSERT_EQUAL_FATAL(write_text(out_dir, "keep.png", "old"), 0);
    setenv("PSLAB_GNUPLOT", "/nonexistent/gnuplot", 1);
    const char *dirs[] = {run_a};
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_plot_runs(dirs, 1, prefix, NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "gnuplot not found"));
    setenv("PSLAB_GNUPLOT", "false", 1); /* starts, then fails */
    CU_ASSERT_EQUAL(ps_plot_runs(dirs, 1, prefix, NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exit status 1"));
    unsetenv("PSLAB_GNUPLOT");
    char png[700];
    snprintf(png, sizeof png, "%s.png", prefix);
    size_t n;
    char *data = slurp(png, &n);
    CU_ASSERT(data && n == 3 && memcmp(data, "old", 3) == 0);
    free(data);
}

static void test_cli_usage(void)
{
    char *help[] = {"plot", "--help", NULL}, *none[] = {"plot", NULL};
    char *bogus[] = {"plot", run_a, "--bogus", NULL}, *dangling[] = {"plot", run_a, "-o", NULL};
    CU_ASSERT_EQUAL(ps_plot_main(2, help), 0);
    CU_ASSERT_EQUAL(ps_plot_main(1, none), 2);
    CU_ASSERT_EQUAL(ps_plot_main(3, bogus), 2);
    CU_ASSERT_EQUAL(ps_plot_main(3, dangling), 2);
}

/* The panels follow the model's metrics: an mf run plots rmse (in the SVG's
 * titles), not loss; runs of two models are refused together. */
static void test_model_metrics(void)
{
    char mf[580], prefix[600], svg[700];
    join(mf, sizeof mf, root, "mf run");
    CU_ASSERT_EQUAL_FATAL(mkdir(mf, 0755), 0);
    CU_ASSERT_EQUAL_FATAL(write_text(mf, "metrics.csv",
                                     "time_s,stage,iteration,rmse,staleness_mean,staleness_max\n"
                                     "0,1,0,0.98,0,0\n0.5,1,50,0.5,0,0\n0.7,2,10,0.2,0,0\n"
                                     "0.9,2,20,0.11,0,0\n"), 0);
    join(prefix, sizeof prefix, out_dir, "mf");
    snprintf(svg, sizeof svg, "%s.svg", prefix);
    const char *one[] = {mf};
    ps_err err = {{0}};
    int rc = ps_plot_runs(one, 1, prefix, NULL, &err);
    if (rc)
        fprintf(stderr, "\n%s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PS_OK);
    size_t n;
    char *data = slurp(svg, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "rmse vs time"));
    CU_ASSERT_PTR_NOT_NULL(strstr(data, "rmse vs iteration"));
    CU_ASSERT_PTR_NULL(strstr(data, "loss vs time"));
    CU_ASSERT_PTR_NULL(strstr(data, "staleness"));
    free(data);
    const char *mixed[] = {mf, run_a};
    CU_ASSERT_EQUAL(ps_plot_runs(mixed, 2, prefix, NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "plot runs of one model together"));
    CU_ASSERT_EQUAL_FATAL(write_text(mf, "metrics.csv", "time_s,stage,iteration,staleness_mean\n"
                                                        "0,1,0,0\n"), 0);
    CU_ASSERT_EQUAL(ps_plot_runs(one, 1, prefix, NULL, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "names no metric"));
    char path[600];
    join(path, sizeof path, mf, "metrics.csv");
    unlink(path);
    rmdir(mf);
}

static CU_TestInfo plot_tests[] = {
    {"the panels are the model's metrics", test_model_metrics},
    {"two runs give a PNG and an SVG", test_two_runs_png_and_svg},
    {"CLI default prefix, basename as name", test_cli_default_prefix_and_basename},
    {"-o DIR/ writes DIR/convergence", test_cli_directory_prefix},
    {"malformed metrics name file and line", test_malformed_metrics_name_file_and_line},
    {"missing run directory", test_missing_dir_is_an_error},
    {"missing or failing gnuplot", test_missing_gnuplot},
    {"CLI usage errors", test_cli_usage},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"plot", setup_dirs, cleanup_dirs, NULL, NULL, plot_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
