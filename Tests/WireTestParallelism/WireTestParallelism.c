// How many tests run at once in the test binary.
//
// Swift Testing 6.3 runs every test of the binary at once unless told otherwise (its own default,
// twice the number of cores, is written but not yet turned on). Here that means some 150 tests
// starting together: dozens of child processes (wire, Python, nats-server, Chromium) and fan-out
// loads on two event loops, on two cores. Tests that measure time (an idle timeout, a ping
// interval, a stall deadline) then fail because nothing could run, not because anything is wrong.
//
// This constructor runs when the binary is loaded, before Swift Testing reads its configuration,
// and sets that default, twice the cores, unless the environment already says otherwise. So
// `swift test` and `bash scripts/test` run the same way, and a reader can still choose:
// SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=1 swift test runs one test at a time.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void wire_limit_test_parallelism(void) {
    const char *name = "SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH";
    if (getenv(name) != NULL) {
        return;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) {
        cores = 1;
    }
    char width[32];
    snprintf(width, sizeof width, "%ld", cores * 2);
    setenv(name, width, 0);
}
