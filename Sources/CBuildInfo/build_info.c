#include "CBuildInfo.h"

// Package.swift defines WINCNI_COMMIT as a string literal; a compiler run without it still builds.
#ifndef WINCNI_COMMIT
#define WINCNI_COMMIT "unknown"
#endif

const char *wincni_build_commit(void) { return WINCNI_COMMIT; }
