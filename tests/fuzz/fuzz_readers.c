/* libFuzzer harness: every data reader (engine/data). The first byte picks one:
 * LIBSVM with the feature count inferred or fixed, MovieLens (either layout, with
 * and without a test file) and IDX images with labels (plain or gzip'd bytes are
 * told apart by the reader itself). The rest is the file; where a reader takes two
 * files, the input is cut in two at its second byte's fraction. What loads must
 * be a dataset whose every row can be read. */
#include "engine/data/dataset.h"
#include "engine/data/readers.h"
#include "tests/fuzz/fuzz_files.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(ps_dataset *d)
{
    if (!d)
        return;
    volatile double sum = 0;
    ps_row_buf buf = {0};
    for (uint64_t i = 0; i < ps_dataset_rows(d); i++) {
        ps_row r;
        ps_dataset_row(d, i, &r, &buf);
        for (uint32_t j = 0; j < r.nnz; j++)
            sum += r.val[j] + (double)r.idx[j];
        sum += r.label;
    }
    (void)sum;
    ps_row_buf_free(&buf);
    ps_dataset_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int which = data[0] % 5;
    size_t cut = 2 + (size - 2) * data[1] / 256;
    const uint8_t *a = data + 2, *b = data + cut;
    size_t na = cut - 2, nb = size - cut;
    ps_dataset *train = NULL, *test = NULL;
    ps_err err;
    switch (which) {
    case 0:
    case 1:
        if (ps_dataset_load_libsvm(&train, ps_fuzz_write(0, "data.svm", data + 2, size - 2),
                                   which ? 64 : 0, &err) == 0)
            read_all(train);
        break;
    case 2:
        if (ps_dataset_load_movielens(ps_fuzz_write(0, "ratings.dat", data + 2, size - 2), NULL,
                                      &train, &test, &err) == 0)
            read_all(train), read_all(test);
        break;
    case 3:
        if (ps_dataset_load_movielens(ps_fuzz_write(0, "train.csv", a, na),
                                      ps_fuzz_write(1, "test.csv", b, nb), &train, &test, &err) == 0)
            read_all(train), read_all(test);
        break;
    default:
        if (ps_dataset_load_idx(ps_fuzz_write(0, "images.idx", a, na),
                                ps_fuzz_write(1, "labels.idx", b, nb), (data[1] & 1) ? "0,1" : "",
                                &train, &err) == 0)
            read_all(train);
        break;
    }
    return 0;
}
