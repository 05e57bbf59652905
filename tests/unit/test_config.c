/* The INI run configuration: values and SI suffixes, defaults, every error with its
 * file:line, overrides, the write -> reload round trip, the reference text, and the
 * checked-in quickstart experiment. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/config.h"
#include "tests/unit/cu_main.h"

/* Every key by name, written out independently of config.c's table. */
static const char *const all_keys[] = {
    "run.name", "run.seed", "run.iterations", "run.eval_every", "run.backend",
    "cluster.servers", "cluster.workers", "cluster.platform",
    "platform.host_speed", "platform.bandwidth", "platform.latency", "platform.speed_spread",
    "platform.slow_fraction", "platform.slow_factor", "platform.disk_read_bw",
    "platform.disk_write_bw",
    "data.source", "data.path", "data.test_path", "data.test_fraction", "data.features",
    "data.train_examples", "data.test_examples", "data.nnz", "data.zipf", "data.weight_scale",
    "data.target", "data.true_density", "data.noise",
    "model.type", "model.batch", "model.lr", "model.update", "model.lr_decay", "model.l2", "model.flop_scale",
    "policy.consistency", "policy.partitioner", NULL};

/* Five lines that satisfy the required keys; tests append from line 6 on. */
#define MINIMAL "[run]\niterations = 5\n[cluster]\nservers = 1\nworkers = 2\n"

static char tmp_dir[64];
static char ini_path[128]; /* tmp_dir/exp.ini */

static int suite_init(void)
{
    strcpy(tmp_dir, "/tmp/pslab_cfg_XXXXXX");
    if (!mkdtemp(tmp_dir))
        return 1;
    snprintf(ini_path, sizeof ini_path, "%s/exp.ini", tmp_dir);
    return 0;
}

static int suite_cleanup(void)
{
    const char *files[] = {"exp.ini", "out.ini", "data.svm"};
    char p[160];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp_dir, files[i]);
        unlink(p);
    }
    return rmdir(tmp_dir) != 0;
}

static const char *write_file(const char *name, const char *text)
{
    static char p[160];
    snprintf(p, sizeof p, "%s/%s", tmp_dir, name);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int load_text(ps_config *c, const char *text, const char *const *ov, int n, ps_err *err)
{
    write_file("exp.ini", text);
    err->msg[0] = '\0';
    return ps_config_load(c, ini_path, ov, n, err);
}

/* Loading text must fail with a message containing want. */
static void expect_error(const char *text, const char *const *ov, int n, const char *want)
{
    ps_config c;
    ps_err err;
    int rc = load_text(&c, text, ov, n, &err);
    CU_ASSERT_EQUAL(rc, PS_ERR);
    if (!strstr(err.msg, want)) {
        printf("\n  expected '%s'\n  got      '%s'\n", want, err.msg);
        CU_FAIL("error message");
    }
    CU_ASSERT_PTR_NULL(c.name); /* a failed load leaves nothing to free */
}

static void test_values_and_suffixes(void)
{
    ps_config c;
    ps_err err;
    const char *text = "\xEF\xBB\xBF; a comment line\n"
                       "[run]\n"
                       "name = my-run\n"
                       "seed = 18446744073709551615\n"
                       "iterations = 1k\r\n"
                       "  eval_every = 25 ; indented, with an inline comment\n"
                       "[cluster]\n"
                       "servers = 3\n"
                       "workers = 12\n"
                       "# another comment\n"
                       "[platform]\n"
                       "host_speed = 2G\n"
                       "bandwidth = 1.25e9\n"
                       "latency = 50u\n"
                       "speed_spread = 0.2\n"
                       "slow_fraction = 0.1\n"
                       "slow_factor = 4\n"
                       "disk_read_bw = 1.5M\n"
                       "disk_write_bw = 10G\n"
                       "[data]\n"
                       "features = 1e6\n"
                       "train_examples = 10G\n"
                       "test_examples = 2.5k\n"
                       "nnz = 30\n"
                       "zipf = 0\n"
                       "weight_scale = 2.5\n"
                       "test_fraction = 250m\n"
                       "[model]\n"
                       "batch = 64\n"
                       "lr = 0.05\n"
                       "lr_decay = 1n\n"
                       "l2 = 1e-5\n"
                       "flop_scale = 2k\n"
                       "[policy]\n"
                       "consistency = bsp\n"
                       "partitioner = hash\n";
    int rc = load_text(&c, text, NULL, 0, &err);
    if (rc)
        printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PS_OK);
    CU_ASSERT_STRING_EQUAL(c.source_path, ini_path);
    CU_ASSERT_STRING_EQUAL(c.name, "my-run");
    CU_ASSERT(c.seed == UINT64_MAX);
    CU_ASSERT_EQUAL(c.iterations, 1000);
    CU_ASSERT_EQUAL(c.eval_every, 25);
    CU_ASSERT_EQUAL(c.servers, 3);
    CU_ASSERT_EQUAL(c.workers, 12);
    CU_ASSERT_EQUAL(c.host_speed, 2e9);
    CU_ASSERT_EQUAL(c.bandwidth, 1.25e9);
    CU_ASSERT_EQUAL(c.latency, 50e-6);
    CU_ASSERT_EQUAL(c.speed_spread, 0.2);
    CU_ASSERT_EQUAL(c.slow_fraction, 0.1);
    CU_ASSERT_EQUAL(c.slow_factor, 4.0);
    CU_ASSERT_EQUAL(c.disk_read_bw, 1.5e6);
    CU_ASSERT_EQUAL(c.disk_write_bw, 10e9);
    CU_ASSERT(c.features == 1000000);
    CU_ASSERT(c.train_examples == 10000000000ULL);
    CU_ASSERT(c.test_examples == 2500);
    CU_ASSERT_EQUAL(c.nnz, 30);
    CU_ASSERT_EQUAL(c.zipf, 0.0);
    CU_ASSERT_EQUAL(c.weight_scale, 2.5);
    CU_ASSERT_EQUAL(c.test_fraction, 0.25);
    CU_ASSERT_EQUAL(c.batch, 64);
    CU_ASSERT_EQUAL(c.lr, 0.05);
    CU_ASSERT_EQUAL(c.lr_decay, 1e-9);
    CU_ASSERT_EQUAL(c.l2, 1e-5);
    CU_ASSERT_EQUAL(c.flop_scale, 2000.0);
    CU_ASSERT_STRING_EQUAL(c.consistency, "bsp");
    CU_ASSERT_STRING_EQUAL(c.partitioner, "hash");
    ps_config_free(&c);
}

static void test_defaults(void)
{
    ps_config c;
    ps_config_init_defaults(&c);
    CU_ASSERT_PTR_NULL(c.source_path);
    CU_ASSERT_STRING_EQUAL(c.name, "");
    CU_ASSERT(c.seed == 1);
    CU_ASSERT_EQUAL(c.iterations, 0); /* required: unset */
    CU_ASSERT_EQUAL(c.eval_every, 10);
    CU_ASSERT_STRING_EQUAL(c.backend, "sim");
    CU_ASSERT_EQUAL(c.servers, 0);
    CU_ASSERT_EQUAL(c.workers, 0);
    CU_ASSERT_STRING_EQUAL(c.platform, "");
    CU_ASSERT_EQUAL(c.host_speed, 1e9);
    CU_ASSERT_EQUAL(c.bandwidth, 1.25e9);
    CU_ASSERT_EQUAL(c.latency, 5e-5);
    CU_ASSERT_EQUAL(c.speed_spread, 0.0);
    CU_ASSERT_EQUAL(c.slow_fraction, 0.0);
    CU_ASSERT_EQUAL(c.slow_factor, 1.0);
    CU_ASSERT_EQUAL(c.disk_read_bw, 200e6);
    CU_ASSERT_EQUAL(c.disk_write_bw, 100e6);
    CU_ASSERT_STRING_EQUAL(c.source, "synthetic");
    CU_ASSERT_STRING_EQUAL(c.path, "");
    CU_ASSERT_STRING_EQUAL(c.test_path, "");
    CU_ASSERT_EQUAL(c.test_fraction, 0.1);
    CU_ASSERT(c.features == 0); /* the source's default */
    CU_ASSERT(c.train_examples == 100000);
    CU_ASSERT(c.test_examples == 10000);
    CU_ASSERT_EQUAL(c.nnz, 20);
    CU_ASSERT_EQUAL(c.zipf, 1.1);
    CU_ASSERT_EQUAL(c.weight_scale, 1.0);
    CU_ASSERT_STRING_EQUAL(c.type, "lr");
    CU_ASSERT_EQUAL(c.batch, 100);
    CU_ASSERT_EQUAL(c.lr, 0.5);
    CU_ASSERT_EQUAL(c.lr_decay, 0.0);
    CU_ASSERT_EQUAL(c.l2, 1e-4);
    CU_ASSERT_EQUAL(c.flop_scale, 1.0);
    CU_ASSERT_STRING_EQUAL(c.consistency, "bsp");
    CU_ASSERT_STRING_EQUAL(c.partitioner, "range");
    ps_config_free(&c);
    CU_ASSERT_PTR_NULL(c.backend);

    /* A minimal file gets the same defaults, and its name from the file. */
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL, NULL, 0, &err), PS_OK);
    CU_ASSERT_STRING_EQUAL(c.name, "exp");
    CU_ASSERT_EQUAL(c.iterations, 5);
    CU_ASSERT_EQUAL(c.latency, 5e-5);
    CU_ASSERT_STRING_EQUAL(c.partitioner, "range");
    ps_config_free(&c);
}

static void test_errors_name_file_and_line(void)
{
    expect_error(MINIMAL "[model]\nlrate = 0.1\n", NULL, 0,
                 "exp.ini:7: unknown key 'lrate' in section [model]");
    expect_error("[run]\niterations = 5\n[modle]\nlr = 1\n[cluster]\nservers = 1\nworkers = 2\n",
                 NULL, 0, "exp.ini:3: unknown section [modle]");
    expect_error(MINIMAL "[modle]\n", NULL, 0, "exp.ini:6: unknown section [modle]");
    expect_error(MINIMAL "[model]\nlr = -1\n", NULL, 0,
                 "exp.ini:7: model.lr = -1: out of range (must be > 0");
    expect_error(MINIMAL "[policy]\nconsistency = bsq\n", NULL, 0,
                 "exp.ini:7: policy.consistency = 'bsq': not one of bsp");
    expect_error("[run]\niterations = 5\n[cluster]\nservers = 1\n", NULL, 0,
                 "exp.ini: missing required key cluster.workers");
    expect_error("[model]\nlr = 1\n", NULL, 0,
                 "exp.ini: missing required keys run.iterations, cluster.servers, "
                 "cluster.workers");
    expect_error(MINIMAL "[model]\nlr = 0.1\nbatch = 5\nlr = 0.2\n", NULL, 0,
                 "exp.ini:9: duplicate key model.lr (first set on line 7)");
    expect_error(MINIMAL "[model]\nthis line has no equals sign\n", NULL, 0,
                 "exp.ini:7: syntax error");
    expect_error(MINIMAL "[model\n", NULL, 0, "exp.ini:6: syntax error");
    expect_error("seed = 3\n" MINIMAL, NULL, 0, "exp.ini:1: key 'seed' is outside any [section]");
    expect_error(MINIMAL "[data]\nsource = libsvm\n", NULL, 0,
                 "exp.ini:7: data.source = libsvm needs data.path");
    expect_error(MINIMAL "[data]\nfeatures = 10\n", NULL, 0,
                 "exp.ini: data.nnz = 20 exceeds data.features = 10");
    expect_error(MINIMAL "[cluster]\nplatform = /nonexistent.xml\n", NULL, 0,
                 "exp.ini:7: cluster.platform = '/nonexistent.xml': cannot read: No such file");
    expect_error(MINIMAL "[data]\nbad\x01 = 1\n", NULL, 0, "exp.ini:7: unknown key");

    /* The first error in the file wins, whichever kind it is. */
    expect_error("[run]\niterations = 5\nno equals\n[model]\nlrate = 1\n", NULL, 0,
                 "exp.ini:3: syntax error");
    expect_error("[run]\nlrate = 1\nno equals\n", NULL, 0, "exp.ini:2: unknown key 'lrate'");

    /* A line too long for inih is an error on that line, not a silent split. */
    char text[600];
    snprintf(text, sizeof text, MINIMAL "[data]\npath = /%0300d\n", 0);
    expect_error(text, NULL, 0, "exp.ini:7: line longer than");
    /* but a long comment is fine */
    snprintf(text, sizeof text, MINIMAL "# %0300d\n", 0);
    ps_config c;
    ps_err err;
    CU_ASSERT_EQUAL(load_text(&c, text, NULL, 0, &err), PS_OK);
    ps_config_free(&c);

    char missing[200];
    snprintf(missing, sizeof missing, "%s/no-such.ini", tmp_dir);
    CU_ASSERT_EQUAL(ps_config_load(&c, missing, NULL, 0, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, missing));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "No such file or directory"));
}

static void test_number_syntax(void)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"lr = nan", "model.lr = nan: not a finite number"},
        {"lr = inf", "model.lr = inf: not a finite number"},
        {"lr = 0.5x", "model.lr = 0.5x: not a number (unexpected 'x')"},
        {"lr = 1e999", "model.lr = 1e999: too large or too small"},
        {"lr = ", "model.lr = : empty value"},
        {"lr = 5 k", "not a number"},
        {"lr = 1e-320", "too large or too small"},
        {"lr = 1000.5", "out of range (must be > 0 and <= 1000)"},
        {"batch = 99999999999999999999", "model.batch = 99999999999999999999: too large"},
        {"batch = 12x", "model.batch = 12x: not a number (unexpected 'x')"},
        {"batch = 1.5", "model.batch = 1.5: not a whole number"},
        {"batch = 0", "model.batch = 0: out of range (must be in 1..10000000)"},
        {"batch = 3000000000", "out of range"},
        {"batch = 20000000T", "model.batch = 20000000T: too large"},
        {"batch = 5u", "not a whole number"},
        {"l2 = -0.1", "model.l2 = -0.1: out of range (must be in 0..1000)"},
        {"type = nn", "model.type = 'nn': not one of lr, svm, lasso"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, MINIMAL "[model]\n%s\n", cases[i].line);
        expect_error(text, NULL, 0, "exp.ini:7: ");
        expect_error(text, NULL, 0, cases[i].want);
    }
    expect_error(MINIMAL "[data]\nfeatures = -5\n", NULL, 0,
                 "data.features = -5: out of range (must be in 0..4294967294)");
    expect_error(MINIMAL "[data]\nfeatures = 4294967295\n", NULL, 0, "out of range");
    expect_error(MINIMAL "[run]\nseed = 18446744073709551616\n", NULL, 0, "too large");
    expect_error(MINIMAL "[run]\nseed = -1\n", NULL, 0, "run.seed = -1: out of range");
    expect_error(MINIMAL "[data]\ntrain_examples = 1e17\n", NULL, 0, "out of range");
    expect_error(MINIMAL "[data]\ntrain_examples = 1e300\n", NULL, 0, "too large");
    expect_error(MINIMAL "[run]\nseed = 1e19\n", NULL, 0, "run.seed = 1e19: too large to be exact");

    /* Whole numbers in any notation; large ones exact. */
    ps_config c;
    ps_err err;
    ps_config_init_defaults(&c);
    CU_ASSERT_EQUAL(ps_config_set(&c, "run.seed=18446744073709551614", &err), PS_OK);
    CU_ASSERT(c.seed == UINT64_MAX - 1);
    CU_ASSERT_EQUAL(ps_config_set(&c, "run.seed=-0", &err), PS_OK);
    CU_ASSERT(c.seed == 0);
    CU_ASSERT_EQUAL(ps_config_set(&c, "model.batch=2.5k", &err), PS_OK);
    CU_ASSERT_EQUAL(c.batch, 2500);
    CU_ASSERT_EQUAL(ps_config_set(&c, "data.features=4294967294", &err), PS_OK);
    CU_ASSERT(c.features == 4294967294ULL);
    CU_ASSERT_EQUAL(ps_config_set(&c, "model.lr=1000", &err), PS_OK); /* bound included */
    CU_ASSERT_EQUAL(ps_config_set(&c, "platform.latency=0", &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_set(&c, "platform.host_speed=0", &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "out of range (must be > 0)"));
    ps_config_free(&c);
}

static void test_overrides(void)
{
    ps_config c;
    ps_err err;
    const char *ov[] = {"model.lr=0.25", " model.batch = 7 ", "model.lr=0.125",
                        "cluster.workers=9", "run.name=over"};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL "[model]\nlr = 0.9\nbatch = 3\n", ov, 5, &err),
                          PS_OK);
    CU_ASSERT_EQUAL(c.lr, 0.125); /* later overrides win */
    CU_ASSERT_EQUAL(c.batch, 7);
    CU_ASSERT_EQUAL(c.workers, 9);
    CU_ASSERT_STRING_EQUAL(c.name, "over");
    ps_config_free(&c);

    /* An override can supply a required key. */
    const char *req[] = {"cluster.workers=4"};
    CU_ASSERT_EQUAL(load_text(&c, "[run]\niterations = 5\n[cluster]\nservers = 1\n", req, 1,
                              &err), PS_OK);
    CU_ASSERT_EQUAL(c.workers, 4);
    ps_config_free(&c);

    const char *bad1[] = {"model.lr=0.1", "model.foo=1"};
    expect_error(MINIMAL, bad1, 2, "--set model.foo=1: unknown key model.foo");
    const char *bad2[] = {"model.lr=-1"};
    expect_error(MINIMAL, bad2, 1, "--set model.lr=-1: out of range (must be > 0");
    const char *bad3[] = {"lr=1"};
    expect_error(MINIMAL, bad3, 1, "--set lr=1: expected section.key=value");
    const char *bad4[] = {"model.lr"};
    expect_error(MINIMAL, bad4, 1, "--set model.lr: expected section.key=value");
    const char *bad5[] = {"policy.consistency=bsq"};
    expect_error(MINIMAL, bad5, 1, "--set policy.consistency=bsq: not one of bsp");
    const char *bad6[] = {"data.path=a ;b"};
    expect_error(MINIMAL, bad6, 1, "--set data.path=a ;b: contains ' ;'");
    /* a file error comes before the overrides */
    expect_error(MINIMAL "[model]\nlrate = 1\n", bad1, 2, "exp.ini:7: unknown key");

    /* libsvm with a path that exists; the path check names the override-free line */
    char svm[160], text[512];
    snprintf(svm, sizeof svm, "%s", write_file("data.svm", "1 1:0.5\n"));
    snprintf(text, sizeof text, MINIMAL "[data]\nsource = libsvm\npath = %s\n", svm);
    CU_ASSERT_EQUAL(load_text(&c, text, NULL, 0, &err), PS_OK);
    CU_ASSERT_STRING_EQUAL(c.path, svm);
    ps_config_free(&c);
    const char *nopath[] = {"data.path=/nonexistent/train.svm"};
    expect_error(text, nopath, 1, "exp.ini: data.path = '/nonexistent/train.svm': cannot read");
}

static void assert_same(const ps_config *a, const ps_config *b)
{
    CU_ASSERT_STRING_EQUAL(a->name, b->name);
    CU_ASSERT(a->seed == b->seed);
    CU_ASSERT_EQUAL(a->iterations, b->iterations);
    CU_ASSERT_EQUAL(a->eval_every, b->eval_every);
    CU_ASSERT_STRING_EQUAL(a->backend, b->backend);
    CU_ASSERT_EQUAL(a->servers, b->servers);
    CU_ASSERT_EQUAL(a->workers, b->workers);
    CU_ASSERT_STRING_EQUAL(a->platform, b->platform);
    CU_ASSERT_EQUAL(a->host_speed, b->host_speed);
    CU_ASSERT_EQUAL(a->bandwidth, b->bandwidth);
    CU_ASSERT_EQUAL(a->latency, b->latency);
    CU_ASSERT_EQUAL(a->speed_spread, b->speed_spread);
    CU_ASSERT_EQUAL(a->slow_fraction, b->slow_fraction);
    CU_ASSERT_EQUAL(a->slow_factor, b->slow_factor);
    CU_ASSERT_EQUAL(a->disk_read_bw, b->disk_read_bw);
    CU_ASSERT_EQUAL(a->disk_write_bw, b->disk_write_bw);
    CU_ASSERT_STRING_EQUAL(a->source, b->source);
    CU_ASSERT_STRING_EQUAL(a->target, b->target);
    CU_ASSERT_EQUAL(a->true_density, b->true_density);
    CU_ASSERT_EQUAL(a->noise, b->noise);
    CU_ASSERT_STRING_EQUAL(a->update, b->update);
    CU_ASSERT_EQUAL(ps_config_module_double(a, "model", "l1"),
                    ps_config_module_double(b, "model", "l1"));
    CU_ASSERT_STRING_EQUAL(a->path, b->path);
    CU_ASSERT_STRING_EQUAL(a->test_path, b->test_path);
    CU_ASSERT_EQUAL(a->test_fraction, b->test_fraction);
    CU_ASSERT(a->features == b->features);
    CU_ASSERT(a->train_examples == b->train_examples);
    CU_ASSERT(a->test_examples == b->test_examples);
    CU_ASSERT_EQUAL(a->nnz, b->nnz);
    CU_ASSERT_EQUAL(a->zipf, b->zipf);
    CU_ASSERT_EQUAL(a->weight_scale, b->weight_scale);
    CU_ASSERT_STRING_EQUAL(a->type, b->type);
    CU_ASSERT_EQUAL(a->batch, b->batch);
    CU_ASSERT_EQUAL(a->lr, b->lr);
    CU_ASSERT_EQUAL(a->lr_decay, b->lr_decay);
    CU_ASSERT_EQUAL(a->l2, b->l2);
    CU_ASSERT_EQUAL(a->flop_scale, b->flop_scale);
    CU_ASSERT_STRING_EQUAL(a->consistency, b->consistency);
    CU_ASSERT_STRING_EQUAL(a->partitioner, b->partitioner);
}

/* Writes a, reloads it from out.ini, and checks every field. */
static void round_trip(const ps_config *a)
{
    char out[160];
    snprintf(out, sizeof out, "%s/out.ini", tmp_dir);
    FILE *f = fopen(out, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(ps_config_write(a, f), PS_OK);
    fclose(f);
    ps_config b;
    ps_err err;
    int rc = ps_config_load(&b, out, NULL, 0, &err);
    if (rc)
        printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PS_OK);
    assert_same(a, &b);
    ps_config_free(&b);
}

static void test_write_round_trip(void)
{
    ps_config c;
    ps_err err;
    char svm[160], text[1024];
    snprintf(svm, sizeof svm, "%s", write_file("data.svm", "1 1:0.5\n"));
    snprintf(text, sizeof text,
             "[run]\nseed = 18446744073709551615\niterations = 123\neval_every = 7\n"
             "[cluster]\nservers = 3\nworkers = 11\n"
             "[platform]\nhost_speed = 1.7G\nbandwidth = 0.1G\nlatency = 37u\n"
             "speed_spread = 0.3\nslow_fraction = 0.333333333333\nslow_factor = 2.5\n"
             "disk_read_bw = 123.456M\ndisk_write_bw = 3e7\n"
             "[data]\nsource = libsvm\npath = %s\ntest_path = %s\ntest_fraction = 0.17\n"
             "features = 4294967294\ntrain_examples = 9876543210\ntest_examples = 3\n"
             "nnz = 1\nzipf = 3.999\nweight_scale = 0.1\n"
             "[model]\nbatch = 9\nlr = 0.1\nlr_decay = 1e-7\nl2 = 0\nflop_scale = 1e9\n"
             "[policy]\npartitioner = hash\n",
             svm, svm);
    const char *ov[] = {"platform.latency=0.1", "model.l2=3.3e-300"};
    CU_ASSERT_EQUAL_FATAL(load_text(&c, text, ov, 1, &err), PS_OK);
    round_trip(&c);
    CU_ASSERT_EQUAL(ps_config_set(&c, ov[1], &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_set(&c, "run.name=has spaces;and a semicolon", &err), PS_OK);
    round_trip(&c);
    ps_config_free(&c);

    /* the defaults too */
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL, NULL, 0, &err), PS_OK);
    round_trip(&c);

    /* every key appears, with its doc as a comment */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_EQUAL(ps_config_write(&c, f), PS_OK);
    fclose(f);
    for (int i = 0; all_keys[i]; i++) {
        char line[64];
        snprintf(line, sizeof line, "\n%s =", strchr(all_keys[i], '.') + 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "[policy]\n# "));
    free(buf);
    ps_config_free(&c);
}

static void test_reference(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ps_config_print_reference(f);
    fclose(f);
    for (int i = 0; all_keys[i]; i++) {
        char sec[32], key[64];
        const char *dot = strchr(all_keys[i], '.');
        snprintf(sec, sizeof sec, "\n[%.*s]\n", (int)(dot - all_keys[i]), all_keys[i]);
        snprintf(key, sizeof key, "\n  %s ", dot + 1);
        const char *at = strstr(buf, sec);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        CU_ASSERT_PTR_NOT_NULL(strstr(at, key)); /* listed under its own section */
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "REQUIRED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "default: 50u"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "one of: bsp"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "one of: synthetic, libsvm"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "in 1..10000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "> 0 and <= 1000"));
    free(buf);
}

static void test_quickstart(void)
{
    ps_config c;
    ps_err err;
    int rc = ps_config_load(&c, "experiments/quickstart.ini", NULL, 0, &err);
    if (rc)
        printf("\n  %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, PS_OK);
    CU_ASSERT_STRING_EQUAL(c.name, "quickstart");
    CU_ASSERT(c.seed == 1);
    CU_ASSERT_EQUAL(c.iterations, 200);
    CU_ASSERT_EQUAL(c.eval_every, 10);
    CU_ASSERT_EQUAL(c.servers, 2);
    CU_ASSERT_EQUAL(c.workers, 8);
    CU_ASSERT_STRING_EQUAL(c.source, "synthetic");
    CU_ASSERT(c.features == 100000);
    CU_ASSERT(c.train_examples == 200000);
    CU_ASSERT(c.test_examples == 10000);
    CU_ASSERT_EQUAL(c.nnz, 20);
    CU_ASSERT_EQUAL(c.zipf, 1.1);
    CU_ASSERT_STRING_EQUAL(c.type, "lr");
    CU_ASSERT_EQUAL(c.batch, 100);
    CU_ASSERT_EQUAL(c.lr, 4);
    CU_ASSERT_STRING_EQUAL(c.update, "average");
    CU_ASSERT_EQUAL(c.lr_decay, 0.01);
    CU_ASSERT_EQUAL(c.l2, 1e-5);
    CU_ASSERT_STRING_EQUAL(c.consistency, "bsp");
    CU_ASSERT_STRING_EQUAL(c.partitioner, "range");
    ps_config_free(&c);
}

/* A model's own keys: registered from its ops table, read with
 * ps_config_module_*, accepted only for that model, written only for it. */
static void test_module_keys(void)
{
    ps_config c;
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL "[model]\ntype = lasso\nl1 = 0.25\n", NULL, 0,
                                    &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_module_double(&c, "model", "l1"), 0.25);
    round_trip(&c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_EQUAL(ps_config_write(&c, f), PS_OK);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nl1 = 0.25\n"));
    free(buf);
    const char *ov[] = {"model.l1=2"};
    CU_ASSERT_EQUAL(ps_config_set(&c, ov[0], &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_module_double(&c, "model", "l1"), 2);
    ps_config_free(&c);

    /* the default, and not written for another model */
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL, NULL, 0, &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_module_double(&c, "model", "l1"), 0.01);
    f = open_memstream(&buf, &len);
    CU_ASSERT_EQUAL(ps_config_write(&c, f), PS_OK);
    fclose(f);
    CU_ASSERT_PTR_NULL(strstr(buf, "\nl1 ="));
    free(buf);
    ps_config_free(&c);

    expect_error(MINIMAL "[model]\ntype = lr\n\nl1 = 0.25\n", NULL, 0,
                 "exp.ini:9: model.l1 is a key of model lasso, but model.type is lr");
    expect_error(MINIMAL, ov, 1, "exp.ini: model.l1 is a key of model lasso, but model.type is lr");
    expect_error(MINIMAL "[model]\ntype = lasso\nl1 = -1\n", NULL, 0,
                 "exp.ini:8: model.l1 = -1: out of range (must be in 0..1000)");
    expect_error(MINIMAL "[model]\nl1 = 0.1\ntype = lasso\nl1 = 0.2\n", NULL, 0,
                 "exp.ini:9: duplicate key model.l1 (first set on line 7)");

    /* a consistency model's own keys: accepted when the run or a stage uses it */
    expect_error(MINIMAL "[policy]\nwsp_wait_weight = 3\n", NULL, 0,
                 "exp.ini:7: policy.wsp_wait_weight is a key of consistency model wsp, which "
                 "neither policy.consistency (bsp) nor a stage uses");
    CU_ASSERT_EQUAL_FATAL(load_text(&c, MINIMAL "[policy]\nwsp_wait_weight = 3\n[stage.1]\n"
                                               "consistency = wsp\n", NULL, 0, &err), PS_OK);
    CU_ASSERT_EQUAL(ps_config_module_double(&c, "policy", "wsp_wait_weight"), 3);
    round_trip(&c);
    ps_config_free(&c);

    /* the reference marks the key with its model */
    f = open_memstream(&buf, &len);
    ps_config_print_reference(f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\n  l1              double  default: 0.01; in 0..1000\n"
                                       "      model lasso: "));
    free(buf);
}

static CU_TestInfo config_tests[] = {
    {"a model's own keys", test_module_keys},
    {"values and SI suffixes", test_values_and_suffixes},
    {"defaults", test_defaults},
    {"errors name file and line", test_errors_name_file_and_line},
    {"number syntax and ranges", test_number_syntax},
    {"overrides", test_overrides},
    {"write and reload", test_write_round_trip},
    {"reference lists every key", test_reference},
    {"quickstart experiment loads", test_quickstart},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"config", suite_init, suite_cleanup, NULL, NULL, config_tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
