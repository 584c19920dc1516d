/*
 * Replays saved fuzz inputs without libFuzzer: links with one fuzz_NAME.c and
 * runs its LLVMFuzzerTestOneInput over every file named on the command line
 * or found (recursively, in sorted order) under a directory named there, so
 * the corpus and every crash ever found run in `make test` under the plain
 * compiler and in `make check` under the sanitizers. A failing input aborts
 * the process (that is the fuzz target's failure signal and cannot be
 * caught); a signal handler and the sanitizers' death callback print
 * "CRASH <file>" first so the culprit is named. Each input is copied into a
 * buffer of exactly its size, as libFuzzer does, so an over-read is caught.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present when linked with ASan or UBSan: called before they exit. */
extern void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));

static int passed, failed;

/* The input being run, for the crash report. Written by run_file only; read
 * by the signal handler in the same thread. */
static const char *volatile current;

static void say_crash(void)
{
    const char *f = current;
    if (!f)
        return;
    /* write(2) only: this runs in signal context. */
    if (write(STDOUT_FILENO, "CRASH ", 6) < 0 ||
        write(STDOUT_FILENO, f, strlen(f)) < 0 ||
        write(STDOUT_FILENO, "\n", 1) < 0)
        return;
}

/* Runs in signal context: names the input, then dies of the same signal. */
static void on_fatal_signal(int sig)
{
    say_crash();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path into a malloc'd buffer of exactly its size (1 byte for an
 * empty file, so the pointer is never NULL). Returns NULL on error. */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (exact && n)
        memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

static void run_file(const char *path)
{
    size_t len = 0;
    uint8_t *data = read_all(path, &len);
    if (!data) {
        printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    current = path;
    LLVMFuzzerTestOneInput(data, len);
    current = NULL;
    free(data);
    printf("PASS %s\n", path);
    passed++;
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        printf("FAIL %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        printf("FAIL %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                fprintf(stderr, "replay: out of memory\n");
                exit(2);
            }
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            fprintf(stderr, "replay: out of memory\n");
            exit(2);
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        run_path(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n"
                "Runs the fuzz target over every input and prints "
                "\"N passed, N failed\".\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const int fatal[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
        /* Keep a sanitizer's own handler: its report has the stack. */
        struct sigaction old;
        if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            signal(fatal[i], on_fatal_signal);
    }
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(say_crash);
    /* GCC links UBSan as its own library with its own callback. */
    void *ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (ubsan) {
        void (*set)(void (*)(void));
        *(void **)&set = dlsym(ubsan, "__sanitizer_set_death_callback");
        if (set)
            set(say_crash);
    }
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
