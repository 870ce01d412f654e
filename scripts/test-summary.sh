#!/usr/bin/env bash
# Filters `swift test` output for `make test`: the failures (with their details) and one closing line, swift test's
# own "Test run with N tests in M suites passed after X seconds." With V=1 (or any first argument other than 0),
# every line passes through. When the run dies before it prints its closing line, this prints "N passed, N failed"
# from the per-test lines instead, so a runner still finds one summary line.
verbose=${1:-0}
if [ -n "$verbose" ] && [ "$verbose" != 0 ]; then
    exec cat
fi
exec awk '
    /^\xe2\x97\x87 / { details = 0; next }
    /^(\xe2\x9c\x94|\xe2\x9c\x98) Test run with / { summary = $0; next }
    /^\xe2\x9c\x94 Test .* passed/ { passed++ }
    /^\xe2\x9c\x98 Test .* failed/ { failed++ }
    /^\xe2\x9c\x98 / { print; details = 1; next }
    /^\xe2\x86\xb3 / && details { print; next }
    /^error:|: error:|Fatal error|fatal error|Test Case .* failed/ { print; details = 0; next }
    { details = 0 }
    END {
        if (summary != "") print summary
        else printf "%d passed, %d failed (the test run ended before its summary line)\n", passed, failed
    }
'
