/* pslab sweep: every point of a sweep as its own `pslab run`, up to N at a time.
 * The sweep file is a config whose [sweep] section lists `section.key = v1, v2, ...`
 * (mode = grid: the cross product; zip: aligned lists; repeat = K: each point with
 * seeds 1 .. K; target_loss = X: time to the first evaluation at or below it); the
 * rest of the file is every point's config. DIR gets a run directory per point,
 * sweep.csv (a row per point: its values, status, final metrics, time to the
 * target) and a plot of the points as series. A failed point is reported and the
 * others go on. */
#include "engine/tools/sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/interrupt.h"
#include "plots/plot.h"

#define SWEEP_MAX_KEYS 8
#define SWEEP_MAX_VALUES 64
#define SWEEP_MAX_POINTS 4096
#define SWEEP_NOT_RUN (-2) /* a point's status: the sweep was stopped before it */

typedef struct sweep_axis {
    char key[128];
    char *values[SWEEP_MAX_VALUES];
    int n;
} sweep_axis;

typedef struct sweep {
    sweep_axis axes[SWEEP_MAX_KEYS];
    int n_axes;
    int zip, repeat;
    double target_loss; /* NAN: none */
    int n_points;
} sweep;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* One "key = value" line of [sweep]; errors name the file and line. */
static int sweep_line(sweep *sw, char *line, const char *path, int lineno, ps_err *err)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return ps_err_set(err, "%s:%d: [sweep] expects key = value", path, lineno);
    *eq = '\0';
    char *key = trim(line), *val = trim(eq + 1);
    if (!strcmp(key, "mode")) {
        if (strcmp(val, "grid") && strcmp(val, "zip"))
            return ps_err_set(err, "%s:%d: sweep mode '%s': grid or zip", path, lineno, val);
        sw->zip = !strcmp(val, "zip");
    } else if (!strcmp(key, "repeat")) {
        char *end;
        long r = strtol(val, &end, 10);
        if (*end || r < 1 || r > 1000)
            return ps_err_set(err, "%s:%d: sweep repeat '%s': a count in 1..1000", path, lineno,
                              val);
        sw->repeat = (int)r;
    } else if (!strcmp(key, "target_loss")) {
        char *end;
        sw->target_loss = strtod(val, &end);
        if (*end || !isfinite(sw->target_loss))
            return ps_err_set(err, "%s:%d: sweep target_loss '%s' is not a number", path, lineno,
                              val);
    } else if (!strchr(key, '.')) {
        return ps_err_set(err, "%s:%d: unknown sweep key '%s' (mode, repeat, target_loss, or a "
                          "section.key to sweep)", path, lineno, key);
    } else {
        if (sw->n_axes == SWEEP_MAX_KEYS || strlen(key) >= sizeof sw->axes[0].key)
            return ps_err_set(err, "%s:%d: at most %d swept keys", path, lineno, SWEEP_MAX_KEYS);
        sweep_axis *a = &sw->axes[sw->n_axes++];
        snprintf(a->key, sizeof a->key, "%s", key);
        for (char *v = val, *comma; v; v = comma ? comma + 1 : NULL) {
            comma = strchr(v, ',');
            if (comma)
                *comma = '\0';
            if (a->n == SWEEP_MAX_VALUES)
                return ps_err_set(err, "%s:%d: at most %d values", path, lineno, SWEEP_MAX_VALUES);
            if (!*trim(v))
                return ps_err_set(err, "%s:%d: an empty value of %s", path, lineno, key);
            a->values[a->n++] = strdup(trim(v));
        }
        if (a->n == 0)
            return ps_err_set(err, "%s:%d: %s lists no value", path, lineno, key);
    }
    return PS_OK;
}

/* Splits FILE into its [sweep] section (parsed) and the rest, written to base. */
static int sweep_read(sweep *sw, const char *path, const char *base, ps_err *err)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return ps_err_set(err, "%s: %s", path, strerror(errno));
    FILE *out = fopen(base, "w");
    if (!out) {
        fclose(in);
        return ps_err_set(err, "cannot write %s: %s", base, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, in_sweep = 0, rc = PS_OK;
    while (rc == PS_OK && getline(&line, &cap, in) >= 0) {
        lineno++;
        char *t = trim(line);
        if (*t == '[')
            in_sweep = !strncmp(t, "[sweep]", 7);
        if (in_sweep) {
            fputc('\n', out); /* keeps the line numbers of the rest */
            if (*t && *t != '[' && *t != ';' && *t != '#')
                rc = sweep_line(sw, t, path, lineno, err);
        } else {
            fprintf(out, "%s\n", t);
        }
    }
    free(line);
    fclose(in);
    if (fclose(out) && rc == PS_OK)
        rc = ps_err_set(err, "cannot write %s", base);
    if (rc == PS_OK && sw->n_axes == 0 && sw->repeat <= 1)
        rc = ps_err_set(err, "%s: no [sweep] section with a section.key = v1, v2, ... line", path);
    return rc;
}

static int sweep_count(sweep *sw, const char *path, ps_err *err)
{
    long n = 1;
    for (int i = 0; i < sw->n_axes; i++) {
        if (sw->zip && sw->axes[i].n != sw->axes[0].n)
            return ps_err_set(err, "%s: mode = zip needs lists of one length (%s has %d values, "
                              "%s %d)", path, sw->axes[i].key, sw->axes[i].n, sw->axes[0].key,
                              sw->axes[0].n);
        n = sw->zip ? sw->axes[0].n : n * sw->axes[i].n;
    }
    n *= sw->repeat;
    if (n > SWEEP_MAX_POINTS)
        return ps_err_set(err, "%s: %ld points; at most %d", path, n, SWEEP_MAX_POINTS);
    sw->n_points = (int)n;
    return PS_OK;
}

/* Point p's value index on axis a, and its seed (0: the config's). */
static int point_index(const sweep *sw, int p, int a)
{
    int q = p / sw->repeat;
    if (sw->zip)
        return q;
    for (int i = sw->n_axes - 1; i > a; i--)
        q /= sw->axes[i].n;
    return q % sw->axes[a].n;
}

static pid_t point_start(const sweep *sw, int p, const char *self, const char *base,
                         const char *dir)
{
    char out[4200], log[4300], sets[SWEEP_MAX_KEYS + 1][256], name[200];
    const char *argv[10 + 2 * (SWEEP_MAX_KEYS + 1)];
    int n = 0;
    snprintf(out, sizeof out, "%s/point-%03d", dir, p);
    snprintf(log, sizeof log, "%s/point-%03d.log", dir, p);
    argv[n++] = self;
    argv[n++] = "run";
    argv[n++] = base;
    for (int a = 0; a < sw->n_axes; a++) {
        snprintf(sets[a], sizeof sets[a], "%s=%s", sw->axes[a].key,
                 sw->axes[a].values[point_index(sw, p, a)]);
        argv[n++] = "--set";
        argv[n++] = sets[a];
    }
    if (sw->repeat > 1) {
        snprintf(sets[SWEEP_MAX_KEYS], sizeof sets[0], "run.seed=%d", p % sw->repeat + 1);
        argv[n++] = "--set";
        argv[n++] = sets[SWEEP_MAX_KEYS];
    }
    /* the run's name, the plot's series: the point's values */
    size_t used = (size_t)snprintf(name, sizeof name, "run.name=p%d", p);
    for (int a = 0; a < sw->n_axes && used < sizeof name; a++)
        used += (size_t)snprintf(name + used, sizeof name - used, " %s", strchr(sets[a], '.') + 1);
    if (sw->repeat > 1 && used < sizeof name)
        snprintf(name + used, sizeof name - used, " seed=%d", p % sw->repeat + 1);
    name[sizeof "run.name=" - 1 + 150] = '\0'; /* within a name's 160 characters */
    for (char *c = name; *c; c++) /* a swept path's '/' may not be in a run's name */
        if (*c == '/')
            *c = '_';
    argv[n++] = "--set";
    argv[n++] = name;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
            _exit(127);
        execv(self, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* The value of "name: value" in a run's summary.txt, or "" */
static void summary_value(const char *run, const char *name, char *out, size_t n)
{
    char path[4300], line[512];
    snprintf(path, sizeof path, "%s/summary.txt", run);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    size_t len = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, name, len) && line[len] == ':') {
            snprintf(out, n, "%s", trim(line + len + 1));
            break;
        }
    if (f)
        fclose(f);
}

/* The first metric's name, from metrics.csv's header, and the time it first fell
 * to target or below ("" if never). */
static void time_to_target(const char *run, double target, char *metric, size_t mn, char *out,
                           size_t n)
{
    char path[4300], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/metrics.csv", run);
    out[0] = metric[0] = '\0';
    FILE *f = fopen(path, "r");
    for (int row = 0; f && getline(&line, &cap, f) >= 0; row++) {
        char *fields[4], *save;
        int k = 0;
        for (char *t = strtok_r(line, ",\n", &save); t && k < 4; t = strtok_r(NULL, ",\n", &save))
            fields[k++] = t;
        if (k < 4)
            continue;
        if (row == 0) {
            snprintf(metric, mn, "%s", fields[3]);
        } else if (isfinite(target) && strtod(fields[3], NULL) <= target) {
            snprintf(out, n, "%s", fields[0]);
            break;
        }
    }
    free(line);
    if (f)
        fclose(f);
}

/* A point's word in sweep.csv. */
static const char *point_status(int status)
{
    return status == 0                       ? "ok"
           : status == SWEEP_NOT_RUN         ? "not run"
           : status == 130 || status == 143 ? "interrupted"
                                             : "failed";
}

static int sweep_report(const sweep *sw, const char *dir, const int *status, ps_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "cannot write %s: %s", path, strerror(errno));
    char first[4200], metric[64], t[64];
    snprintf(first, sizeof first, "%s/point-%03d", dir, 0);
    time_to_target(first, NAN, metric, sizeof metric, t, sizeof t);
    fputs("point", f);
    for (int a = 0; a < sw->n_axes; a++)
        fprintf(f, ",%s", sw->axes[a].key);
    fprintf(f, "%s,status,final_%s,sim_time_s,time_to_target_s\n", sw->repeat > 1 ? ",seed" : "",
            metric[0] ? metric : "loss");
    for (int p = 0; p < sw->n_points; p++) {
        char run[4200], fin[64] = "", sim[64] = "", tt[64] = "", m[64];
        snprintf(run, sizeof run, "%s/point-%03d", dir, p);
        fprintf(f, "%d", p);
        for (int a = 0; a < sw->n_axes; a++)
            fprintf(f, ",%s", sw->axes[a].values[point_index(sw, p, a)]);
        if (sw->repeat > 1)
            fprintf(f, ",%d", p % sw->repeat + 1);
        if (status[p] == 0) {
            char name[80];
            snprintf(name, sizeof name, "final_%s", metric);
            summary_value(run, name, fin, sizeof fin);
            summary_value(run, "sim_time_s", sim, sizeof sim);
            time_to_target(run, sw->target_loss, m, sizeof m, tt, sizeof tt);
        }
        fprintf(f, ",%s,%s,%s,%s\n", point_status(status[p]), fin, sim, tt);
    }
    int bad = ferror(f);
    if (fclose(f) || bad)
        return ps_err_set(err, "error writing %s", path);
    return PS_OK;
}

/* Runs the points, at most jobs at a time; status[p] is the point's exit status.
 * Ctrl-C or SIGTERM stops the sweep: no point starts after it, the running ones
 * stop cleanly (a terminal's Ctrl-C reaches them itself; a SIGTERM is passed on)
 * and are waited for, so that every file they wrote is whole. */
static void sweep_run_points(const sweep *sw, const char *self, const char *base, const char *dir,
                             int jobs, int *status)
{
    pid_t *pids = calloc((size_t)sw->n_points, sizeof *pids);
    int next = 0, running = 0, done = 0, stopping = 0;
    while (done < sw->n_points && pids) {
        int sig = ps_interrupt_signal();
        while (!sig && next < sw->n_points && running < jobs) {
            pids[next] = point_start(sw, next, self, base, dir);
            status[next] = pids[next] > 0 ? -1 : 127;
            running += pids[next] > 0;
            done += pids[next] <= 0;
            next++;
        }
        if (sig && !stopping) {
            stopping = 1;
            fprintf(stderr, "pslab sweep: %s: stopping the %d running point(s), starting none of "
                    "the %d left\n", ps_interrupt_name(sig), running, sw->n_points - next);
            for (int p = 0; sig == SIGTERM && p < next; p++)
                if (status[p] == -1)
                    kill(pids[p], SIGTERM);
            for (; next < sw->n_points; next++, done++)
                status[next] = SWEEP_NOT_RUN;
        }
        if (running == 0)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid == 0) { /* polled, so that a signal is seen while points run */
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        for (int p = 0; p < next; p++)
            if (pids[p] == pid) {
                status[p] = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
                const char *word = point_status(status[p]);
                fprintf(stderr, "pslab sweep: point %d %s\n", p,
                        !strcmp(word, "ok") ? "done" : !strcmp(word, "failed")
                                                           ? "FAILED (see its .log)" : word);
                running--;
                done++;
            }
    }
    free(pids);
}

int ps_sweep_main(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: pslab sweep FILE [--out DIR] [--jobs N]\n"
                 "Runs every point of FILE's [sweep] section (section.key = v1, v2, ...;\n"
                 "mode = grid | zip; repeat = K; target_loss = X) as a run under DIR\n"
                 "(default runs/sweep-NAME), N at a time (default: the cores), and writes\n"
                 "DIR/sweep.csv and DIR/sweep.png, .svg. Exit 1 if a point failed.");
            return 0;
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
            jobs = atoi(argv[++i]);
            if (jobs < 1 || jobs > 256) {
                fprintf(stderr, "pslab sweep: --jobs wants 1..256, not '%s'\n", argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            fprintf(stderr, "pslab sweep: unexpected '%s' (pslab sweep --help)\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        fputs("pslab sweep: no sweep file (pslab sweep --help)\n", stderr);
        return 2;
    }
    char dir[4096], base[4200], self[4096];
    const char *stem = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    snprintf(dir, sizeof dir, "%s", out ? out : "");
    if (!out)
        snprintf(dir, sizeof dir, "runs/sweep-%.*s", (int)strcspn(stem, "."), stem);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ps_err err;
    sweep sw = {.repeat = 1, .target_loss = NAN};
    int rc = n > 0 ? PS_OK : ps_err_set(&err, "cannot find this program (/proc/self/exe)");
    if (rc == PS_OK) {
        self[n] = '\0';
        if (access(dir, F_OK) == 0)
            rc = ps_err_set(&err, "%s already exists; choose another --out", dir);
        else if (mkdir(dir, 0777) && errno != EEXIST)
            rc = ps_err_set(&err, "cannot create %s: %s", dir, strerror(errno));
    }
    snprintf(base, sizeof base, "%s/base.ini", dir);
    if (rc == PS_OK)
        rc = sweep_read(&sw, file, base, &err);
    if (rc == PS_OK)
        rc = sweep_count(&sw, file, &err);
    int failed = 0, stopped = 0;
    if (rc == PS_OK) {
        int *status = calloc((size_t)sw.n_points, sizeof *status);
        ps_interrupt_install(-1);
        sweep_run_points(&sw, self, base, dir, jobs, status);
        stopped = ps_interrupt_signal();
        ps_interrupt_uninstall();
        const char **ok = calloc((size_t)sw.n_points, sizeof *ok);
        char (*runs)[4200] = calloc((size_t)sw.n_points, sizeof *runs);
        int n_ok = 0;
        for (int p = 0; p < sw.n_points; p++) {
            failed += status[p] != 0;
            snprintf(runs[p], sizeof runs[p], "%s/point-%03d", dir, p);
            if (status[p] == 0)
                ok[n_ok++] = runs[p];
        }
        rc = sweep_report(&sw, dir, status, &err);
        char prefix[4200];
        snprintf(prefix, sizeof prefix, "%s/sweep", dir);
        if (rc == PS_OK && n_ok)
            rc = ps_plot_runs(ok, n_ok, prefix, "sweep", &err);
        free(ok);
        free(runs);
        free(status);
        printf("pslab sweep: %s: %d points, %d failed%s; %s/sweep.csv\n", dir, sw.n_points, failed,
               stopped ? " or stopped" : "", dir);
    }
    for (int a = 0; a < sw.n_axes; a++)
        for (int v = 0; v < sw.axes[a].n; v++)
            free(sw.axes[a].values[v]);
    if (rc) {
        fprintf(stderr, "pslab sweep: %s\n", err.msg);
        return 2;
    }
    return stopped ? 128 + stopped : failed ? 1 : 0;
}
