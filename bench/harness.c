/*
 * harness: exec commands many times and report per-exec wall time and peak RSS.
 *
 * Each case is one command (argv, environment, stdin). Two modes:
 *   interleaved (default, -j 1): round r runs case A, then B, then C, ... so every case sees the same
 *     machine state, and the ratio of two cases is taken round by round (median of per-round ratios);
 *   phased (-j J, J > 1): each case runs all its rounds with up to J processes in flight before the next
 *     case starts; reports the throughput of every phase as well.
 *
 * Strings (argv, env values, stdin) are templates: {k} is the round number, {line} the matching line of the
 * case's list file (-l, or the global -L), so each round can use a fresh container ID and namespace.
 *
 * Timing: CLOCK_MONOTONIC from just before posix_spawn to just after wait4 reaps the child; stdin, stdout and
 * stderr are anonymous memory files prepared before the clock starts. Peak RSS is wait4's ru_maxrss.
 *
 * Output (stdout, one record per line, tab separated key=value fields) is read by run.sh:
 *   case  label=L n=N fail=F med_us= p90_us= p99_us= min_us= max_us= mean_us= rss_max_kib= rss_med_kib=
 *   detail label=L cpu_us= minflt= csw= syscr= syscw= rchar= wchar= wbytes=   (medians per exec;
 *          CPU time, minor page faults, context switches, read/write syscalls and bytes, bytes sent to storage)
 *   ratio label=L base=B n=N med= p90=
 *   phase label=L n=N jobs=J wall_us= per_s=
 * Exit status: 0 all commands exited as expected; 1 some did not; 2 the harness itself failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CASES 32
#define MAX_ARGS 64
#define MAX_ENV 64
#define MAX_BASES 8
#define SHOW_FAILURES 3

struct sample {
    double us;
    long rss_kib;
    int ok;
    /* where the time went: rusage and /proc/PID/io of the exited child, read before it is reaped */
    double d[8];
};

/* CPU is user + system: the sum is exact (the split between the two is sampled at ticks, useless below 1 ms) */
enum { D_CPU, D_MINFLT, D_CSW, D_SYSCR, D_SYSCW, D_RCHAR, D_WCHAR, D_WBYTES, ND };
static const char *dname[ND] = {"cpu_us", "minflt", "csw", "syscr", "syscw", "rchar", "wchar", "wbytes"};

struct lines {
    char **v;
    size_t n;
};

struct kase {
    const char *label;
    const char *argv[MAX_ARGS];
    int argc;
    const char *env[MAX_ENV];
    int envc;
    char *stdin_tmpl; /* NULL: empty stdin */
    int expect;
    struct lines list;
    int has_list;
    struct sample *s; /* measured rounds only */
    size_t ns;
    size_t fails;
    size_t shown;
    double phase_wall_us;
};

static struct kase cases[MAX_CASES];
static int ncases;
static const char *bases[MAX_BASES];
static int nbases;
static long rounds = 200, warmup = 5, first_round = 0, jobs = 1;
static double time_limit_s = 0;
static int inherit_env;
static struct lines global_list;
static int has_global_list;
static FILE *raw;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("harness: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) die("out of memory");
        }
    }
    if (ferror(f)) die("cannot read %s", path);
    fclose(f);
    buf[len] = 0;
    return buf;
}

static void read_lines(const char *path, struct lines *out) {
    char *text = read_file(path);
    size_t cap = 64;
    out->v = xmalloc(cap * sizeof(char *));
    out->n = 0;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        if (*p) {
            if (out->n == cap) {
                cap *= 2;
                out->v = realloc(out->v, cap * sizeof(char *));
                if (!out->v) die("out of memory");
            }
            out->v[out->n++] = p;
        }
        if (!nl) break;
        p = nl + 1;
    }
}

/* Expand {k} and {line} in tmpl. The result is malloc'd. */
static char *expand(const char *tmpl, long k, const char *line) {
    char kbuf[32];
    snprintf(kbuf, sizeof kbuf, "%ld", k);
    size_t klen = strlen(kbuf), llen = line ? strlen(line) : 0;
    size_t cap = strlen(tmpl) + 1, n = 0;
    for (const char *p = tmpl; (p = strchr(p, '{')); p++) cap += klen + llen;
    char *out = xmalloc(cap);
    for (const char *p = tmpl; *p;) {
        if (p[0] == '{' && strncmp(p, "{k}", 3) == 0) {
            memcpy(out + n, kbuf, klen);
            n += klen;
            p += 3;
        } else if (p[0] == '{' && strncmp(p, "{line}", 6) == 0) {
            if (!line) die("template uses {line} but no list file was given");
            memcpy(out + n, line, llen);
            n += llen;
            p += 6;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    return out;
}

static int make_memfd(const char *name, const char *content) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) die("memfd_create: %s", strerror(errno));
    if (content) {
        size_t len = strlen(content), off = 0;
        while (off < len) {
            ssize_t w = write(fd, content + off, len - off);
            if (w < 0) {
                if (errno == EINTR) continue;
                die("write memfd: %s", strerror(errno));
            }
            off += (size_t)w;
        }
        lseek(fd, 0, SEEK_SET);
    }
    return fd;
}

static void dump_fd(const char *what, int fd) {
    char buf[2048];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    if (r <= 0) return;
    buf[r] = 0;
    fprintf(stderr, "  %s: %s%s", what, buf, buf[r - 1] == '\n' ? "" : "\n");
}

/* One prepared exec: everything built before the clock starts. */
struct job {
    int kase;
    long round; /* absolute round number ({k}) */
    long idx;   /* measured sample index, or -1 for a warm-up */
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ENV + 2];
    int in_fd, out_fd, err_fd;
    pid_t pid;
    double t0;
};

static const char *line_for(struct kase *c, long rel) {
    struct lines *l = c->has_list ? &c->list : has_global_list ? &global_list : NULL;
    if (!l) return NULL;
    if (rel < 0 || (size_t)rel >= l->n) die("case %s: list file has %zu lines, round %ld needs more", c->label, l->n, rel);
    return l->v[rel];
}

static void prepare(struct job *j, int ci, long rel, long idx) {
    struct kase *c = &cases[ci];
    long k = first_round + rel;
    const char *line = (c->has_list || has_global_list) ? line_for(c, rel) : NULL;
    j->kase = ci;
    j->round = k;
    j->idx = idx;
    for (int a = 0; a < c->argc; a++) j->argv[a] = expand(c->argv[a], k, line);
    j->argv[c->argc] = NULL;
    int e = 0;
    int has_path = 0;
    for (int a = 0; a < c->envc; a++) {
        j->envp[e++] = expand(c->env[a], k, line);
        if (strncmp(c->env[a], "PATH=", 5) == 0) has_path = 1;
    }
    if (!has_path) j->envp[e++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    j->envp[e] = NULL;
    char *in = c->stdin_tmpl ? expand(c->stdin_tmpl, k, line) : NULL;
    j->in_fd = make_memfd("stdin", in ? in : "");
    free(in);
    j->out_fd = make_memfd("stdout", NULL);
    j->err_fd = make_memfd("stderr", NULL);
}

static char **merged_env(struct job *j) {
    if (!inherit_env) return j->envp;
    /* environment of the harness, overridden by the case's variables */
    size_t n = 0;
    while (environ[n]) n++;
    size_t m = 0;
    while (j->envp[m]) m++;
    char **out = xmalloc((n + m + 1) * sizeof(char *));
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
        int overridden = 0;
        for (size_t x = 0; x < m; x++)
            if (strncmp(j->envp[x], environ[i], nl) == 0) overridden = 1;
        if (!overridden) out[o++] = environ[i];
    }
    for (size_t x = 0; x < m; x++) out[o++] = j->envp[x];
    out[o] = NULL;
    return out;
}

static void spawn(struct job *j) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, j->in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, j->out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, j->err_fd, 2);
    char **envp = merged_env(j);
    j->t0 = now_us();
    int rc = posix_spawn(&j->pid, j->argv[0], &fa, NULL, j->argv, envp);
    if (rc != 0) die("cannot exec %s: %s", j->argv[0], strerror(rc));
    posix_spawn_file_actions_destroy(&fa);
    if (envp != j->envp) free(envp);
    close(j->in_fd);
    j->in_fd = -1;
}

/* counters of an exited, not yet reaped child */
static void read_io(pid_t pid, double *d) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    d[D_SYSCR] = d[D_SYSCW] = d[D_RCHAR] = d[D_WCHAR] = d[D_WBYTES] = NAN;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    static const struct {
        const char *key;
        int idx;
    } keys[] = {{"rchar: ", D_RCHAR}, {"wchar: ", D_WCHAR}, {"syscr: ", D_SYSCR}, {"syscw: ", D_SYSCW},
                {"write_bytes: ", D_WBYTES}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *p = strstr(buf, keys[i].key);
        if (p) d[keys[i].idx] = strtod(p + strlen(keys[i].key), NULL);
    }
}

/* Wait for a child (pid, or any when pid is -1) to exit: returns its pid with the end time and counters taken
   before it is reaped, so reading /proc does not count in its wall time. */
static pid_t wait_exit(pid_t pid, double *t1, double *d, int *status, struct rusage *ru) {
    siginfo_t si;
    for (;;) {
        memset(&si, 0, sizeof si);
        int rc = waitid(pid < 0 ? P_ALL : P_PID, pid < 0 ? 0 : (id_t)pid, &si, WEXITED | WNOWAIT);
        if (rc == 0) break;
        if (errno != EINTR) die("waitid: %s", strerror(errno));
    }
    *t1 = now_us();
    read_io(si.si_pid, d);
    while (wait4(si.si_pid, status, 0, ru) < 0)
        if (errno != EINTR) die("wait4: %s", strerror(errno));
    d[D_CPU] = (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e6 + (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
    d[D_MINFLT] = (double)ru->ru_minflt;
    d[D_CSW] = (double)(ru->ru_nvcsw + ru->ru_nivcsw);
    return si.si_pid;
}

static void finish(struct job *j, int status, struct rusage *ru, double t1, const double *d) {
    struct kase *c = &cases[j->kase];
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int ok = code == c->expect;
    double us = t1 - j->t0;
    if (!ok) {
        c->fails++;
        if (c->shown < SHOW_FAILURES) {
            c->shown++;
            fprintf(stderr, "harness: case %s round %ld: exit %d (expected %d)\n", c->label, j->round, code, c->expect);
            dump_fd("stdout", j->out_fd);
            dump_fd("stderr", j->err_fd);
        }
    }
    if (j->idx >= 0) {
        struct sample *s = &c->s[j->idx];
        s->us = us;
        s->rss_kib = ru->ru_maxrss;
        s->ok = ok;
        memcpy(s->d, d, sizeof s->d);
        if ((size_t)j->idx + 1 > c->ns) c->ns = (size_t)j->idx + 1;
        if (raw) {
            fprintf(raw, "%s\t%ld\t%.1f\t%ld\t%d\t%.0f\t%.0f\n", c->label, j->round, us, ru->ru_maxrss, code,
                    d[D_CPU], d[D_MINFLT]);
        }
    }
    close(j->out_fd);
    close(j->err_fd);
    for (int a = 0; j->argv[a]; a++) free(j->argv[a]);
    for (int e = 0; j->envp[e]; e++) free(j->envp[e]);
}

static void run_one(int ci, long rel, long idx) {
    struct job j;
    prepare(&j, ci, rel, idx);
    spawn(&j);
    int status;
    struct rusage ru;
    double t1, d[ND];
    wait_exit(j.pid, &t1, d, &status, &ru);
    finish(&j, status, &ru, t1, d);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static double median_sorted(const double *v, size_t n) {
    if (n == 0) return NAN;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* nearest-rank percentile of a sorted array */
static double pct_sorted(const double *v, size_t n, double p) {
    if (n == 0) return NAN;
    size_t r = (size_t)ceil(p / 100.0 * (double)n);
    if (r < 1) r = 1;
    if (r > n) r = n;
    return v[r - 1];
}

static void report(void) {
    for (int ci = 0; ci < ncases; ci++) {
        struct kase *c = &cases[ci];
        size_t n = c->ns;
        double *t = xmalloc(n * sizeof(double));
        long *r = xmalloc(n * sizeof(long));
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            t[i] = c->s[i].us;
            r[i] = c->s[i].rss_kib;
            sum += t[i];
        }
        qsort(t, n, sizeof(double), cmp_double);
        qsort(r, n, sizeof(long), cmp_long);
        printf("case\tlabel=%s\tn=%zu\tfail=%zu\tmed_us=%.1f\tp90_us=%.1f\tp99_us=%.1f\tmin_us=%.1f\tmax_us=%.1f"
               "\tmean_us=%.1f\trss_max_kib=%ld\trss_med_kib=%ld\n",
               c->label, n, c->fails, median_sorted(t, n), pct_sorted(t, n, 90), pct_sorted(t, n, 99),
               n ? t[0] : NAN, n ? t[n - 1] : NAN, n ? sum / (double)n : NAN, n ? r[n - 1] : 0L,
               n ? r[n / 2] : 0L);
        printf("detail\tlabel=%s", c->label);
        for (int k = 0; k < ND; k++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (!isnan(c->s[i].d[k])) t[m++] = c->s[i].d[k];
            qsort(t, m, sizeof(double), cmp_double);
            printf("\t%s=%.0f", dname[k], median_sorted(t, m));
        }
        printf("\n");
        if (jobs > 1 && n)
            printf("phase\tlabel=%s\tn=%zu\tjobs=%ld\twall_us=%.1f\tper_s=%.1f\n", c->label, n, jobs, c->phase_wall_us,
                   (double)n / (c->phase_wall_us / 1e6));
        free(t);
        free(r);
    }
    if (jobs > 1) return; /* per-round ratios only mean something when rounds interleave */
    for (int b = 0; b < nbases; b++) {
        int bi = -1;
        for (int ci = 0; ci < ncases; ci++)
            if (strcmp(cases[ci].label, bases[b]) == 0) bi = ci;
        if (bi < 0) die("baseline %s is not a case", bases[b]);
        for (int ci = 0; ci < ncases; ci++) {
            size_t n = cases[ci].ns < cases[bi].ns ? cases[ci].ns : cases[bi].ns;
            double *q = xmalloc(n * sizeof(double));
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (cases[bi].s[i].us > 0) q[m++] = cases[ci].s[i].us / cases[bi].s[i].us;
            qsort(q, m, sizeof(double), cmp_double);
            printf("ratio\tlabel=%s\tbase=%s\tn=%zu\tmed=%.3f\tp90=%.3f\n", cases[ci].label, bases[b], m,
                   median_sorted(q, m), pct_sorted(q, m, 90));
            free(q);
        }
    }
}

static void run_interleaved(void) {
    double start = now_us();
    for (long rel = 0; rel < warmup + rounds; rel++) {
        long idx = rel - warmup;
        for (int ci = 0; ci < ncases; ci++) run_one(ci, rel, idx);
        if (time_limit_s > 0 && idx >= 9 && now_us() - start > time_limit_s * 1e6) {
            fprintf(stderr, "harness: time limit %.0f s reached after %ld measured rounds\n", time_limit_s, idx + 1);
            printf("note\tstopped_after=%ld\n", idx + 1);
            break;
        }
    }
}

static void run_phased(void) {
    struct job *slots = xmalloc((size_t)jobs * sizeof(struct job));
    for (int ci = 0; ci < ncases; ci++) {
        /* warm-up serially, then the measured rounds with up to `jobs` in flight */
        for (long rel = 0; rel < warmup; rel++) run_one(ci, rel, -1);
        long next = 0, done = 0, busy = 0;
        int *used = calloc((size_t)jobs, sizeof(int));
        double t_first = now_us(), t_last = t_first;
        while (done < rounds) {
            while (busy < jobs && next < rounds) {
                long s = 0;
                while (used[s]) s++;
                prepare(&slots[s], ci, warmup + next, next);
                spawn(&slots[s]);
                used[s] = 1;
                busy++;
                next++;
            }
            int status;
            struct rusage ru;
            double t1, d[ND];
            pid_t p = wait_exit(-1, &t1, d, &status, &ru);
            long s = 0;
            while (s < jobs && !(used[s] && slots[s].pid == p)) s++;
            if (s == jobs) continue; /* not ours */
            finish(&slots[s], status, &ru, t1, d);
            used[s] = 0;
            busy--;
            done++;
            t_last = t1;
        }
        cases[ci].phase_wall_us = t_last - t_first;
        free(used);
    }
    free(slots);
}

static void usage(void) {
    fputs("usage: harness [-n ROUNDS] [-w WARMUP] [-k FIRST] [-j JOBS] [-T SECONDS] [-L LIST] [-b BASE]... [-R RAW] [-E]\n"
          "               -c LABEL [-e NAME=VALUE]... [-i STDIN] [-l LIST] [-x CODE] -a PROGRAM [-a ARG]... [-c ...]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv) {
    struct kase *c = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "-E") == 0) {
            inherit_env = 1;
            continue;
        }
        if (i + 1 >= argc || o[0] != '-' || strlen(o) != 2) usage();
        const char *v = argv[++i];
        switch (o[1]) {
        case 'n': rounds = atol(v); break;
        case 'w': warmup = atol(v); break;
        case 'k': first_round = atol(v); break;
        case 'j': jobs = atol(v); break;
        case 'T': time_limit_s = atof(v); break;
        case 'L': read_lines(v, &global_list); has_global_list = 1; break;
        case 'b':
            if (nbases == MAX_BASES) die("too many baselines");
            bases[nbases++] = v;
            break;
        case 'R':
            raw = fopen(v, "w");
            if (!raw) die("cannot write %s: %s", v, strerror(errno));
            break;
        case 'c':
            if (ncases == MAX_CASES) die("too many cases");
            c = &cases[ncases++];
            c->label = v;
            break;
        case 'e':
            if (!c) usage();
            if (c->envc == MAX_ENV) die("too many variables");
            if (!strchr(v, '=')) die("-e wants NAME=VALUE, got %s", v);
            c->env[c->envc++] = v;
            break;
        case 'i':
            if (!c) usage();
            c->stdin_tmpl = read_file(v);
            break;
        case 'l':
            if (!c) usage();
            read_lines(v, &c->list);
            c->has_list = 1;
            break;
        case 'x':
            if (!c) usage();
            c->expect = atoi(v);
            break;
        case 'a':
            if (!c) usage();
            if (c->argc == MAX_ARGS) die("too many arguments");
            c->argv[c->argc++] = v;
            break;
        default: usage();
        }
    }
    if (ncases == 0 || rounds < 1 || warmup < 0 || jobs < 1) usage();
    for (int ci = 0; ci < ncases; ci++) {
        if (cases[ci].argc == 0) die("case %s has no program (-a)", cases[ci].label);
        if (access(cases[ci].argv[0], X_OK) != 0) die("case %s: %s is not executable", cases[ci].label, cases[ci].argv[0]);
        cases[ci].s = calloc((size_t)rounds, sizeof(struct sample));
        if (!cases[ci].s) die("out of memory");
    }
    signal(SIGPIPE, SIG_IGN);
    if (jobs > 1)
        run_phased();
    else
        run_interleaved();
    report();
    if (raw) fclose(raw);
    size_t fails = 0;
    for (int ci = 0; ci < ncases; ci++) fails += cases[ci].fails;
    return fails ? 1 : 0;
}
