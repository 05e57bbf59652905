/* Natural order of platform hosts (sim/host_order.h). */
#include "sim/host_order.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int natural_cmp(const char *x, const char *y)
{
    while (*x && *y) {
        if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
            while (*x == '0' && isdigit((unsigned char)x[1]))
                x++;
            while (*y == '0' && isdigit((unsigned char)y[1]))
                y++;
            size_t nx = strspn(x, "0123456789"), ny = strspn(y, "0123456789");
            if (nx != ny)
                return nx < ny ? -1 : 1;
            int c = strncmp(x, y, nx);
            if (c)
                return c;
            x += nx, y += ny;
        } else if (*x != *y) {
            return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
        } else {
            x++, y++;
        }
    }
    return *x ? 1 : *y ? -1 : 0;
}

static int host_cmp(const void *p, const void *q)
{
    const char *x = sg_host_get_name(*(sg_host_t const *)p), *y = sg_host_get_name(*(sg_host_t const *)q);
    int c = natural_cmp(x, y);
    return c ? c : strcmp(x, y); /* h01 vs h1: still a total order */
}

sg_host_t *ps_sim_sorted_hosts(size_t *count)
{
    *count = sg_host_count();
    if (*count == 0)
        return NULL;
    sg_host_t *hosts = sg_host_list();
    qsort(hosts, *count, sizeof *hosts, host_cmp);
    return hosts;
}
