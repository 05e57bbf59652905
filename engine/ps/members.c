/* A stage's worker set and ranks; see members.h. */
#include "engine/ps/members.h"

#include <stdlib.h>
#include <string.h>

int ps_members_init(ps_members *m, int n_workers, ps_err *err)
{
    memset(m, 0, sizeof *m);
    m->member = malloc(sizeof(int) * (size_t)(n_workers > 0 ? n_workers : 1));
    m->rank_of = malloc(sizeof(int) * (size_t)(n_workers > 0 ? n_workers : 1));
    if (!m->member || !m->rank_of) {
        ps_members_free(m);
        return ps_err_set(err, "out of memory for a stage of %d workers", n_workers);
    }
    m->n_workers = n_workers;
    for (int w = 0; w < n_workers; w++)
        m->rank_of[w] = -1;
    return PS_OK;
}

void ps_members_free(ps_members *m)
{
    free(m->member);
    free(m->rank_of);
    memset(m, 0, sizeof *m);
}

static void members_clear(ps_members *m)
{
    for (int r = 0; r < m->n; r++)
        m->rank_of[m->member[r]] = -1;
    m->n = 0;
}

void ps_members_prefix(ps_members *m, int n)
{
    members_clear(m);
    for (int w = 0; w < n && w < m->n_workers; w++) {
        m->member[w] = w;
        m->rank_of[w] = w;
    }
    m->n = n < m->n_workers ? n : m->n_workers;
}

int ps_members_set(ps_members *m, const uint8_t *list, uint32_t len, int expected, ps_err *err)
{
    if (len != (uint32_t)expected * 4u)
        return ps_err_set(err, "a stage's worker list of %u bytes; the stage has %d workers",
                          len, expected);
    members_clear(m);
    for (int r = 0; r < expected; r++) {
        uint32_t w;
        memcpy(&w, list + 4 * (size_t)r, 4);
        if (w >= (uint32_t)m->n_workers || (r && (int)w <= m->member[r - 1])) {
            members_clear(m);
            return ps_err_set(err, "a stage's worker list names worker %u at rank %d: the "
                              "list must ascend within 0 .. %d", w, r, m->n_workers - 1);
        }
        m->member[r] = (int)w;
        m->rank_of[w] = r;
        m->n = r + 1;
    }
    return PS_OK;
}
