/* The update rules' arithmetic, shared by the servers (server_table.c) and a worker
 * that keeps the model itself for a one-worker stage (direct model transfer), so
 * that both give the same bits. */
#ifndef PS_RULES_H
#define PS_RULES_H

/* The proximal L1 step: the delta that takes cur to soft(cur + d, tau) (-cur where
 * the threshold zeroes it, and cur + -cur is exactly 0). */
static inline float ps_l1_delta(float cur, float d, double tau)
{
    double x = (double)cur + d;
    return x > tau ? (float)(x - tau - cur) : x < -tau ? (float)(x + tau - cur) : -cur;
}

#endif
