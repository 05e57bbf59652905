/* Injected stragglers: the slow set has exactly round(fraction * n) workers, is a
 * function of the seed alone, and slow iterations come at the asked rate. */
#include <math.h>
#include <stdlib.h>

#include "engine/ps/straggler.h"
#include "tests/unit/cu_main.h"

static ps_config cfg;

static void setup(void)
{
    ps_config_init_defaults(&cfg);
    cfg.seed = 7;
    cfg.straggler_fraction = 0.25;
    cfg.straggler_factor = 3;
}

static void teardown(void) { ps_config_free(&cfg); }

static int count_slow(const double *f, int n, double factor)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        CU_ASSERT(f[i] == 1.0 || f[i] == factor);
        k += f[i] == factor;
    }
    return k;
}

static void test_fixed_set(void)
{
    double *a, *b, *c;
    ps_err err;
    CU_ASSERT_EQUAL_FATAL(ps_stragglers_fixed(&cfg, 32, &a, &err), PS_OK);
    CU_ASSERT_EQUAL_FATAL(ps_stragglers_fixed(&cfg, 32, &b, &err), PS_OK);
    CU_ASSERT_EQUAL(count_slow(a, 32, 3), 8);
    int same = 1, differ = 0;
    for (int i = 0; i < 32; i++)
        same &= a[i] == b[i];
    CU_ASSERT_TRUE(same);
    cfg.seed = 8;
    CU_ASSERT_EQUAL_FATAL(ps_stragglers_fixed(&cfg, 32, &c, &err), PS_OK);
    for (int i = 0; i < 32; i++)
        differ |= a[i] != c[i];
    CU_ASSERT_TRUE(differ);
    cfg.straggler_fraction = 0;
    free(c);
    CU_ASSERT_EQUAL_FATAL(ps_stragglers_fixed(&cfg, 32, &c, &err), PS_OK);
    CU_ASSERT_EQUAL(count_slow(c, 32, 3), 0);
    free(a);
    free(b);
    free(c);
}

static void test_slow_iterations(void)
{
    CU_ASSERT_EQUAL(ps_straggler_iteration(&cfg, 0, 0), 1.0);
    cfg.straggler_iteration_prob = 0.1;
    cfg.straggler_iteration_factor = 5;
    int slow = 0;
    for (int w = 0; w < 100; w++)
        for (int c = 0; c < 100; c++) {
            double f = ps_straggler_iteration(&cfg, w, c);
            CU_ASSERT(f == 1.0 || f == 5.0);
            slow += f == 5.0;
            CU_ASSERT_EQUAL(f, ps_straggler_iteration(&cfg, w, c)); /* pure */
        }
    CU_ASSERT(slow > 850 && slow < 1150); /* 1000 expected, sd 30 */
}

static CU_TestInfo tests[] = {
    {"fixed slow set from the seed", test_fixed_set},
    {"random slow iterations", test_slow_iterations},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"stragglers", NULL, NULL, setup, teardown, tests},
    CU_SUITE_INFO_NULL,
};

PS_CUNIT_MAIN(suites)
