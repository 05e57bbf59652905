/* Convergence plots: reads each run's metrics.csv, checks it line by line, and
 * feeds gnuplot one script through a pipe with the data inline as datablocks, so
 * no temporary data files are needed and odd paths cannot break the script. */
#include "plots/plot.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* metrics.csv (engine/ps/outputs.c): time_s,stage,iteration, then the model's
 * metrics, named for it (loss, accuracy, rmse, objective, ...), then the staleness
 * statistics. The first two metrics are plotted, against time and against the
 * iteration counted over every stage. */
#define PS_PLOT_FIXED "time_s,stage,iteration"
#define PS_PLOT_METRICS 2

typedef struct row {
    double time_s;
    long stage, iteration;
    double metric[PS_PLOT_METRICS];
} row;

typedef struct run_data {
    char name[256];
    char metric_names[PS_PLOT_METRICS][32];
    int n_metrics;
    row *rows;
    size_t n, cap;
    long stage_offset, last_stage, last_iteration; /* the iteration over every stage */
} run_data;

/* ---- reading a run directory ---- */

static int parse_real(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end == s || *end ? PS_ERR : PS_OK;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(s, &end, 10);
    return end == s || *end || errno == ERANGE ? PS_ERR : PS_OK;
}

/* Splits line in place on commas into exactly n fields. Returns the field count. */
static int split_csv(char *line, char **fields, int n)
{
    int k = 0;
    for (char *p = line;; p++) {
        if (k < n)
            fields[k] = p;
        k++;
        p = strchr(p, ',');
        if (!p)
            return k;
        *p = '\0';
    }
}

static int parse_row(char *line, row *r, const run_data *d, const char *path, long lineno,
                     ps_err *err)
{
    const char *names[3 + PS_PLOT_METRICS] = {"time_s", "stage", "iteration"};
    for (int i = 0; i < d->n_metrics; i++)
        names[3 + i] = d->metric_names[i];
    char *f[3 + PS_PLOT_METRICS];
    int want = 3 + d->n_metrics, k = split_csv(line, f, want);
    if (k < want) /* later columns (more metrics, staleness) are not plotted */
        return ps_err_set(err, "%s:%ld: expected at least %d comma-separated fields, got %d",
                          path, lineno, want, k);
    int bad = parse_real(f[0], &r->time_s)      ? 0
              : parse_long(f[1], &r->stage)     ? 1
              : parse_long(f[2], &r->iteration) ? 2
                                                : -1;
    for (int i = 0; bad < 0 && i < d->n_metrics; i++)
        if (parse_real(f[3 + i], &r->metric[i]))
            bad = 3 + i;
    if (bad >= 0)
        return ps_err_set(err, "%s:%ld: field %s is not %s: '%s'", path, lineno, names[bad],
                          bad == 1 || bad == 2 ? "an integer" : "a number", f[bad]);
    return PS_OK;
}

/* The header: the fixed columns, then the metrics' names (up to the staleness
 * columns); at least one metric. */
static int parse_header(char *line, run_data *d, const char *path, ps_err *err)
{
    size_t n = strlen(PS_PLOT_FIXED);
    if (strncmp(line, PS_PLOT_FIXED, n) != 0 || line[n] != ',')
        return ps_err_set(err, "%s:1: expected a header '%s,METRIC...', got '%.200s'", path,
                          PS_PLOT_FIXED, line);
    char *f[3 + PS_PLOT_METRICS];
    int k = split_csv(line, f, 3 + PS_PLOT_METRICS);
    for (int i = 3; i < k && i < 3 + PS_PLOT_METRICS; i++) {
        if (strncmp(f[i], "staleness_", 10) == 0)
            break;
        if (!f[i][0] || strlen(f[i]) >= sizeof d->metric_names[0])
            return ps_err_set(err, "%s:1: column %d has no usable name", path, i + 1);
        snprintf(d->metric_names[d->n_metrics++], sizeof d->metric_names[0], "%s", f[i]);
    }
    if (d->n_metrics == 0)
        return ps_err_set(err, "%s:1: the header names no metric after '%s'", path, PS_PLOT_FIXED);
    return PS_OK;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int push_row(run_data *d, const row *r, ps_err *err)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        row *p = realloc(d->rows, cap * sizeof *p);
        if (!p)
            return ps_err_set(err, "out of memory reading %zu rows", d->n);
        d->rows = p;
        d->cap = cap;
    }
    d->rows[d->n++] = *r;
    return PS_OK;
}

/* Line 1 must be the header; every later non-empty line one evaluation point. */
static int read_lines(FILE *f, run_data *d, const char *path, ps_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = PS_OK;
    while (rc == PS_OK && getline(&line, &cap, f) >= 0) {
        chomp(line);
        row r;
        if (++lineno == 1) {
            rc = parse_header(line, d, path, err);
        } else if (line[0] && (rc = parse_row(line, &r, d, path, lineno, err)) == PS_OK) {
            if (d->n && r.stage != d->last_stage) /* a stage's clocks follow the last's */
                d->stage_offset += d->last_iteration;
            d->last_stage = r.stage;
            d->last_iteration = r.iteration;
            r.iteration += d->stage_offset;
            rc = push_row(d, &r, err);
        }
    }
    free(line);
    if (rc == PS_OK && ferror(f))
        rc = ps_err_set(err, "%s: read error: %s", path, strerror(errno));
    if (rc == PS_OK && lineno == 0)
        rc = ps_err_set(err, "%s:1: empty file, expected a header '%s,METRIC...'", path,
                        PS_PLOT_FIXED);
    if (rc == PS_OK && d->n == 0)
        rc = ps_err_set(err, "%s:%ld: no data rows after the header", path, lineno + 1);
    return rc;
}

static int read_metrics(const char *dir, run_data *d, ps_err *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/metrics.csv", dir) >= sizeof path)
        return ps_err_set(err, "%s: path too long", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ps_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    int rc = read_lines(f, d, path, err);
    fclose(f);
    return rc;
}

/* Copies at most len-1 bytes; a long run name is cut rather than refused. */
static void copy_str(char *out, size_t len, const char *s)
{
    size_t n = strnlen(s, len - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

static void basename_of(const char *dir, char *out, size_t len)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    if (start == end) /* "/" itself */
        start = 0;
    copy_str(out, len < end - start + 1 ? len : end - start + 1, dir + start);
}

/* The run's own name from summary.txt's first line, else the directory's name. */
static void read_name(const char *dir, char *out, size_t len)
{
    char path[4096], line[512];
    basename_of(dir, out, len);
    if ((size_t)snprintf(path, sizeof path, "%s/summary.txt", dir) >= sizeof path)
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(line, sizeof line, f) && strncmp(line, "name: ", 6) == 0) {
        chomp(line);
        if (line[6])
            copy_str(out, len, line + 6);
    }
    fclose(f);
}

/* ---- writing the gnuplot script ---- */

/* A gnuplot single-quoted string: only '' needs escaping; control characters are
 * replaced because a newline would end the command. */
static void gp_quote(FILE *g, const char *s)
{
    fputc('\'', g);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("''", g);
        else
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, g);
    }
    fputc('\'', g);
}

static void gp_real(FILE *g, double v)
{
    if (isfinite(v))
        fprintf(g, " %.17g", v);
    else
        fputs(" NaN", g); /* gnuplot skips it: a diverged point does not break the plot */
}

static void write_datablocks(FILE *g, const run_data *runs, int n)
{
    for (int i = 0; i < n; i++) {
        fprintf(g, "$run%d << EOD\n", i);
        for (size_t k = 0; k < runs[i].n; k++) {
            const row *r = &runs[i].rows[k];
            gp_real(g, r->time_s);
            fprintf(g, " %ld", r->iteration);
            for (int m = 0; m < runs[i].n_metrics; m++)
                gp_real(g, r->metric[m]);
            fputc('\n', g);
        }
        fputs("EOD\n", g);
    }
}

typedef struct panel {
    char title[96];
    const char *xlabel, *ylabel, *key;
    int xcol, ycol; /* columns of the datablocks: 1 time, 2 iteration, 3.. the metrics */
} panel;

/* Metrics that fall as a model learns get their key top right, others bottom right. */
static int falls(const char *metric)
{
    return strcmp(metric, "accuracy") != 0 && strcmp(metric, "purity") != 0 &&
           strcmp(metric, "support_f1") != 0;
}

/* Each metric against time and against the iteration: 2 or 4 panels. */
static int make_panels(const run_data *r, panel *p)
{
    int n = 0;
    for (int m = 0; m < r->n_metrics; m++)
        for (int x = 1; x <= 2; x++, n++) {
            snprintf(p[n].title, sizeof p[n].title, "%s vs %s", r->metric_names[m],
                     x == 1 ? "time" : "iteration");
            p[n].xlabel = x == 1 ? "time (s)" : "iteration (over every stage)";
            p[n].ylabel = r->metric_names[m];
            p[n].key = falls(r->metric_names[m]) ? "top right" : "bottom right";
            p[n].xcol = x;
            p[n].ycol = 3 + m;
        }
    return n;
}

static int column_has_data(const run_data *runs, int n, int col)
{
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < runs[i].n; k++)
            if (isfinite(runs[i].rows[k].metric[col - 3]))
                return 1;
    return 0;
}

/* gnuplot refuses a plot whose points are all undefined; an empty framed panel
 * with a note says the same thing without failing the whole figure. */
static void write_empty_panel(FILE *g, const panel *p)
{
    fprintf(g, "unset key\nset xrange [0:1]\nset yrange [0:1]\nset label 1 'no finite %s values' "
               "at graph 0.5, graph 0.5 center\nplot 2 notitle\n"
               "unset label 1\nset autoscale\n",
            p->ylabel);
}

static void write_panel(FILE *g, const panel *p, const run_data *runs, int n)
{
    fprintf(g, "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\nset key %s\n", p->title,
            p->xlabel, p->ylabel, p->key);
    if (!column_has_data(runs, n, p->ycol)) {
        write_empty_panel(g, p);
        return;
    }
    fputs("plot ", g);
    for (int i = 0; i < n; i++) {
        fprintf(g, "%s$run%d using %d:%d with linespoints lw 2 pt 7 ps 0.5 title ",
                i ? ", \\\n     " : "", i, p->xcol, p->ycol);
        gp_quote(g, runs[i].name);
    }
    fputc('\n', g);
}

static void write_figure(FILE *g, const char *terminal, const char *output,
                         const run_data *runs, int n, const char *title)
{
    fprintf(g, "set terminal %s\nset output ", terminal);
    gp_quote(g, output);
    panel panels[2 * PS_PLOT_METRICS];
    int n_panels = make_panels(&runs[0], panels);
    fprintf(g, "\nset multiplot layout %d,2 title ", n_panels / 2);
    gp_quote(g, title);
    /* offsets keep curves off the frame; an opaque key never hides a curve behind text */
    fputs(" font ',14'\nset grid\nset key box opaque samplen 2\n"
          "set offsets graph 0, graph 0.02, graph 0.05, graph 0.05\n", g);
    for (int i = 0; i < n_panels; i++)
        write_panel(g, &panels[i], runs, n);
    fputs("unset multiplot\nset output\n", g);
}

/* ---- running gnuplot ---- */

static int gnuplot_status(int status, const char *cmd, ps_err *err)
{
    if (status == -1)
        return ps_err_set(err, "gnuplot: waiting for '%s' failed: %s", cmd, strerror(errno));
    if (WIFSIGNALED(status))
        return ps_err_set(err, "gnuplot ('%s') was killed by signal %d", cmd, WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return ps_err_set(err, "gnuplot not found: the shell could not run '%s' (install "
                               "gnuplot, e.g. gnuplot-nox, or set PSLAB_GNUPLOT)", cmd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ps_err_set(err, "gnuplot ('%s') failed with exit status %d; its messages are "
                               "above", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return PS_OK;
}

/* Writing to a gnuplot that died would raise SIGPIPE and kill us; ignoring it for
 * the duration turns that into a write error, and pclose reports why. */
static int run_gnuplot(const run_data *runs, int n, const char *title, const char *png,
                       const char *svg, ps_err *err)
{
    const char *cmd = getenv("PSLAB_GNUPLOT");
    if (!cmd || !*cmd)
        cmd = "gnuplot";
    struct sigaction ign = {0}, old;
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    fflush(NULL); /* the child must not inherit and re-flush our buffered output */
    FILE *g = popen(cmd, "w");
    int rc;
    if (!g) {
        rc = ps_err_set(err, "cannot start '%s': %s", cmd, strerror(errno));
    } else {
        write_datablocks(g, runs, n);
        write_figure(g, "pngcairo size 1400,1000 font ',11' noenhanced", png, runs, n, title);
        write_figure(g, "svg size 1400,1000 font 'sans,11' noenhanced background rgb 'white'",
                     svg, runs, n, title);
        fputs("exit\n", g);
        rc = gnuplot_status(pclose(g), cmd, err);
    }
    sigaction(SIGPIPE, &old, NULL);
    return rc;
}

/* ---- outputs ---- */

/* Creating the file ourselves first gives a clear error for an unwritable path,
 * instead of a gnuplot message. */
static int touch(const char *path, ps_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ps_err_set(err, "%s: cannot write: %s", path, strerror(errno));
    fclose(f);
    return PS_OK;
}

/* gnuplot can exit 0 and still write nothing (e.g. a terminal that failed to open). */
static int publish(const char *tmp, const char *final, ps_err *err)
{
    struct stat st;
    if (stat(tmp, &st) != 0 || st.st_size == 0)
        return ps_err_set(err, "%s: gnuplot wrote no output", final);
    if (rename(tmp, final) != 0)
        return ps_err_set(err, "%s: cannot rename %s into place: %s", final, tmp,
                          strerror(errno));
    return PS_OK;
}

typedef struct out_paths {
    char png[4096], svg[4096], png_tmp[4200], svg_tmp[4200];
} out_paths;

/* A prefix that names a directory (or ends in '/') means the default name in it:
 * DIR/convergence.png, not DIR/.png. */
static int make_paths(const char *prefix, out_paths *o, ps_err *err)
{
    struct stat sb;
    size_t n = strlen(prefix);
    int dir = n > 0 && (prefix[n - 1] == '/' || (stat(prefix, &sb) == 0 && S_ISDIR(sb.st_mode)));
    const char *sep = dir && prefix[n - 1] != '/' ? "/" : "", *name = dir ? "convergence" : "";
    if ((size_t)snprintf(o->png, sizeof o->png, "%s%s%s.png", prefix, sep, name) >= sizeof o->png ||
        (size_t)snprintf(o->svg, sizeof o->svg, "%s%s%s.svg", prefix, sep, name) >= sizeof o->svg)
        return ps_err_set(err, "%s: output prefix too long", prefix);
    /* Temporary names keep an earlier good plot in place until the new one is done. */
    snprintf(o->png_tmp, sizeof o->png_tmp, "%s.tmp", o->png);
    snprintf(o->svg_tmp, sizeof o->svg_tmp, "%s.tmp", o->svg);
    return PS_OK;
}

static int plot_loaded(const run_data *runs, int n, const char *prefix, const char *title,
                       ps_err *err)
{
    out_paths o;
    if (make_paths(prefix, &o, err) || touch(o.png_tmp, err))
        return PS_ERR;
    int rc = touch(o.svg_tmp, err);
    if (rc == PS_OK)
        rc = run_gnuplot(runs, n, title, o.png_tmp, o.svg_tmp, err);
    if (rc == PS_OK)
        rc = publish(o.png_tmp, o.png, err);
    if (rc == PS_OK)
        rc = publish(o.svg_tmp, o.svg, err);
    remove(o.png_tmp);
    remove(o.svg_tmp);
    return rc;
}

int ps_plot_runs(const char *const *run_dirs, int n_runs, const char *out_prefix,
                 const char *title, ps_err *err)
{
    if (n_runs < 1)
        return ps_err_set(err, "plot: no run directories given");
    run_data *runs = calloc((size_t)n_runs, sizeof *runs);
    if (!runs)
        return ps_err_set(err, "out of memory for %d runs", n_runs);
    int rc = PS_OK;
    for (int i = 0; i < n_runs && rc == PS_OK; i++) {
        read_name(run_dirs[i], runs[i].name, sizeof runs[i].name);
        rc = read_metrics(run_dirs[i], &runs[i], err);
    }
    for (int i = 1; i < n_runs && rc == PS_OK; i++) /* one figure: the same metrics */
        if (runs[i].n_metrics != runs[0].n_metrics ||
            memcmp(runs[i].metric_names, runs[0].metric_names, sizeof runs[0].metric_names) != 0)
            rc = ps_err_set(err, "%s measures %s%s%s, %s measures %s%s%s: plot runs of one model "
                            "together", run_dirs[i], runs[i].metric_names[0],
                            runs[i].n_metrics > 1 ? "," : "", runs[i].metric_names[1], run_dirs[0],
                            runs[0].metric_names[0], runs[0].n_metrics > 1 ? "," : "",
                            runs[0].metric_names[1]);
    if (rc == PS_OK)
        rc = plot_loaded(runs, n_runs, out_prefix, title ? title : "convergence", err);
    for (int i = 0; i < n_runs; i++)
        free(runs[i].rows);
    free(runs);
    return rc;
}

/* ---- command line ---- */

static const char plot_usage[] =
    "usage: pslab plot RUN_DIR... [-o PREFIX] [--title T]\n"
    "Plots the convergence of one or more runs (each RUN_DIR holds metrics.csv and\n"
    "summary.txt): the model's first two metrics (loss and accuracy for lr, rmse for\n"
    "mf, ...) against time and iteration, one series per run; runs of one model.\n"
    "\n"
    "  -o, --output PREFIX  writes PREFIX.png and PREFIX.svg (a directory: DIR/convergence.png)\n"
    "                       (default: <first RUN_DIR>/convergence)\n"
    "  --title T            figure title (default: convergence)\n"
    "  -h, --help           this text\n"
    "\n"
    "gnuplot must be installed; PSLAB_GNUPLOT overrides the command that is run.\n";

typedef struct plot_args {
    const char **dirs;
    int n_dirs;
    const char *prefix, *title;
} plot_args;

/* Options may come before, between or after the run directories; "--" ends them. */
static int parse_plot_args(int argc, char **argv, plot_args *a, ps_err *err)
{
    int options = 1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (options && !strcmp(s, "--")) {
            options = 0;
        } else if (options && (!strcmp(s, "-o") || !strcmp(s, "--output") ||
                               !strcmp(s, "--title"))) {
            if (i + 1 >= argc)
                return ps_err_set(err, "%s: missing value", s);
            *(s[2] == 't' ? &a->title : &a->prefix) = argv[++i];
        } else if (options && s[0] == '-' && s[1]) {
            return ps_err_set(err, "unknown option '%s' (see pslab plot --help)", s);
        } else {
            a->dirs[a->n_dirs++] = s;
        }
    }
    if (a->n_dirs == 0)
        return ps_err_set(err, "no run directories given (see pslab plot --help)");
    return PS_OK;
}

static int plot_with_args(const plot_args *a, ps_err *err)
{
    char prefix[4096];
    if (a->prefix)
        snprintf(prefix, sizeof prefix, "%s", a->prefix);
    else if ((size_t)snprintf(prefix, sizeof prefix, "%s/convergence", a->dirs[0]) >=
             sizeof prefix)
        return ps_err_set(err, "%s: path too long", a->dirs[0]);
    out_paths o;
    if (make_paths(prefix, &o, err) || ps_plot_runs(a->dirs, a->n_dirs, prefix, a->title, err))
        return PS_ERR;
    printf("%s\n%s\n", o.png, o.svg);
    return PS_OK;
}

int ps_plot_main(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(plot_usage, stdout);
            return 0;
        }
    plot_args a = {calloc((size_t)argc, sizeof(char *)), 0, NULL, NULL};
    if (!a.dirs) {
        fputs("pslab plot: out of memory\n", stderr);
        return 1;
    }
    ps_err err = {{0}};
    int code = 0;
    if (parse_plot_args(argc, argv, &a, &err))
        code = 2;
    else if (plot_with_args(&a, &err))
        code = 1;
    if (code)
        fprintf(stderr, "pslab plot: %s\n", err.msg);
    free(a.dirs);
    return code;
}
