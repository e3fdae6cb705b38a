/* The measuring wrapper of bench/run.py: runs PROG ARGS... as its child,
 * waits for it with wait4 and writes "WALL USER SYS MAXRSS_KIB EXIT" to
 * RESULT_FILE; exits with PROG's exit status.
 *
 * usage: rusage RESULT_FILE PROG [ARGS...]
 *
 * Why not os.wait4 in Python directly: on exec, Linux folds the high-water
 * RSS of the process's previous memory image into its ru_maxrss (see
 * exec_mmap's setmax_mm_hiwater_rss). A child that Python spawns starts
 * from Python's image (vfork shares it), so every tool reported Python's
 * own peak (about 40 MiB) as its floor. Forked from this small program,
 * PROG's ru_maxrss is its own (this wrapper's image is under 2 MiB). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage RESULT_FILE PROG [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("rusage: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("rusage: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (f == NULL) {
        perror("rusage: result file");
        return 2;
    }
    fprintf(f, "%.6f %.6f %.6f %ld %d\n",
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_maxrss, code);
    fclose(f);
    return code;
}
