// Nothing to call: the library's one job is the constructor in WireTestParallelism.c, which runs
// when the test binary is loaded.
#pragma once
