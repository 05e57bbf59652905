/* Data sets: the generator is a pure function of (seed, index) with power-law
 * skew and sane labels; the LIBSVM reader loads good files and names the file and
 * line of every malformed one; splits are deterministic, disjoint and complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/data/dataset.h"
#include "engine/data/dataset_impl.h"
#include "engine/core/rng.h"
#include "tests/unit/cu_main.h"

static ps_ctr_params params(uint64_t seed)
{
    return (ps_ctr_params){.seed = seed, .n_features = 100000, .nnz = 20, .zipf = 1.1, .weight_scale = 1};
}

static void test_generator_deterministic(void)
{
    ps_ctr_params p = params(1), q = params(2);
    ps_dataset *a, *b, *c, *shifted;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&a, &p, 0, 1000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&b, &p, 0, 1000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&c, &q, 0, 1000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&shifted, &p, 500, 500, NULL) == PS_OK);
    ps_row_buf b1 = {0}, b2 = {0};
    int differ = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        ps_row r1, r2;
        ps_dataset_row(a, i, &r1, &b1);
        ps_dataset_row(b, i, &r2, &b2);
        CU_ASSERT_EQUAL_FATAL(r1.nnz, r2.nnz);
        CU_ASSERT_EQUAL(memcmp(r1.idx, r2.idx, r1.nnz * sizeof *r1.idx), 0);
        CU_ASSERT_EQUAL(r1.label, r2.label);
        if (i >= 500) { /* row i of [0,1000) is row i-500 of [500,1000) */
            ps_dataset_row(shifted, i - 500, &r2, &b2);
            CU_ASSERT_EQUAL(memcmp(r1.idx, r2.idx, r1.nnz * sizeof *r1.idx), 0);
        }
        ps_dataset_row(c, i, &r2, &b2);
        differ += r1.nnz != r2.nnz || memcmp(r1.idx, r2.idx, r1.nnz * sizeof *r1.idx) != 0;
    }
    CU_ASSERT(differ > 900);
    ps_row_buf_free(&b1);
    ps_row_buf_free(&b2);
    ps_dataset_free(a);
    ps_dataset_free(b);
    ps_dataset_free(c);
    ps_dataset_free(shifted);
}

/* A model too large for a table of true weights computes them as it goes
 * (PS_TRUTH_TABLE_MAX): the very same labels. */
static void test_truth_without_table(void)
{
    ps_ctr_params p = params(3);
    ps_dataset *a, *b;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&a, &p, 0, 3000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_synthetic(&b, &p, 0, 3000, NULL) == PS_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->truth);
    free(b->truth);
    b->truth = NULL;
    ps_row_buf b1 = {0}, b2 = {0};
    int ones = 0;
    for (uint64_t i = 0; i < 3000; i++) {
        ps_row r1, r2;
        ps_dataset_row(a, i, &r1, &b1);
        ps_dataset_row(b, i, &r2, &b2);
        CU_ASSERT_EQUAL_FATAL(r1.nnz, r2.nnz);
        CU_ASSERT_EQUAL(r1.label, r2.label);
        ones += r1.label == 1.0f;
    }
    CU_ASSERT(ones > 300 && ones < 2700); /* labels that depend on the weights */
    ps_row_buf_free(&b1);
    ps_row_buf_free(&b2);
    ps_dataset_free(a);
    ps_dataset_free(b);
}

static void test_generator_shape(void)
{
    ps_ctr_params p = params(3);
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 20000, NULL) == PS_OK);
    ps_row_buf buf = {0};
    uint64_t head = 0, mid = 0, pos = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        ps_row r;
        ps_dataset_row(d, i, &r, &buf);
        CU_ASSERT_FATAL(r.nnz >= 1 && r.nnz <= p.nnz);
        for (uint32_t k = 0; k < r.nnz; k++) {
            CU_ASSERT_FATAL(r.idx[k] < p.n_features);
            if (k)
                CU_ASSERT_FATAL(r.idx[k - 1] < r.idx[k]);
            head += r.idx[k] == 0;
            mid += r.idx[k] == 1000;
        }
        pos += r.label > 0.5f;
    }
    CU_ASSERT(head > 50 * (mid + 1)); /* power law: feature 0 dwarfs feature 1000 */
    CU_ASSERT(pos > 20000 / 5 && pos < 20000 * 4 / 5);
    ps_row_buf_free(&buf);
    ps_dataset_free(d);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Rows' draws are sorted and merged as qsort and a merge of neighbours do it, on
 * both sides of the rank sort's limit of 64, with few and with many duplicates. */
static void test_sort_unique(void)
{
    ps_rng r;
    ps_rng_init(&r, 5, 0);
    uint32_t a[200], want[200];
    for (int trial = 0; trial < 3000; trial++) {
        uint32_t n = (uint32_t)ps_rng_below(&r, 130), range = 1u + (uint32_t)ps_rng_below(&r, 300);
        for (uint32_t i = 0; i < n; i++)
            a[i] = want[i] = (uint32_t)ps_rng_below(&r, range) * 0x01000193u;
        qsort(want, n, sizeof *want, cmp_u32);
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++)
            if (m == 0 || want[m - 1] != want[i])
                want[m++] = want[i];
        ps_sort_unique_u32(a, &n);
        CU_ASSERT_EQUAL_FATAL(n, m);
        CU_ASSERT_FATAL(memcmp(a, want, m * sizeof *a) == 0);
    }
}

static char *write_file(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/pslab-libsvm-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_libsvm_good(void)
{
    char *path = write_file("# comment\n+1 1:0.5 3:2\n\n-1 2:1 7:-1.5 # tail\n0 4:1\n1\n");
    ps_dataset *d;
    ps_err err;
    int rc = ps_dataset_load_libsvm(&d, path, 0, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    CU_ASSERT_FATAL(rc == PS_OK);
    CU_ASSERT_EQUAL(ps_dataset_rows(d), 4);
    CU_ASSERT_EQUAL(ps_dataset_features(d), 7);
    ps_row r;
    ps_row_buf buf = {0};
    ps_dataset_row(d, 1, &r, &buf);
    CU_ASSERT_EQUAL(r.nnz, 2);
    CU_ASSERT_EQUAL(r.idx[0], 1);
    CU_ASSERT_EQUAL(r.idx[1], 6);
    CU_ASSERT_EQUAL(r.val[1], -1.5f);
    CU_ASSERT_EQUAL(r.label, 0.0f);
    ps_dataset_row(d, 3, &r, &buf);
    CU_ASSERT_EQUAL(r.nnz, 0);
    CU_ASSERT_EQUAL(r.label, 1.0f);
    ps_dataset_free(d);
    unlink(path);
}

static void expect_bad(const char *text, uint32_t n_features, const char *line, const char *why)
{
    char *path = write_file(text), want[128];
    ps_dataset *d = NULL;
    ps_err err = {{0}};
    CU_ASSERT_EQUAL(ps_dataset_load_libsvm(&d, path, n_features, &err), PS_ERR);
    snprintf(want, sizeof want, "%s%s", path, line);
    if (!strstr(err.msg, want) || !strstr(err.msg, why))
        fprintf(stderr, "\n  wanted '%s' and '%s', got '%s'\n", want, why, err.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, why));
    unlink(path);
}

static void test_libsvm_errors(void)
{
    expect_bad("1 1:1\n2 1:1\n", 0, ":2:", "label");
    expect_bad("1 1:1\nx 1:1\n", 0, ":2:", "label");
    expect_bad("1 1:1\n1 3:1 2:1\n", 0, ":2:", "ascend");
    expect_bad("1 1:1\n1 3:1 3:1\n", 0, ":2:", "ascend");
    expect_bad("1 0:1\n", 0, ":1:", "index 0");
    expect_bad("1 1:1\n\n1 5\n", 0, ":3:", "':'");
    expect_bad("1 a:1\n", 0, ":1:", "index");
    expect_bad("1 -3:1\n", 0, ":1:", "index");
    expect_bad("1 2:abc\n", 0, ":1:", "value");
    expect_bad("1 2:nan\n", 0, ":1:", "value");
    expect_bad("1 2:inf\n", 0, ":1:", "value");
    expect_bad("1 9:1\n", 5, ":1:", "out of range");
    expect_bad("# only a comment\n\n", 0, "", "no examples");
    ps_dataset *d;
    ps_err err;
    CU_ASSERT_EQUAL(ps_dataset_load_libsvm(&d, "/nonexistent/x.svm", 0, &err), PS_ERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/x.svm"));
}

static void test_split(void)
{
    char text[20000] = "";
    for (int i = 0; i < 500; i++) {
        char line[40];
        snprintf(line, sizeof line, "%d %d:1\n", i % 2 ? 1 : -1, i + 1);
        strcat(text, line);
    }
    char *path = write_file(text);
    ps_dataset *all, *tr, *te, *tr2, *te2;
    CU_ASSERT_FATAL(ps_dataset_load_libsvm(&all, path, 0, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_split(all, 0.2, 9, &tr, &te, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_split(all, 0.2, 9, &tr2, &te2, NULL) == PS_OK);
    CU_ASSERT_EQUAL(ps_dataset_rows(te), 100);
    CU_ASSERT_EQUAL(ps_dataset_rows(tr), 400);
    int seen[500] = {0};
    ps_row_buf buf = {0};
    for (uint64_t i = 0; i < 100; i++) {
        ps_row r, r2;
        ps_dataset_row(te, i, &r, &buf);
        ps_dataset_row(te2, i, &r2, &buf);
        CU_ASSERT_EQUAL(r.idx[0], r2.idx[0]); /* deterministic */
        seen[r.idx[0]]++;
    }
    for (uint64_t i = 0; i < 400; i++) {
        ps_row r;
        ps_dataset_row(tr, i, &r, &buf);
        seen[r.idx[0]]++;
    }
    for (int i = 0; i < 500; i++)
        CU_ASSERT_EQUAL(seen[i], 1); /* disjoint and complete */
    ps_dataset *x, *y;
    CU_ASSERT_EQUAL(ps_dataset_split(all, 0.999999, 9, &x, &y, NULL), PS_ERR);
    ps_dataset_free(tr);
    ps_dataset_free(te);
    ps_dataset_free(tr2);
    ps_dataset_free(te2);
    ps_dataset_free(all);
    unlink(path);
}

/* The sampler's table gives exactly the computed feature: at both ends of every
 * bucket and next to them, and for a million random draws, over several skews and
 * feature counts; and it settles most draws where the skew is strong (else it
 * would save nothing). */
static void test_feature_table_exact(void)
{
    const double zipfs[] = {0.5, 0.9, 1.0, 1.1, 2.0};
    const uint32_t features[] = {10, 1000, 1000000};
    for (size_t zi = 0; zi < sizeof zipfs / sizeof *zipfs; zi++) {
        for (size_t fi = 0; fi < sizeof features / sizeof *features; fi++) {
            ps_ctr_params p = {.seed = 3, .n_features = features[fi], .nnz = 5, .zipf = zipfs[zi],
                               .weight_scale = 1};
            ps_dataset *d;
            CU_ASSERT_FATAL(ps_dataset_synthetic(&d, &p, 0, 10, NULL) == PS_OK);
            unsigned mismatches = 0;
            for (uint64_t b = 0; b < 65536; b++) {
                uint64_t first = b << 48, last = first | ((UINT64_C(1) << 48) - 1);
                const uint64_t xs[] = {first, first + 1, first + 2048, last - 2048, last - 1, last};
                for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
                    mismatches += ps_synth_feature(d, xs[i]) != ps_synth_feature_computed(d, xs[i]);
            }
            ps_rng r;
            ps_rng_init(&r, 11, zi * 10 + fi);
            unsigned settled = 0;
            for (int i = 0; i < 1000000; i++) {
                uint64_t x = ps_rng_u64(&r);
                mismatches += ps_synth_feature(d, x) != ps_synth_feature_computed(d, x);
                settled += d->draw_table[x >> 48] != UINT32_MAX;
            }
            CU_ASSERT_EQUAL(mismatches, 0);
            if (zipfs[zi] == 1.1 && features[fi] == 1000000)
                CU_ASSERT(settled > 650000); /* measured: 69% */
            if (features[fi] == 10)
                CU_ASSERT(settled > 990000);
            ps_dataset_free(d);
        }
    }
}

static CU_TestInfo tests[] = {
    {"true weights without their table", test_truth_without_table},
    {"generator is a pure function of seed and index", test_generator_deterministic},
    {"generator: sorted in-range features, power law, labels", test_generator_shape},
    {"generator: the feature table gives the computed features", test_feature_table_exact},
    {"generator: draws sorted with duplicates merged", test_sort_unique},
    {"libsvm: a good file", test_libsvm_good},
    {"libsvm: every malformed case names file and line", test_libsvm_errors},
    {"split: deterministic, disjoint, complete", test_split},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"dataset", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
