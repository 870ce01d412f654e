#!/usr/bin/env bash
# make windows-check: the Windows half of the platform layer, checked on Linux (DESIGN.md "Tests",
# ../shared/research/windows-on-linux.md). Installs the mingw-w64 compiler and wine from Debian when missing, compiles
# every C file of the project for x86_64-w64-mingw32 with -Wall -Werror, runs the platform test natively (posix.c) and
# under wine (win32.c), builds the fake computenetwork.dll / vmcompute.dll against mingw's computenetwork.h, installs
# them into a private wine prefix's system32 and runs the HCN loader test there. Prints the counts; exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
out=.build/windows
mkdir -p "$out"
CC=${CC:-cc}
MINGW=x86_64-w64-mingw32-gcc
INCLUDE=Sources/CPlatform/include
CFLAGS=(-std=c11 -Wall -Wextra -Werror -O2)

# C files that cannot be built for Windows, and why. Every other C file is compiled below; a new one that does not
# build for Windows fails the check until it is made portable or listed here.
declare -A EXCLUDED=(
    [bench/harness.c]="the benchmark harness measures Linux execs: posix_spawn, wait4 and rusage, which Windows lacks"
)

# MARK: tools
find_wine() {
    for candidate in wine64 /usr/lib/wine/wine64 wine; do
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return
        fi
    done
}
if ! command -v "$MINGW" >/dev/null 2>&1 || [ -z "$(find_wine)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "windows-check: installing gcc-mingw-w64-x86-64 and wine64 with apt-get"
        apt-get -o DPkg::Lock::Timeout=300 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
            gcc-mingw-w64-x86-64 wine64 >/dev/null
    else
        echo "windows-check needs x86_64-w64-mingw32-gcc and wine64: run" \
            "'sudo apt-get install --no-install-recommends gcc-mingw-w64-x86-64 wine64' and try again" >&2
        exit 1
    fi
fi
WINE=$(find_wine)
WINESERVER=$(command -v wineserver 2>/dev/null || echo /usr/lib/wine/wineserver64)
export WINEPREFIX="$PWD/$out/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

# MARK: every C file, for Windows
compiled=0
while IFS= read -r file; do
    if [ -n "${EXCLUDED[$file]:-}" ]; then
        echo "windows-check: not built for Windows: $file (${EXCLUDED[$file]})"
        continue
    fi
    "$MINGW" "${CFLAGS[@]}" -I"$INCLUDE" -I"$(dirname "$file")/include" -c -o "$out/$(echo "$file" | tr / _).o" "$file"
    compiled=$((compiled + 1))
done < <(find Sources Tests bench Fuzz interop -name '*.c' 2>/dev/null | sort)
echo "windows-check: $compiled C files compiled for x86_64-w64-mingw32 with ${CFLAGS[*]}"
# Swift on Windows compiles C with clang; where Swift's clang is at hand, it checks the Win32 file too.
if command -v clang >/dev/null 2>&1; then
    clang --target=x86_64-w64-mingw32 "${CFLAGS[@]}" -I"$INCLUDE" -fsyntax-only Sources/CPlatform/win32.c
    echo "windows-check: win32.c also clean under clang --target=x86_64-w64-mingw32"
fi

# MARK: the platform test, natively and under wine
"$CC" "${CFLAGS[@]}" -I"$INCLUDE" -o "$out/platform_test" Tests/Platform/platform_test.c Sources/CPlatform/posix.c \
    -lpthread
"$MINGW" "${CFLAGS[@]}" -I"$INCLUDE" -o "$out/platform_test.exe" Tests/Platform/platform_test.c \
    Sources/CPlatform/win32.c -lshell32
# Prints its counts; `tail -1` is the "N passed, N failed" line.
run_counted() {
    local label=$1 log=$2
    shift 2
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    sed "s/^/  /" "$log"
    if [ "$status" != 0 ]; then
        echo "windows-check: $label FAILED (exit $status)" >&2
        exit 1
    fi
}
echo "windows-check: platform test, native (posix.c)"
run_counted "native platform test" "$out/native.log" "$out/platform_test"
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
    echo "windows-check: creating the wine prefix $WINEPREFIX"
    "$WINE" wineboot -i >/dev/null 2>&1 || true
fi
SYSTEM32="$WINEPREFIX/drive_c/windows/system32"
echo "windows-check: platform test, under wine (win32.c)"
run_counted "platform test under wine" "$out/wine.log" "$WINE" "$out/platform_test.exe"

# MARK: the HCN loader against fake DLLs
"$MINGW" "${CFLAGS[@]}" -shared -o "$out/computenetwork.dll" Tests/Windows/fake_computenetwork.c \
    Tests/Windows/fake_computenetwork.def -lole32
"$MINGW" "${CFLAGS[@]}" -shared -o "$out/vmcompute.dll" Tests/Windows/fake_vmcompute.c \
    Tests/Windows/fake_vmcompute.def -lole32
rm -rf "$out/loader"
mkdir -p "$out/loader"
"$MINGW" "${CFLAGS[@]}" -I"$INCLUDE" -o "$out/loader/hcn_loader_test.exe" Tests/Windows/hcn_loader_test.c \
    Sources/CPlatform/win32.c
# Planted: the fakes only next to the executable, where the loader must not look.
cp "$out/computenetwork.dll" "$out/vmcompute.dll" "$out/loader/"
rm -f "$SYSTEM32/computenetwork.dll" "$SYSTEM32/vmcompute.dll"
echo "windows-check: HCN loader, DLLs only next to the executable"
run_counted "planted-DLL loader test" "$out/planted.log" "$WINE" "$out/loader/hcn_loader_test.exe" planted
# An older computenetwork.dll, without one export the table needs.
grep -v '^ *HcnEnumerateNamespaces$' Tests/Windows/fake_computenetwork.def >"$out/computenetwork-old.def"
"$MINGW" "${CFLAGS[@]}" -shared -o "$SYSTEM32/computenetwork.dll" Tests/Windows/fake_computenetwork.c \
    "$out/computenetwork-old.def" -lole32
cp "$out/vmcompute.dll" "$SYSTEM32/"
echo "windows-check: HCN loader, a computenetwork.dll in system32 that lacks an export"
run_counted "old-DLL loader test" "$out/old.log" "$WINE" "$out/loader/hcn_loader_test.exe" old
cp "$out/computenetwork.dll" "$out/vmcompute.dll" "$SYSTEM32/"
echo "windows-check: HCN loader, DLLs in system32 (and copies next to the executable)"
run_counted "loader test" "$out/loader.log" "$WINE" "$out/loader/hcn_loader_test.exe"
"$WINESERVER" -k >/dev/null 2>&1 || true

echo "windows-check: passed: $compiled C files for Windows;" \
    "platform test native: $(tail -1 "$out/native.log"); under wine: $(tail -1 "$out/wine.log");" \
    "loader: $(grep 'entry points' "$out/loader.log" | sed 's/.*: //') entry points driven," \
    "$(tail -1 "$out/loader.log"), planted DLL refused ($(tail -1 "$out/planted.log")), DLL without an export" \
    "refused ($(tail -1 "$out/old.log"));" \
    "$(($(date +%s) - started)) s"
