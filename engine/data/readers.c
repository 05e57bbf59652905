/* The file readers other than LIBSVM's, and the choice among them; see readers.h. */
#include "engine/data/readers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "engine/data/dataset_impl.h"

/* ---- LIBSVM: train and test agree on the features ----------------------------- */

static int load_libsvm(const ps_config *cfg, ps_dataset **train, ps_dataset **test,
                       ps_dataset **all, ps_err *err)
{
    /* data.features = 0: the files say; else every index must fit it */
    uint32_t nf = (uint32_t)cfg->features;
    if (!*cfg->test_path)
        return ps_dataset_load_libsvm(all, cfg->path, nf, err) ||
                       ps_dataset_split(*all, cfg->test_fraction, cfg->seed, train, test, err)
                   ? PS_ERR
                   : PS_OK;
    if (ps_dataset_load_libsvm(train, cfg->path, nf, err) ||
        ps_dataset_load_libsvm(test, cfg->test_path, nf, err))
        return PS_ERR;
    /* a test file may use features the training file never does (a1a / a1a.t) */
    uint32_t wide = (*train)->n_features > (*test)->n_features ? (*train)->n_features
                                                               : (*test)->n_features;
    (*train)->n_features = (*test)->n_features = wide;
    return PS_OK;
}

/* ---- MovieLens ------------------------------------------------------------------ */

typedef struct raw_ratings {
    uint64_t n, cap;
    uint64_t *user, *item;
    float *rating;
} raw_ratings;

static int raw_push(raw_ratings *r, uint64_t u, uint64_t i, float v)
{
    if (r->n == r->cap) {
        uint64_t cap = r->cap ? 2 * r->cap : 4096;
        uint64_t *nu = realloc(r->user, cap * sizeof *nu);
        if (nu)
            r->user = nu;
        uint64_t *ni = nu ? realloc(r->item, cap * sizeof *ni) : NULL;
        if (ni)
            r->item = ni;
        float *nr = ni ? realloc(r->rating, cap * sizeof *nr) : NULL;
        if (!nr)
            return PS_ERR;
        r->rating = nr;
        r->cap = cap;
    }
    r->user[r->n] = u;
    r->item[r->n] = i;
    r->rating[r->n++] = v;
    return PS_OK;
}

static void raw_free(raw_ratings *r)
{
    free(r->user);
    free(r->item);
    free(r->rating);
}

static int parse_id(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-')
        return PS_ERR;
    *out = v;
    return PS_OK;
}

/* Splits line at sep (":: " or ","), trailing newline removed; returns the count. */
static int split_fields(char *line, const char *sep, char **f, int max)
{
    line[strcspn(line, "\r\n")] = '\0';
    int n = 0;
    size_t seplen = strlen(sep);
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *q = strstr(p, sep);
        if (!q)
            break;
        *q = '\0';
        p = q + seplen;
    }
    return n;
}

static int parse_rating_line(char *line, const char *sep, raw_ratings *r, ps_err *err)
{
    char *f[5];
    int n = split_fields(line, sep, f, 5);
    if (n < 3 || n > 4)
        return ps_err_set(err, "expected user%sitem%srating[%stimestamp], got %d field%s", sep,
                          sep, sep, n, n == 1 ? "" : "s");
    uint64_t u, i;
    if (parse_id(f[0], &u))
        return ps_err_set(err, "user id '%s' is not a non-negative integer", f[0]);
    if (parse_id(f[1], &i))
        return ps_err_set(err, "item id '%s' is not a non-negative integer", f[1]);
    char *end;
    double v = strtod(f[2], &end);
    if (end == f[2] || *end || !isfinite(v))
        return ps_err_set(err, "rating '%s' is not a finite number", f[2]);
    if (raw_push(r, u, i, (float)v))
        return ps_err_set(err, "out of memory");
    return PS_OK;
}

static int read_movielens(const char *path, raw_ratings *r, ps_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ps_err_set(err, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    const char *sep = NULL;
    int rc = PS_OK;
    while (rc == PS_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue; /* blank */
        if (!sep) { /* the first line tells the layout */
            sep = strstr(line, "::") ? "::" : ",";
            if (*sep == ',' && strncmp(line, "userId,movieId,rating", 21) == 0)
                continue;
            if (*sep == ',') {
                line[strcspn(line, "\r\n")] = '\0';
                rc = ps_err_set(err, "%s:1: neither user::item::rating::timestamp nor the CSV "
                                "header userId,movieId,rating,timestamp: '%.60s'", path, line);
                break;
            }
        }
        if (parse_rating_line(line, sep, r, err))
            rc = ps_err_prefix(err, "%s:%lu: ", path, lineno);
    }
    if (rc == PS_OK && ferror(f))
        rc = ps_err_set(err, "%s: read error: %s", path, strerror(errno));
    if (rc == PS_OK && r->n == 0)
        rc = ps_err_set(err, "%s: no ratings in the file", path);
    free(line);
    fclose(f);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct ids of a and b (ascending): a raw id's dense id is its rank. */
static uint64_t *distinct_ids(const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb,
                              uint64_t *n)
{
    uint64_t *ids = malloc((na + nb + 1) * sizeof *ids);
    if (!ids)
        return NULL;
    memcpy(ids, a, na * sizeof *ids);
    if (nb)
        memcpy(ids + na, b, nb * sizeof *ids);
    qsort(ids, na + nb, sizeof *ids, cmp_u64);
    uint64_t m = 0;
    for (uint64_t i = 0; i < na + nb; i++)
        if (m == 0 || ids[m - 1] != ids[i])
            ids[m++] = ids[i];
    *n = m;
    return ids;
}

static uint32_t dense_id(const uint64_t *ids, uint64_t n, uint64_t raw)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < raw)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

static int ratings_dataset(const raw_ratings *r, const uint64_t *users, uint64_t n_users,
                           const uint64_t *items, uint64_t n_items, ps_dataset **out, ps_err *err)
{
    ps_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return ps_err_set(err, "out of memory");
    *d = (ps_dataset){.kind = PS_DATA_STORED, .rows = r->n, .users = (uint32_t)n_users,
                      .items = (uint32_t)n_items};
    d->row_ptr = malloc((r->n + 1) * sizeof *d->row_ptr);
    d->idx = malloc(2 * r->n * sizeof *d->idx);
    d->val = malloc(2 * r->n * sizeof *d->val);
    d->label = malloc(r->n * sizeof *d->label);
    if (!d->row_ptr || !d->idx || !d->val || !d->label) {
        ps_dataset_free(d);
        return ps_err_set(err, "out of memory for %llu ratings", (unsigned long long)r->n);
    }
    for (uint64_t i = 0; i <= r->n; i++)
        d->row_ptr[i] = 2 * i;
    for (uint64_t i = 0; i < r->n; i++) {
        d->idx[2 * i] = dense_id(users, n_users, r->user[i]);
        d->idx[2 * i + 1] = dense_id(items, n_items, r->item[i]);
        d->val[2 * i] = d->val[2 * i + 1] = 1.0f;
        d->label[i] = r->rating[i];
    }
    *out = d;
    return PS_OK;
}

int ps_dataset_load_movielens(const char *path, const char *test_path, ps_dataset **train,
                              ps_dataset **test, ps_err *err)
{
    raw_ratings tr = {0}, te = {0};
    uint64_t *users = NULL, *items = NULL, nu = 0, ni = 0;
    int rc = read_movielens(path, &tr, err);
    if (rc == PS_OK && test_path)
        rc = read_movielens(test_path, &te, err);
    if (rc == PS_OK) {
        users = distinct_ids(tr.user, tr.n, te.user, te.n, &nu);
        items = distinct_ids(tr.item, tr.n, te.item, te.n, &ni);
        if (!users || !items)
            rc = ps_err_set(err, "out of memory");
        else if (nu > UINT32_MAX || ni > UINT32_MAX)
            rc = ps_err_set(err, "%s: more than 2^32 users or items", path);
    }
    if (rc == PS_OK)
        rc = ratings_dataset(&tr, users, nu, items, ni, train, err);
    if (rc == PS_OK && test_path && ratings_dataset(&te, users, nu, items, ni, test, err)) {
        ps_dataset_free(*train);
        rc = PS_ERR;
    }
    raw_free(&tr);
    raw_free(&te);
    free(users);
    free(items);
    return rc;
}

/* ---- IDX -------------------------------------------------------------------------- */

static int idx_read(gzFile f, void *buf, size_t n)
{
    return gzread(f, buf, (unsigned)n) == (int)n ? PS_OK : PS_ERR;
}

/* Reads the total bytes a header promises, growing the buffer as they come, so
 * that a header promising gigabytes of a short file fails as cut short instead of
 * allocating them first; in chunks, as gzread counts in int. NULL: cut short, or
 * out of memory (*oom set). */
static uint8_t *idx_read_all(gzFile f, uint64_t total, int *oom)
{
    const size_t chunk = 64u << 20;
    uint8_t *data = NULL;
    size_t cap = 0, got = 0;
    *oom = 0;
    while (got < total) {
        size_t want = total - got < chunk ? (size_t)(total - got) : chunk;
        if (got + want > cap) {
            size_t ncap = cap ? 2 * cap : want;
            ncap = ncap < got + want ? got + want : ncap > total ? (size_t)total : ncap;
            uint8_t *p = realloc(data, ncap);
            if (!p) {
                *oom = 1;
                break;
            }
            data = p, cap = ncap;
        }
        if (idx_read(f, data + got, want))
            break;
        got += want;
    }
    if (got < total) {
        free(data);
        return NULL;
    }
    return data;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A u8 IDX file of magic `magic` (0x801: n, 0x803: n x rows x cols): its
 * counts and bytes. */
static int idx_load(const char *path, uint32_t magic, uint32_t *n, uint32_t *row_bytes,
                    uint8_t **data, ps_err *err)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ps_err_set(err, "%s: %s", path, strerror(errno ? errno : ENOMEM));
    uint8_t hdr[16];
    int dims = (int)(magic & 0xFF);
    int rc = idx_read(f, hdr, 4);
    if (rc == PS_OK && be32(hdr) != magic)
        rc = ps_err_set(err, "%s: magic 0x%08x, expected 0x%08x (IDX u8 with %d dimension%s)",
                        path, be32(hdr), magic, dims, dims == 1 ? "" : "s");
    else if (rc || idx_read(f, hdr + 4, 4 * (size_t)dims))
        rc = ps_err_set(err, "%s: shorter than an IDX header", path);
    uint64_t per = 1;
    if (rc == PS_OK) {
        *n = be32(hdr + 4);
        for (int i = 1; i < dims; i++)
            per *= be32(hdr + 4 + 4 * i);
        if (*n == 0 || per == 0 || per > 1u << 20 || (uint64_t)*n * per > (1ull << 34))
            rc = ps_err_set(err, "%s: %u records of %llu bytes: not a data set this reader takes",
                            path, *n, (unsigned long long)per);
    }
    int oom = 0;
    if (rc == PS_OK && !(*data = idx_read_all(f, (uint64_t)*n * per, &oom)))
        rc = oom ? ps_err_set(err, "%s: out of memory for %u records of %llu bytes", path, *n,
                              (unsigned long long)per)
                 : ps_err_set(err, "%s: cut short: fewer than the %u records of %llu bytes its "
                              "header promises", path, *n, (unsigned long long)per);
    gzclose(f);
    *row_bytes = (uint32_t)per;
    return rc;
}

static int parse_classes(const char *s, int *a, int *b, ps_err *err)
{
    *a = *b = -1;
    if (!*s)
        return PS_OK;
    if (sscanf(s, "%d,%d", a, b) != 2 || *a < 0 || *a > 255 || *b < 0 || *b > 255 || *a == *b)
        return ps_err_set(err, "data.classes = '%s': expected two different labels a,b in "
                          "0..255", s);
    return PS_OK;
}

int ps_dataset_load_idx(const char *images, const char *labels, const char *classes,
                        ps_dataset **out, ps_err *err)
{
    int ca, cb;
    uint32_t n = 0, n_lab = 0, bytes = 0, one = 0;
    uint8_t *px = NULL, *lab = NULL;
    if (parse_classes(classes, &ca, &cb, err) || idx_load(images, 0x803, &n, &bytes, &px, err))
        return PS_ERR;
    if (idx_load(labels, 0x801, &n_lab, &one, &lab, err)) {
        free(px);
        return PS_ERR;
    }
    int rc = n_lab != n ? ps_err_set(err, "%s has %u labels for the %u images of %s", labels,
                                     n_lab, n, images)
                        : PS_OK;
    ps_dataset *d = rc == PS_OK ? calloc(1, sizeof *d) : NULL;
    uint64_t kept = 0;
    if (rc == PS_OK && d)
        d->label = malloc((size_t)n * sizeof *d->label);
    if (rc == PS_OK && (!d || !d->label))
        rc = ps_err_set(err, "out of memory");
    for (uint32_t i = 0; rc == PS_OK && i < n; i++) {
        if (ca >= 0 && lab[i] != ca && lab[i] != cb)
            continue;
        memmove(px + kept * bytes, px + (size_t)i * bytes, bytes);
        d->label[kept++] = ca >= 0 ? (lab[i] == cb ? 1.0f : 0.0f) : (float)lab[i];
    }
    if (rc == PS_OK && kept == 0)
        rc = ps_err_set(err, "%s: no image has label %d or %d", labels, ca, cb);
    free(lab);
    if (rc) {
        free(px);
        if (d)
            free(d->label);
        free(d);
        return PS_ERR;
    }
    d->kind = PS_DATA_DENSE_U8;
    d->rows = kept;
    d->n_features = bytes;
    d->pixels = px;
    *out = d;
    return PS_OK;
}

/* ---- the choice --------------------------------------------------------------------- */

static int load_files(const ps_config *cfg, ps_dataset **train, ps_dataset **test,
                      ps_dataset **all, ps_err *err)
{
    int split = !*cfg->test_path;
    if (strcmp(cfg->source, "libsvm") == 0)
        return load_libsvm(cfg, train, test, all, err);
    if (strcmp(cfg->source, "movielens") == 0) {
        if (ps_dataset_load_movielens(cfg->path, split ? NULL : cfg->test_path,
                                      split ? all : train, test, err))
            return PS_ERR;
    } else if (strcmp(cfg->source, "idx") == 0) {
        if (ps_dataset_load_idx(cfg->path, cfg->labels, cfg->classes, split ? all : train, err) ||
            (!split && ps_dataset_load_idx(cfg->test_path, cfg->test_labels, cfg->classes, test,
                                           err)))
            return PS_ERR;
    } else {
        return ps_err_set(err, "data.source = %s is not a file format", cfg->source);
    }
    return split ? ps_dataset_split(*all, cfg->test_fraction, cfg->seed, train, test, err)
                 : PS_OK;
}

int ps_data_load_files(const ps_config *cfg, ps_dataset **train, ps_dataset **test,
                       ps_dataset **all, ps_err *err)
{
    *train = *test = *all = NULL;
    if (load_files(cfg, train, test, all, err) == PS_OK)
        return PS_OK;
    /* nothing half-loaded: views before the data they borrow */
    ps_dataset_free(*train);
    ps_dataset_free(*test);
    ps_dataset_free(*all);
    *train = *test = *all = NULL;
    return PS_ERR;
}
