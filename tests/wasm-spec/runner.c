/*
 * tests/wasm-spec/runner.c — the official WebAssembly spec-test runner (parent side).
 *
 *   wasm_spec_runner [-j N] [-v] [--trace] [--timeout S] [--expected FILE [--update-expected]]
 *                    [--strict] [--fail-on-fixed] [--only SUBSTR]... PATH...
 *
 * PATH is a directory of wast2json outputs (every *.json in it) or single .json files. Each
 * file runs in its own forked child (spec_exec.c), -j of them at a time (default: online
 * CPUs), so a crash or hang in the engine costs one command, not the run:
 *
 *   fork child ──► child writes B/R lines to an unlinked temp file ──► child exits
 *        ▲                                                               │
 *        └── ended without "E": the command of the last B line crashed ◄─┘
 *            (or hit its SIGALRM): record it failed, fork again skipping it
 *            (at most RESTARTS_MAX times per file, then the rest counts failed)
 *
 * A child that wrote "E" but exited non-zero (LeakSanitizer exits 23) adds one failure
 * "file.wast:0 exit". Every failure has a key "file.wast:LINE KIND" (LINE is the command's
 * line in the .wast). The expectations file lists known-failing keys, one per line, '#'
 * comments allowed. Unexpected failures are regressions and fail the run; listed keys that
 * passed are printed as "fixed: remove from expected list". --update-expected rewrites the
 * file with the current failures (keeping entries of files not in this run). The last line is
 * "wasm-spec: N passed, N failed" where failed counts only unexpected failures (and, with
 * --fail-on-fixed, listed ones that passed: the runner's self-test uses that).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "wasm-spec/spec.h"

#define RESTARTS_MAX 64
#define FILES_MAX 1024
#define LINE_MAX_LEN 1024
#define SHOWN_PER_FILE_MAX 20

/* A growable list of owned strings. */
typedef struct strlist {
    char **items;
    u32 count;
    u32 cap;
} strlist;

static void strlist_push(strlist *l, const char *s)
{
    if (l->count == l->cap) {
        u32 cap = l->cap ? l->cap * 2 : 64;
        char **items = lc_realloc(l->items, cap * sizeof(char *));
        if (!items) {
            fprintf(stderr, "wasm-spec: out of memory\n");
            exit(2);
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = lc_strdup(s);
}

static void strlist_free(strlist *l)
{
    for (u32 i = 0; i < l->count; i++) lc_free(l->items[i]);
    lc_free(l->items);
    *l = (strlist){0};
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strlist_sort(strlist *l)
{
    if (l->count) qsort(l->items, l->count, sizeof(char *), str_cmp);
}

static bool strlist_has_sorted(const strlist *l, const char *s)
{
    return l->count && bsearch(&s, l->items, l->count, sizeof(char *), str_cmp) != NULL;
}

/* One .json file and its child process(es). */
typedef struct job {
    char *path;      /* the .json */
    char *wast;      /* "address.wast": the name keys use */
    FILE *out;       /* unlinked temp file the children write to */
    pid_t pid;       /* running child, 0 when none */
    long read_pos;   /* how far the parent has read out */
    u32 skip[RESTARTS_MAX];
    u32 skip_count;
    u32 report_from_idx;
    bool is_done;
    u64 start_ns, elapsed_ns;  /* wall time of the file, restarts included */
    /* results, filled when done */
    u32 passed, failed, skipped, skipped_text;
    strlist notes;       /* passes with a note (error class differs; see --strict) */
    strlist fail_keys;   /* "file.wast:LINE KIND" */
    strlist fail_msgs;   /* parallel to fail_keys */
} job;

typedef struct runner {
    job *jobs;
    u32 job_count;
    u32 jobs_max_parallel;
    u32 timeout_s;
    bool is_verbose;   /* -v: every failure and note, not the first few per file */
    bool is_trace;     /* --trace: children print each command to stderr */
    const char *expected_path;
    bool do_update;
    bool is_strict;
    bool is_fixed_failure;  /* --fail-on-fixed: a listed failure that passes fails the run */
    strlist only;
} runner;

static void job_add_fail(job *j, const char *key, const char *msg)
{
    strlist_push(&j->fail_keys, key);
    strlist_push(&j->fail_msgs, msg);
    j->failed++;
}

static void job_launch(runner *r, job *j)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("wasm-spec: fork");
        exit(2);
    }
    if (pid == 0) {
        spec_child_opts o = {
            .skip_idx = j->skip,
            .skip_count = j->skip_count,
            .report_from_idx = j->report_from_idx,
            .timeout_s = r->timeout_s,
            .is_trace = r->is_trace,
            .is_strict = r->is_strict,
        };
        int fd = fileno(j->out);
        (void)fcntl(fd, F_SETFL, O_APPEND);  /* write at the end whatever the shared offset */
        int rc = spec_file_run(j->path, fd, &o);
        /* exit (not _exit) so LeakSanitizer checks the engine for leaks in asan builds. */
        exit(rc);
    }
    j->pid = pid;
}

/* What one pass over a job's output file found. */
typedef struct scan {
    bool saw_end;
    bool in_command;     /* last event was a B with no R after it */
    u32 last_begin_idx;
    u32 last_begin_line;
    char last_begin_kind[64];
} scan;

/* Records one "R idx status line kind\tmsg" line. Results of indices below report_from were
 * already recorded from an earlier child and are not repeated (replays do not emit them). */
static void job_take_result(job *j, char *rest)
{
    unsigned idx = 0, line = 0;
    char status = 0, kind[64] = "";
    int used = 0;
    if (sscanf(rest, "%u %c %u %63s%n", &idx, &status, &line, kind, &used) < 4) return;
    const char *msg = rest + used;
    if (*msg == '\t') msg++;
    if (status == 'P') {
        j->passed++;
        if (strncmp(msg, "note:", 5) == 0) {
            char note[LINE_MAX_LEN];
            snprintf(note, sizeof note, "%s:%u %s: %s", j->wast, line, kind, msg + 6);
            strlist_push(&j->notes, note);
        }
    } else if (status == 'S') {
        j->skipped++;
        if (strcmp(kind, "assert_malformed") == 0) j->skipped_text++;
    } else {
        char key[256];
        snprintf(key, sizeof key, "%s:%u %s", j->wast, line, kind);
        job_add_fail(j, key, msg);
    }
}

/* Reads the lines written since the last scan (the file position carries over). */
static void job_scan(job *j, scan *s)
{
    char buf[LINE_MAX_LEN * 2];
    /* Parent and child share the file offset (fork), so position explicitly. */
    fseek(j->out, j->read_pos, SEEK_SET);
    while (fgets(buf, sizeof buf, j->out)) {
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '\n') buf[n - 1] = 0;
        if (buf[0] == 'B') {
            unsigned idx = 0, line = 0;
            char kind[64] = "";
            sscanf(buf + 1, "%u %u %63s", &idx, &line, kind);
            s->in_command = true;
            s->last_begin_idx = idx;
            s->last_begin_line = line;
            snprintf(s->last_begin_kind, sizeof s->last_begin_kind, "%s", kind);
        } else if (buf[0] == 'R') {
            s->in_command = false;
            job_take_result(j, buf + 1);
        } else if (buf[0] == 'E') {
            s->saw_end = true;
        }
    }
    clearerr(j->out);
    j->read_pos = ftell(j->out);
}

static void describe_status(int status, char *out, size_t out_size)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(out, out_size, "%s (signal %d)",
                 sig == SIGALRM ? "timed out" : strsignal(sig), sig);
    } else {
        snprintf(out, out_size, "exit status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == 1 ? " (a sanitizer report? see stderr)" : "");
    }
}

/* Called when the job's child has exited: records its results and relaunches it past a
 * crashing command when needed. */
static void job_reap(runner *r, job *j, int status)
{
    scan s = {0};
    char why[128], key[256], msg[320];
    j->pid = 0;
    job_scan(j, &s);
    describe_status(status, why, sizeof why);
    if (s.saw_end) {
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            snprintf(key, sizeof key, "%s:0 exit", j->wast);
            snprintf(msg, sizeof msg, "child ended with %s after its last command "
                     "(a LeakSanitizer report exits 23; see stderr)", why);
            job_add_fail(j, key, msg);
        }
        j->is_done = true;
        return;
    }
    if (!s.in_command) {
        snprintf(key, sizeof key, "%s:0 file", j->wast);
        snprintf(msg, sizeof msg, "could not run the file: %s (see stderr)", why);
        job_add_fail(j, key, msg);
        j->is_done = true;
        return;
    }
    snprintf(key, sizeof key, "%s:%u %s", j->wast, s.last_begin_line, s.last_begin_kind);
    snprintf(msg, sizeof msg, "crashed: %s", why);
    job_add_fail(j, key, msg);
    fprintf(stderr, "wasm-spec: %s:%u %s %s; continuing after it\n", j->wast,
            s.last_begin_line, s.last_begin_kind, msg);
    if (j->skip_count == RESTARTS_MAX) {
        snprintf(key, sizeof key, "%s:0 file", j->wast);
        job_add_fail(j, key, "too many crashes; the rest of the file did not run");
        j->is_done = true;
        return;
    }
    j->skip[j->skip_count++] = s.last_begin_idx;
    j->report_from_idx = s.last_begin_idx + 1;
    job_launch(r, j);
}

static u64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* Runs every job, at most jobs_max_parallel children at a time. */
static void runner_run_all(runner *r)
{
    u32 next = 0, running = 0;
    while (next < r->job_count || running > 0) {
        while (next < r->job_count && running < r->jobs_max_parallel) {
            r->jobs[next].start_ns = now_ns();
            job_launch(r, &r->jobs[next++]);
            running++;
        }
        int status = 0;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            perror("wasm-spec: waitpid");
            exit(2);
        }
        for (u32 i = 0; i < next; i++) {
            job *j = &r->jobs[i];
            if (j->pid != pid) continue;
            job_reap(r, j, status);
            if (j->is_done) {
                j->elapsed_ns = now_ns() - j->start_ns;
                running--;
            }
            break;
        }
    }
}

static bool name_selected(const runner *r, const char *name)
{
    if (r->only.count == 0) return true;
    for (u32 i = 0; i < r->only.count; i++) {
        if (strstr(name, r->only.items[i])) return true;
    }
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Expands directories to their *.json files; keeps explicit files as given. */
static void collect_paths(const runner *r, char **args, int arg_count, strlist *out)
{
    for (int i = 0; i < arg_count; i++) {
        DIR *d = opendir(args[i]);
        if (!d) {
            if (name_selected(r, args[i])) strlist_push(out, args[i]);
            continue;
        }
        struct dirent *e;
        char path[4096];
        while ((e = readdir(d)) != NULL) {
            if (!ends_with(e->d_name, ".json") || !name_selected(r, e->d_name)) continue;
            snprintf(path, sizeof path, "%s/%s", args[i], e->d_name);
            strlist_push(out, path);
        }
        closedir(d);
    }
    strlist_sort(out);
}

static void job_init(job *j, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (ends_with(base, ".json")) n -= 5;
    char name[512];
    snprintf(name, sizeof name, "%.*s.wast", (int)LC_MIN(n, 400), base);
    *j = (job){.path = lc_strdup(path), .wast = lc_strdup(name)};
    j->out = tmpfile();
    if (!j->out) {
        perror("wasm-spec: tmpfile");
        exit(2);
    }
}

static void job_deinit(job *j)
{
    if (j->out) fclose(j->out);
    lc_free(j->path);
    lc_free(j->wast);
    strlist_free(&j->fail_keys);
    strlist_free(&j->fail_msgs);
    strlist_free(&j->notes);
}

/* Loads "file.wast:LINE KIND" keys; blank lines and '#' comments are ignored. A missing file
 * is an empty list. */
static void expected_load(const char *path, strlist *out)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    char buf[LINE_MAX_LEN];
    while (fgets(buf, sizeof buf, f)) {
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r')) buf[--n] = 0;
        if (n == 0 || buf[0] == '#') continue;
        strlist_push(out, buf);
    }
    fclose(f);
    strlist_sort(out);
}

/* True when the key "x.wast:LINE KIND" belongs to one of the files that ran. */
static bool key_file_ran(const runner *r, const char *key)
{
    const char *colon = strchr(key, ':');
    size_t n = colon ? (size_t)(colon - key) : strlen(key);
    for (u32 i = 0; i < r->job_count; i++) {
        const char *w = r->jobs[i].wast;
        if (strlen(w) == n && memcmp(w, key, n) == 0) return true;
    }
    return false;
}

static int expected_write(const runner *r, const strlist *old, const strlist *now)
{
    strlist all = {0};
    for (u32 i = 0; i < old->count; i++) {
        if (!key_file_ran(r, old->items[i])) strlist_push(&all, old->items[i]);
    }
    for (u32 i = 0; i < now->count; i++) strlist_push(&all, now->items[i]);
    strlist_sort(&all);
    FILE *f = fopen(r->expected_path, "w");
    if (!f) {
        perror(r->expected_path);
        strlist_free(&all);
        return -1;
    }
    fprintf(f, "# Known failures of the WebAssembly spec tests: \"file.wast:LINE KIND\", one per\n"
               "# line. Regenerate with tests/suites/30-wasm-spec.sh --update-expected. This list\n"
               "# must shrink to empty.\n");
    for (u32 i = 0; i < all.count; i++) {
        if (i == 0 || strcmp(all.items[i], all.items[i - 1]) != 0) fprintf(f, "%s\n", all.items[i]);
    }
    fclose(f);
    printf("wrote %u entries to %s\n", all.count, r->expected_path);
    strlist_free(&all);
    return 0;
}

typedef struct totals {
    u32 passed, failed, skipped, skipped_text, unexpected, fixed, noted;
} totals;

/* Prints the per-file table and the unexpected failures; fills the totals. */
static void report_files(const runner *r, const strlist *expected, totals *t, strlist *now)
{
    printf("%-32s %7s %7s %7s %7s %7s\n", "file", "passed", "failed", "known", "skipped", "ms");
    for (u32 i = 0; i < r->job_count; i++) {
        const job *j = &r->jobs[i];
        u32 known = 0, shown = 0;
        for (u32 k = 0; k < j->fail_keys.count; k++) {
            const char *key = j->fail_keys.items[k];
            strlist_push(now, key);
            if (strlist_has_sorted(expected, key)) {
                known++;
                if (r->is_verbose) printf("  known: %s: %s\n", key, j->fail_msgs.items[k]);
                continue;
            }
            t->unexpected++;
            if (++shown <= SHOWN_PER_FILE_MAX || r->is_verbose) {
                printf("  FAIL %s: %s\n", key, j->fail_msgs.items[k]);
            }
        }
        if (shown > SHOWN_PER_FILE_MAX && !r->is_verbose) {
            printf("  ... and %u more unexpected failures in %s (-v shows all)\n",
                   shown - SHOWN_PER_FILE_MAX, j->wast);
        }
        printf("%-32s %7u %7u %7u %7u %7llu\n", j->wast, j->passed, j->failed, known, j->skipped,
               (unsigned long long)(j->elapsed_ns / 1000000));
        t->passed += j->passed;
        t->failed += j->failed;
        t->skipped += j->skipped;
        t->skipped_text += j->skipped_text;
        t->noted += j->notes.count;
        for (u32 k = 0; r->is_verbose && k < j->notes.count; k++) {
            printf("  note %s\n", j->notes.items[k]);
        }
    }
    strlist_sort(now);
}

static void report_fixed(const runner *r, const strlist *expected, const strlist *now, totals *t)
{
    for (u32 i = 0; i < expected->count; i++) {
        const char *key = expected->items[i];
        if (!key_file_ran(r, key) || strlist_has_sorted(now, key)) continue;
        if (i > 0 && strcmp(key, expected->items[i - 1]) == 0) continue;
        t->fixed++;
        if (!r->do_update) printf("fixed: remove from expected list: %s\n", key);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: wasm_spec_runner [-j N] [-v] [--trace] [--timeout SECONDS] [--expected FILE "
                    "[--update-expected]] [--strict] [--fail-on-fixed] [--only SUBSTR]... "
                    "DIR|FILE.json...\n");
    exit(2);
}

/* Parses options; returns the index of the first path argument (paths are compacted to the
 * front of argv from that index). */
static int parse_args(runner *r, int argc, char **argv, int *out_path_count)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    r->jobs_max_parallel = cpus > 0 ? (u32)cpus : 1;
    r->timeout_s = 60;
    int paths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "-v") == 0) {
            r->is_verbose = true;
        } else if (strcmp(a, "--trace") == 0) {
            r->is_trace = true;
        } else if (strcmp(a, "-j") == 0 && has_next) {
            int n = atoi(argv[++i]);
            r->jobs_max_parallel = n > 0 ? (u32)n : 1;
        } else if (strncmp(a, "-j", 2) == 0 && a[2] >= '1' && a[2] <= '9') {
            r->jobs_max_parallel = (u32)atoi(a + 2);
        } else if (strcmp(a, "--timeout") == 0 && has_next) {
            int n = atoi(argv[++i]);
            r->timeout_s = n > 0 ? (u32)n : 0;
        } else if (strcmp(a, "--expected") == 0 && has_next) {
            r->expected_path = argv[++i];
        } else if (strcmp(a, "--strict") == 0) {
            r->is_strict = true;
        } else if (strcmp(a, "--fail-on-fixed") == 0) {
            r->is_fixed_failure = true;
        } else if (strcmp(a, "--update-expected") == 0) {
            r->do_update = true;
        } else if (strcmp(a, "--only") == 0 && has_next) {
            strlist_push(&r->only, argv[++i]);
        } else if (a[0] == '-') {
            usage();
        } else {
            argv[1 + paths++] = argv[i];
        }
    }
    if (paths == 0 || (r->do_update && !r->expected_path)) usage();
    *out_path_count = paths;
    return 1;
}

int main(int argc, char **argv)
{
    runner r = {0};
    int path_count = 0;
    int first = parse_args(&r, argc, argv, &path_count);
    strlist paths = {0}, expected = {0}, now = {0};
    collect_paths(&r, argv + first, path_count, &paths);
    if (paths.count == 0 || paths.count > FILES_MAX) {
        fprintf(stderr, "wasm-spec: %u .json files found (need 1..%d)\n", paths.count, FILES_MAX);
        return 2;
    }
    r.jobs = lc_calloc(paths.count, sizeof(job));
    r.job_count = paths.count;
    for (u32 i = 0; i < paths.count; i++) job_init(&r.jobs[i], paths.items[i]);
    expected_load(r.expected_path, &expected);
    runner_run_all(&r);

    totals t = {0};
    report_files(&r, &expected, &t, &now);
    report_fixed(&r, &expected, &now, &t);
    int rc = 0;
    if (r.do_update && expected_write(&r, &expected, &now) != 0) rc = 1;
    printf("total: %u files, %u commands: %u passed, %u failed (%u known, %u unexpected), "
           "%u skipped (%u text-format assert_malformed)%s\n",
           r.job_count, t.passed + t.failed + t.skipped, t.passed, t.failed,
           t.failed - t.unexpected, t.unexpected, t.skipped, t.skipped_text,
           t.fixed ? "" : "");
    if (t.fixed && !r.do_update) printf("%u known failures now pass (listed above)\n", t.fixed);
    if (t.noted) {
        printf("%u assert_invalid/assert_malformed passed with the other error class "
               "(-v lists them, --strict fails them)\n", t.noted);
    }
    u32 bad = r.do_update ? 0 : t.unexpected + (r.is_fixed_failure ? t.fixed : 0);
    printf("wasm-spec: %u passed, %u failed\n", t.passed, bad);

    for (u32 i = 0; i < r.job_count; i++) job_deinit(&r.jobs[i]);
    lc_free(r.jobs);
    strlist_free(&paths);
    strlist_free(&expected);
    strlist_free(&now);
    strlist_free(&r.only);
    return rc ? rc : (bad ? 1 : 0);
}
