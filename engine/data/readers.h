/* Data read from files, by data.source: LIBSVM text (dataset_libsvm.c), MovieLens
 * ratings in both standard layouts, and the IDX files of MNIST and Fashion-MNIST
 * (readers.c). Every problem is reported with the file, the line (or record) and
 * what was wrong; nothing is half-loaded. */
#ifndef PS_READERS_H
#define PS_READERS_H

#include "engine/core/config.h"
#include "engine/data/dataset.h"

/* The training and held-out sets of cfg's files: data.path, and data.test_path
 * or a seeded split of data.test_fraction (*all is then the parent of both). */
int ps_data_load_files(const ps_config *cfg, ps_dataset **train, ps_dataset **test,
                       ps_dataset **all, ps_err *err);

/* MovieLens ratings: "user::item::rating::timestamp" lines (ML-1M, ML-10M), or a
 * CSV whose first line is the header userId,movieId,rating[,timestamp]
 * (ml-latest). User and item ids are remapped densely, in ascending order, over
 * both files (test_path may be NULL): a row is {user, item} with the rating as
 * its label. */
int ps_dataset_load_movielens(const char *path, const char *test_path, ps_dataset **train,
                              ps_dataset **test, ps_err *err);

/* IDX images (magic 0x803, u8 rows x cols) and their labels (0x801), plain or
 * gzip'd; a row is the image's pixels / 255 with the label. classes "a,b" keeps
 * the images of those two labels, relabelled 0 and 1 (for lr and svm); "" keeps
 * all. */
int ps_dataset_load_idx(const char *images, const char *labels, const char *classes,
                        ps_dataset **out, ps_err *err);

#endif
