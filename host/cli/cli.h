/* The cltrain command: shared helpers of the subcommands. */
#ifndef CT_CLI_H
#define CT_CLI_H

#include "cltrain.h"

/* Exit codes: 0 success, 1 a failure while running, 2 a usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "cltrain: error: <message>" on stderr (one line unless the message has a build log). */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Reads the value of option argv[*i] (--name VALUE or --name=VALUE). NULL after an error. */
const char *cli_value(int argc, char **argv, int *i, const char *name);
/* Opens the device (selector may be NULL), printing the error on failure. */
int cli_open_device(const char *selector, ct_device **dev);

int cmd_devices(int argc, char **argv);
int cmd_selftest(int argc, char **argv, const char *device);

#endif
