/* Validates a user's platform file before the real run loads it. SimGrid's parser
 * reports a bad file by throwing through C code, which aborts the process; so the
 * file is first loaded in a forked child, and its complaint becomes an ordinary
 * error naming the file and line. */
#define _GNU_SOURCE /* memmem */
#include "sim/platform.h"

#include "sim/host_order.h"

#include <simgrid/disk.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <xbt/dynar.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A complaint of pslab's own, told apart from SimGrid's by its first word. */
#define PS__OWN "pslab-check: "
/* Measured: 0.1 B/s runs, 0.05 B/s aborts ("The Impossible Did Happen"); the same
 * floor, with a margin, as platform.bandwidth's range in engine/core/config.c. */
#define PS__MIN_BANDWIDTH 1e3

static void ps__refuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PS__OWN, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(1);
}

/* "server 1" or "node 3": servers are the first nodes, node 0 among them. */
static const char *ps__who(int node, int servers, char *buf, size_t n)
{
    snprintf(buf, n, "%s %d", node && node < servers ? "server" : "node", node);
    return buf;
}

static void ps__check_host(sg_host_t h, int node, int servers)
{
    char who[64];
    double speed = sg_host_get_speed(h);
    if (!(speed > 0))
        ps__refuse("%s (%s) has speed %g flop/s: SimGrid cannot run a computation on it",
                   sg_host_get_name(h), ps__who(node, servers, who, sizeof who), speed);
    sg_disk_t *disks;
    unsigned nd;
    sg_host_get_disks(h, &nd, &disks);
    for (unsigned d = 0; d < nd; d++)
        if (!(sg_disk_read_bandwidth(disks[d]) > 0) || !(sg_disk_write_bandwidth(disks[d]) > 0))
            ps__refuse("disk %s of %s (%s) has read bandwidth %g and write bandwidth %g "
                       "B/s: both must be positive", sg_disk_get_name(disks[d]), sg_host_get_name(h),
                       ps__who(node, servers, who, sizeof who), sg_disk_read_bandwidth(disks[d]),
                       sg_disk_write_bandwidth(disks[d]));
    free(disks);
}

/* A message from a to b needs links, each of some bandwidth (an empty route between
 * two hosts is SimGrid's "no connecting path", raised mid-run as an abort). */
static void ps__check_route(sg_host_t a, int na, sg_host_t b, int nb, int servers,
                            xbt_dynar_t links)
{
    char wa[64], wb[64];
    xbt_dynar_reset(links);
    sg_host_get_route(a, b, links);
    if (xbt_dynar_is_empty(links))
        ps__refuse("no route from %s (%s) to %s (%s): every node must reach every "
                   "server and be reached by it", sg_host_get_name(a),
                   ps__who(na, servers, wa, sizeof wa), sg_host_get_name(b),
                   ps__who(nb, servers, wb, sizeof wb));
    unsigned i;
    sg_link_t l;
    xbt_dynar_foreach (links, i, l)
        if (!(sg_link_get_bandwidth(l) >= PS__MIN_BANDWIDTH))
            ps__refuse("link %s, on the route from %s (%s) to %s (%s), has bandwidth "
                       "%g B/s: SimGrid 3.32's solver fails below 1 kB/s (as "
                       "platform.bandwidth's range says)", sg_link_get_name(l),
                       sg_host_get_name(a), ps__who(na, servers, wa, sizeof wa),
                       sg_host_get_name(b), ps__who(nb, servers, wb, sizeof wb),
                       sg_link_get_bandwidth(l));
}

/* What a run of `nodes` nodes, the first `servers` of them servers, needs of the
 * loaded platform: messages go between each node and each server (node 0, the
 * coordinator and the multi-task scheduler, is server 0), both ways. Nodes map to
 * hosts as the sim backend maps them (sim/host_order.h). */
static void ps__check_loaded(int nodes, int servers)
{
    size_t n;
    sg_host_t *h = ps_sim_sorted_hosts(&n);
    if (!h)
        ps__refuse("it has no host");
    for (int i = 0; i < nodes && (size_t)i < n; i++)
        ps__check_host(h[i], i, servers);
    xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
    for (int s = 0; s < servers && s < nodes; s++)
        for (int i = 0; i < nodes; i++) {
            sg_host_t hs = h[(size_t)s % n], hi = h[(size_t)i % n];
            if (hs == hi || (i < servers && i < s))
                continue; /* the same host, or a pair of servers already seen */
            ps__check_route(hi, i, hs, s, servers, links);
            ps__check_route(hs, s, hi, i, servers, links);
        }
    xbt_dynar_free(&links);
    free(h);
}

/* What a child loads: SimGrid's options (argv[0] first), then the platform when
 * path is set, checked for a run of `nodes` nodes when nodes > 0. */
typedef struct ps__job {
    int argc;
    char **argv;
    const char *path;
    int nodes, servers;
} ps__job;

/* Any exit() in the child is SimGrid refusing the file (success is _exit(0)): end
 * there, before the exit handlers inherited from the parent (a fuzzer's reports
 * an exit as a crash). */
static void ps__exit_refused(void) { _exit(1); }

static void check_in_child(const ps__job *job, int fd)
{
    atexit(ps__exit_refused);
    /* SimGrid's refusal is an abort: let it end this child plainly, not through
     * handlers inherited from the parent (a fuzzer's would report a crash) */
    const int fatal[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
        signal(fatal[i], SIG_DFL);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    int argc = job->argc;
    simgrid_init(&argc, job->argv);
    if (job->path)
        simgrid_load_platform(job->path);
    if (job->path && job->nodes > 0) {
        /* routes are complete only once the platform is sealed (a Cluster zone's
         * hosts without links of their own get theirs then): a run with no actor
         * seals it and returns at once */
        simgrid_run();
        ps__check_loaded(job->nodes, job->servers);
    }
    _exit(0);
}

/* SimGrid's message, without its log prefix ("[0.000000] file.cpp:95: [cat/ERROR] ")
 * or the C++ exception's name ("Uncaught exception std::out_of_range: "). */
static const char *strip_log_prefix(const char *line)
{
    const char *p = strstr(line, "] ");
    const char *q = p ? strstr(p + 2, "] ") : NULL;
    line = q ? q + 2 : line;
    if (strncmp(line, "Uncaught exception ", 19) == 0 && strstr(line, ": "))
        line = strstr(line, ": ") + 2;
    return line;
}

/* Runs job in a child; PS_OK if it loaded, else PS_ERR with the child's first line
 * of output in out (every byte is read, so that a long complaint cannot block it). */
static int ps__run_child(const ps__job *job, char *out, size_t cap)
{
    int fds[2];
    out[0] = '\0';
    if (pipe(fds))
        return snprintf(out, cap, "pipe failed: %s", strerror(errno)), PS_ERR;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return snprintf(out, cap, "fork failed: %s", strerror(errno)), PS_ERR;
    }
    if (pid == 0) {
        close(fds[0]);
        check_in_child(job, fds[1]);
    }
    close(fds[1]);
    size_t n = 0;
    char rest[4096];
    for (;;) {
        char *to = n + 1 < cap ? out + n : rest; /* past cap: read and drop */
        ssize_t got = read(fds[0], to, to == rest ? sizeof rest : cap - 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (to != rest)
            n += (size_t)got;
    }
    out[n] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PS_OK;
    /* the first error line says it (before it, the options' INFO lines; after
     * it, "Exiting now." or a backtrace) */
    char *line = out;
    for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (memmem(l, len, "/CRITICAL] ", 11) || memmem(l, len, "/ERROR] ", 8)) {
            line = l;
            break;
        }
    }
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    memmove(out, line, strlen(line) + 1);
    return PS_ERR;
}

int ps_platform_validate(const char *path, int nodes, int servers, ps_err *err)
{
    char *argv[] = {"pslab", NULL};
    ps__job job = {1, argv, path, nodes, servers};
    char out[4096];
    if (ps__run_child(&job, out, sizeof out) == PS_OK)
        return PS_OK;
    if (strncmp(out, PS__OWN, strlen(PS__OWN)) == 0)
        return ps_err_set(err, "platform file %s: %s", path, out + strlen(PS__OWN));
    return ps_err_set(err, "platform file %s is not a valid SimGrid platform: %s", path,
                      out[0] ? strip_log_prefix(out) : "SimGrid refused it");
}

int ps_sim_options_validate(int argc, char **argv, ps_err *err)
{
    ps__job job = {argc, argv, NULL, 0, 0};
    char out[4096], given[1024] = "";
    if (ps__run_child(&job, out, sizeof out) == PS_OK)
        return PS_OK;
    for (int i = 1; i < argc; i++)
        snprintf(given + strlen(given), sizeof given - strlen(given), "%s%s", i > 1 ? " " : "",
                 argv[i]);
    return ps_err_set(err, "SimGrid refuses the options %s: %s", given,
                      out[0] ? strip_log_prefix(out) : "it exited without saying why");
}
