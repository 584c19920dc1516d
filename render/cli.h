/*
 * Shared pieces of the hearth command line: loading inputs, writing
 * outputs, and the subcommands' entry points.
 */
#ifndef HEARTH_RENDER_CLI_H
#define HEARTH_RENDER_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/folded.h"
#include "../formats/profile.h"

/* Exit statuses of every subcommand. */
#define EXIT_OK 0
#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2

typedef enum input_kind {
    INPUT_PPROF,
    INPUT_FOLDED,
} input_kind;

/*
 * Reads path ("-" = stdin) and decodes it by content, judged on its first
 * 1 MiB: gzip or binary protobuf -> pprof, text -> folded stacks (text may
 * hold control bytes, not NUL, when every line is "STACK COUNT"). max_bytes
 * bounds both the file and its decompressed size. On failure prints
 * "hearth: PATH: message" to stderr and returns nonzero. kind may be NULL.
 */
int cli_load_profile(profile **out, input_kind *kind, const char *path,
                     size_t max_bytes);

/*
 * Like cli_load_profile, but folded text is not loaded: it is parsed block
 * by block and each line passed to fn, so memory stays one 1 MiB block
 * whatever the file's size, and *out is a profile with the folded sample
 * type ("samples", "count") and nothing else. With fn, a pprof profile's
 * samples are left encoded too (pprof_read_options.defer_samples), for a
 * caller that walks them once with pprof_samples_next. fn may be NULL: then
 * this is cli_load_profile. On failure prints "hearth: PATH: message" (fn's errors
 * too) and returns nonzero.
 */
int cli_load_input(profile **out, input_kind *kind, const char *path,
                   size_t max_bytes, folded_line_fn fn, void *arg);

/* Reads a whole file (or stdin) into memory, at most max_bytes. */
int cli_read_file(uint8_t **out, size_t *len, const char *path, size_t max_bytes);

/*
 * Writes data to path ("-" = stdout) through a temporary file in the same
 * directory and a rename, so a reader never sees half an output and a failed
 * run leaves nothing behind. Prints the error and returns nonzero on failure.
 */
int cli_write_output(const char *path, const void *data, size_t len);

/* The short name an input is shown by (a subtitle, a legend): its last
 * path part, "<stdin>" for "-", never a URL's user:password. */
const char *cli_input_name(const char *path);

/* Parses a byte size such as "1073741824", "512M", "1G". Returns 0 or -1. */
int cli_parse_size(const char *s, size_t *out);
/* --max-input's argument for command cmd: 0, or -1 after printing
 * "hearth CMD: --max-input: "ARG" is not a size". */
int cli_max_input_arg(const char *cmd, const char *arg, size_t *out);

/* Resolves --sample-index (NULL = the profile's default). Prints the error
 * and returns -1 when there is no such type. */
int cli_sample_index(const profile *p, const char *arg, const char *path);

int cmd_info(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_fold(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_symbolize(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_capture(int argc, char **argv);

#endif
