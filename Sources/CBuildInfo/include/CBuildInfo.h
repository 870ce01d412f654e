// The build's identity, compiled in by build_info.c from the WINCNI_COMMIT define that Package.swift sets (the
// Makefile exports it from git). Read through WinCNI's WinCNIVersion.
#ifndef WINCNI_BUILD_INFO_H
#define WINCNI_BUILD_INFO_H

/// The commit the binary was built from (`git rev-parse --short=12 HEAD`, `-dirty` when the tree had changes), or
/// "unknown" for a build outside a git checkout or without the Makefile.
const char *wincni_build_commit(void);

#endif
