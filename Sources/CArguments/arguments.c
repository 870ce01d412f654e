// The command line for Swift's `CommandLine`, taken from the arguments glibc hands every ELF constructor.
//
// The standard library's own lookup (CommandLine.cpp in libswiftCore.a) runs at start-up in every process and, on
// Linux, finds argv by reading /proc/self/maps and walking the stack: 5 system calls and ~50,000 instructions per
// exec, a third of a `wincni VERSION` (bench/findings.md, "Fourth round"). Defining its two entry points here keeps
// the linker from taking that object out of the archive. Both keep the library's contract: the override wins, and
// with nothing captured the vector is empty.
#include <stddef.h>

#if defined(__linux__)
static int argumentCount;
static char **argumentVector;
static char *noArguments[] = {NULL};

// Priority 101, the first one open to programs: before any static initializer of the runtime could ask.
__attribute__((constructor(101))) static void wincniCaptureArguments(int argc, char **argv, char **envp) {
    (void)envp;
    argumentCount = argc;
    argumentVector = argv;
}

char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    if (argumentVector == NULL) {
        *outArgLen = 0;
        return noArguments;
    }
    *outArgLen = argumentCount;
    return argumentVector;
}

void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc) {
    argumentVector = argv;
    argumentCount = argc;
}
#endif
