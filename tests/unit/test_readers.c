/* The file readers (MovieLens in both layouts, IDX plain and gzip'd, LIBSVM's
 * train/test feature agreement) and the generators with known truth: good files
 * read back exactly, and every malformed one is an error naming the file, the line
 * or record, and the problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/data/readers.h"
#include "tests/unit/cu_main.h"

static char *write_tmp(const char *text, size_t len, int slot)
{
    static char paths[4][64];
    char *path = paths[slot];
    strcpy(path, "/tmp/pslab-readers-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, text, len) == (ssize_t)len);
    close(fd);
    return path;
}

static char *write_text(const char *text, int slot) { return write_tmp(text, strlen(text), slot); }

static void expect_error(int rc, const ps_err *err, const char *path, const char *where,
                         const char *why)
{
    char want[160];
    snprintf(want, sizeof want, "%s%s", path, where);
    CU_ASSERT_EQUAL(rc, PS_ERR);
    if (!strstr(err->msg, want) || !strstr(err->msg, why))
        fprintf(stderr, "\n  wanted '%s' and '%s', got '%s'\n", want, why, err->msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, why));
}

/* ML-1M's layout and ml-latest's CSV give the same ratings; ids are remapped
 * densely in ascending order over the training and test files together. */
static void test_movielens_layouts(void)
{
    const char *dcolon = "10::500::4::978300760\n3::7::2.5::978302109\n\n10::7::5::978301968\n";
    const char *csv = "userId,movieId,rating,timestamp\n10,500,4,978300760\n3,7,2.5,978302109\n"
                      "10,7,5,978301968\n";
    const char *test = "99::7::1::0\n";
    for (int layout = 0; layout < 2; layout++) {
        char *path = write_text(layout ? csv : dcolon, 0), *tpath = write_text(test, 1);
        ps_dataset *tr, *te;
        ps_err err;
        int rc = ps_dataset_load_movielens(path, tpath, &tr, &te, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        CU_ASSERT_FATAL(rc == PS_OK);
        uint32_t users, items;
        ps_dataset_ratings_dims(tr, &users, &items);
        CU_ASSERT_EQUAL(users, 3); /* 3, 10, 99 */
        CU_ASSERT_EQUAL(items, 2); /* 7, 500 */
        CU_ASSERT_EQUAL(ps_dataset_rows(tr), 3);
        ps_row r;
        ps_row_buf buf = {0};
        ps_dataset_row(tr, 0, &r, &buf);
        CU_ASSERT(r.nnz == 2 && r.idx[0] == 1 && r.idx[1] == 1 && r.label == 4.0f);
        ps_dataset_row(tr, 1, &r, &buf);
        CU_ASSERT(r.idx[0] == 0 && r.idx[1] == 0 && r.label == 2.5f);
        ps_dataset_row(te, 0, &r, &buf);
        CU_ASSERT(r.idx[0] == 2 && r.idx[1] == 0 && r.label == 1.0f);
        ps_row_buf_free(&buf);
        ps_dataset_free(tr);
        ps_dataset_free(te);
        unlink(path);
        unlink(tpath);
    }
}

static void expect_movielens_error(const char *text, const char *where, const char *why)
{
    char *path = write_text(text, 0);
    ps_dataset *tr = NULL, *te = NULL;
    ps_err err = {{0}};
    expect_error(ps_dataset_load_movielens(path, NULL, &tr, &te, &err), &err, path, where, why);
    unlink(path);
}

static void test_movielens_errors(void)
{
    expect_movielens_error("1::2::3::4\n1::2\n", ":2:", "got 2 fields");
    expect_movielens_error("1::x::3::4\n", ":1:", "item id 'x'");
    expect_movielens_error("1::2::nan::4\n", ":1:", "rating 'nan' is not a finite number");
    expect_movielens_error("-1::2::3::4\n", ":1:", "user id '-1'");
    expect_movielens_error("user,item,rating\n1,2,3\n", ":1:", "neither");
    expect_movielens_error("userId,movieId,rating,timestamp\n1,2,3,4,5,6\n", ":2:", "fields");
    expect_movielens_error("userId,movieId,rating,timestamp\n", "", "no ratings");
}

/* An IDX file of n records of `per` bytes: header, then byte i*per+j = f(i, j). */
static char *write_idx(uint32_t magic, uint32_t n, const uint32_t *dims, int nd, int gz,
                       size_t cut, int slot)
{
    size_t per = 1;
    for (int i = 0; i < nd; i++)
        per *= dims[i];
    size_t len = 4 + 4 * (size_t)(nd + 1) + n * per;
    unsigned char *b = malloc(len);
    b[0] = (unsigned char)(magic >> 24), b[1] = (unsigned char)(magic >> 16);
    b[2] = (unsigned char)(magic >> 8), b[3] = (unsigned char)magic;
    uint32_t all[4] = {n, nd > 0 ? dims[0] : 0, nd > 1 ? dims[1] : 0, 0};
    for (int i = 0; i <= nd; i++)
        for (int k = 0; k < 4; k++)
            b[4 + 4 * i + k] = (unsigned char)(all[i] >> (24 - 8 * k));
    size_t h = 4 + 4 * (size_t)(nd + 1);
    for (size_t i = 0; i < n * per; i++)
        b[h + i] = nd ? (unsigned char)(i * 7 % 256) : (unsigned char)(i % 3);
    len -= cut;
    char *path;
    if (!gz) {
        path = write_tmp((const char *)b, len, slot);
    } else {
        path = write_text("", slot);
        gzFile f = gzopen(path, "wb");
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT(gzwrite(f, b, (unsigned)len) == (int)len);
        gzclose(f);
    }
    free(b);
    return path;
}

static void test_idx(void)
{
    uint32_t img[2] = {2, 3};
    for (int gz = 0; gz < 2; gz++) {
        char *images = write_idx(0x803, 5, img, 2, gz, 0, 0);
        char *labels = write_idx(0x801, 5, NULL, 0, gz, 0, 1);
        ps_dataset *d;
        ps_err err;
        int rc = ps_dataset_load_idx(images, labels, "", &d, &err);
        if (rc)
            fprintf(stderr, "%s\n", err.msg);
        CU_ASSERT_FATAL(rc == PS_OK);
        CU_ASSERT_EQUAL(ps_dataset_rows(d), 5);
        CU_ASSERT_EQUAL(ps_dataset_features(d), 6);
        ps_row r;
        ps_row_buf buf = {0};
        ps_dataset_row(d, 2, &r, &buf);
        CU_ASSERT_EQUAL(r.nnz, 6);
        CU_ASSERT_EQUAL(r.label, 2.0f); /* record 2's label: 2 % 3 */
        CU_ASSERT_DOUBLE_EQUAL(r.val[1], (13 * 7 % 256) / 255.0, 1e-6);
        ps_dataset_free(d);
        /* classes 0,2: records 0, 2, 3 (labels 0, 2, 0) as labels 0, 1, 0 */
        CU_ASSERT_FATAL(ps_dataset_load_idx(images, labels, "0,2", &d, &err) == PS_OK);
        CU_ASSERT_EQUAL(ps_dataset_rows(d), 3);
        ps_dataset_row(d, 1, &r, &buf);
        CU_ASSERT_EQUAL(r.label, 1.0f);
        CU_ASSERT_DOUBLE_EQUAL(r.val[0], (12 * 7 % 256) / 255.0, 1e-6);
        ps_row_buf_free(&buf);
        ps_dataset_free(d);
        /* errors */
        char *short_images = write_idx(0x803, 5, img, 2, gz, 4, 2);
        rc = ps_dataset_load_idx(short_images, labels, "", &d, &err);
        expect_error(rc, &err, short_images, ": cut short", "5 records of 6 bytes");
        rc = ps_dataset_load_idx(labels, labels, "", &d, &err);
        expect_error(rc, &err, labels, ": magic 0x00000801, expected 0x00000803", "IDX");
        char *few = write_idx(0x801, 4, NULL, 0, gz, 0, 3);
        rc = ps_dataset_load_idx(images, few, "", &d, &err);
        expect_error(rc, &err, few, " has 4 labels for the 5 images", "");
        rc = ps_dataset_load_idx(images, labels, "3,3", &d, &err);
        expect_error(rc, &err, "data.classes = '3,3'", "", "two different labels");
        rc = ps_dataset_load_idx(images, labels, "7,9", &d, &err);
        expect_error(rc, &err, labels, ": no image has label 7 or 9", "");
        unlink(images);
        unlink(labels);
        unlink(short_images);
        unlink(few);
    }
}

/* A test file may use features the training file never does; with
 * data.features set, an index beyond it is an error naming the line. */
static void test_libsvm_train_test_features(void)
{
    char *tr = write_text("1 1:1 2:1\n0 2:1\n", 0), *te = write_text("1 1:1 9:1\n", 1);
    ps_config cfg;
    ps_config_init_defaults(&cfg);
    free(cfg.source);
    free(cfg.path);
    free(cfg.test_path);
    cfg.source = strdup("libsvm");
    cfg.path = strdup(tr);
    cfg.test_path = strdup(te);
    ps_dataset *train = NULL, *test = NULL, *all = NULL;
    ps_err err;
    CU_ASSERT_FATAL(ps_data_load_files(&cfg, &train, &test, &all, &err) == PS_OK);
    CU_ASSERT_EQUAL(ps_dataset_features(train), 9);
    CU_ASSERT_EQUAL(ps_dataset_features(test), 9);
    ps_dataset_free(train);
    ps_dataset_free(test);
    cfg.features = 5;
    int rc = ps_data_load_files(&cfg, &train, &test, &all, &err);
    expect_error(rc, &err, te, ":1:", "index 9 out of range (5 features)");
    cfg.features = 9;
    CU_ASSERT_FATAL(ps_data_load_files(&cfg, &train, &test, &all, &err) == PS_OK);
    CU_ASSERT_EQUAL(ps_dataset_features(train), 9);
    ps_dataset_free(train);
    ps_dataset_free(test);
    ps_config_free(&cfg);
    unlink(tr);
    unlink(te);
}

/* Ratings: ids in range, popular ids drawn more, labels mean + p.q + noise. */
static void test_ratings_generator(void)
{
    ps_gen_params p = {.kind = PS_GEN_RATINGS, .seed = 5, .users = 50, .items = 40, .rank = 4,
                       .zipf = 1.0, .noise = 0.01, .mean = 3};
    ps_dataset *d, *d2;
    CU_ASSERT_FATAL(ps_dataset_generated(&d, &p, 0, 4000, NULL) == PS_OK);
    CU_ASSERT_FATAL(ps_dataset_generated(&d2, &p, 0, 4000, NULL) == PS_OK);
    ps_row r, r2;
    ps_row_buf buf = {0}, buf2 = {0};
    uint32_t first = 0, last = 0;
    for (uint64_t i = 0; i < 4000; i++) {
        ps_dataset_row(d, i, &r, &buf);
        ps_dataset_row(d2, i, &r2, &buf2);
        CU_ASSERT(r.nnz == 2 && r.idx[0] < 50 && r.idx[1] < 40);
        CU_ASSERT(r.idx[0] == r2.idx[0] && r.idx[1] == r2.idx[1] && r.label == r2.label);
        double dot = 0;
        for (uint32_t j = 0; j < 4; j++)
            dot += ps_gen_true_factor(&p, 0, r.idx[0], j) * ps_gen_true_factor(&p, 1, r.idx[1], j);
        CU_ASSERT(fabs(r.label - 3 - dot) < 0.06); /* 6 sd of the noise */
        first += r.idx[0] == 0;
        last += r.idx[0] == 49;
    }
    CU_ASSERT(first > 5 * last); /* power law: user 0 is rated far more than user 49 */
    ps_row_buf_free(&buf);
    ps_row_buf_free(&buf2);
    ps_dataset_free(d);
    ps_dataset_free(d2);
}

/* Mixture: labels are clusters, rows lie around their cluster's centre. */
static void test_mixture_generator(void)
{
    ps_gen_params p = {.kind = PS_GEN_MIXTURE, .seed = 2, .dims = 5, .clusters = 3, .spread = 4};
    ps_dataset *d;
    CU_ASSERT_FATAL(ps_dataset_generated(&d, &p, 0, 3000, NULL) == PS_OK);
    CU_ASSERT_EQUAL(ps_dataset_features(d), 5);
    double sq = 0;
    int seen[3] = {0};
    ps_row r;
    ps_row_buf buf = {0};
    for (uint64_t i = 0; i < 3000; i++) {
        ps_dataset_row(d, i, &r, &buf);
        CU_ASSERT_FATAL(r.nnz == 5 && r.label >= 0 && r.label < 3);
        seen[(int)r.label]++;
        for (uint32_t j = 0; j < 5; j++) {
            double e = r.val[j] - ps_gen_true_centre(&p, (uint32_t)r.label, j);
            sq += e * e;
        }
    }
    CU_ASSERT(seen[0] > 800 && seen[1] > 800 && seen[2] > 800);
    CU_ASSERT_DOUBLE_EQUAL(sq / 3000, 5.0, 0.4); /* unit variance per dimension */
    ps_row_buf_free(&buf);
    ps_dataset_free(d);
}

static CU_TestInfo tests[] = {
    {"movielens: both layouts, ids remapped over train and test", test_movielens_layouts},
    {"movielens: malformed lines name file and line", test_movielens_errors},
    {"idx: plain and gzip'd, classes, malformed files", test_idx},
    {"libsvm: test features beyond train's; data.features honoured", test_libsvm_train_test_features},
    {"generator: ratings of a low-rank truth, power-law popularity", test_ratings_generator},
    {"generator: Gaussian mixture", test_mixture_generator},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {{"readers", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

PS_CUNIT_MAIN(suites)
