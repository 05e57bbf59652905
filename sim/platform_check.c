/* Validates a user's platform file before the real run loads it. SimGrid's parser
 * reports a bad file by throwing through C code, which aborts the process; so the
 * file is first loaded in a forked child, and its complaint becomes an ordinary
 * error naming the file and line. */
#include "sim/platform.h"

#include <simgrid/engine.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void check_in_child(const char *path, int fd)
{
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    int argc = 1;
    char *argv[] = {"pslab", NULL};
    simgrid_init(&argc, argv);
    simgrid_load_platform(path);
    _exit(0);
}

/* SimGrid's message, without its log prefix ("[0.000000] file.cpp:95: [cat/ERROR] "). */
static const char *strip_log_prefix(const char *line)
{
    const char *p = strstr(line, "] ");
    const char *q = p ? strstr(p + 2, "] ") : NULL;
    return q ? q + 2 : line;
}

int ps_platform_validate(const char *path, ps_err *err)
{
    int fds[2];
    if (pipe(fds))
        return ps_err_set(err, "%s: cannot check the platform: pipe failed", path);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return ps_err_set(err, "%s: cannot check the platform: fork failed", path);
    }
    if (pid == 0) {
        close(fds[0]);
        check_in_child(path, fds[1]);
    }
    close(fds[1]);
    char out[4096] = "";
    size_t n = 0;
    ssize_t got;
    while ((got = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PS_OK;
    /* the first line is the parse error; later ones are "Exiting now." */
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    return ps_err_set(err, "platform file %s is not a valid SimGrid platform: %s", path,
                      out[0] ? strip_log_prefix(out) : "SimGrid refused it");
}
