/* Per-epoch permutations of a worker's rows: each is a bijection of 0 .. n-1,
 * a pure function of (seed, worker, epoch), and epochs and workers differ. */
#include <stdlib.h>
#include <string.h>

#include "engine/ps/batch_order.h"
#include "tests/unit/cu_main.h"

static void test_bijection(void)
{
    uint64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 1000, 4097, 33333};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        unsigned char *seen = calloc(n, 1);
        uint64_t fixed = 0;
        for (uint64_t p = 0; p < n; p++) {
            uint64_t r = ps_batch_order_row(7, 3, 2, p, n);
            CU_ASSERT_FATAL(r < n);
            CU_ASSERT(!seen[r]);
            seen[r] = 1;
            fixed += r == p;
            CU_ASSERT_EQUAL(r, ps_batch_order_row(7, 3, 2, p, n)); /* pure */
        }
        if (n >= 1000)
            CU_ASSERT(fixed < n / 20); /* shuffled, not the identity */
        free(seen);
    }
}

static void test_epochs_and_workers_differ(void)
{
    uint64_t n = 5000, same_epoch = 0, same_worker = 0, same_seed = 0;
    for (uint64_t p = 0; p < n; p++) {
        uint64_t r = ps_batch_order_row(7, 3, 2, p, n);
        same_epoch += r == ps_batch_order_row(7, 3, 3, p, n);
        same_worker += r == ps_batch_order_row(7, 4, 2, p, n);
        same_seed += r == ps_batch_order_row(8, 3, 2, p, n);
    }
    CU_ASSERT(same_epoch < 50 && same_worker < 50 && same_seed < 50);
}

static CU_TestInfo tests[] = {
    {"a bijection of 0 .. n-1, shuffled", test_bijection},
    {"epochs, workers and seeds differ", test_epochs_and_workers_differ},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"batch_order", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
