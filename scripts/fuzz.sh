#!/usr/bin/env bash
# Fuzz wincni's decoders with libFuzzer (what `make fuzz` runs): JSON parsing, CNI config decoding and
# validation, host-local config decoding and, when the plugin is built, its config decoding, policy translation and
# subnet.env parsing (Fuzz/Sources/WinCNIFuzz). Usage: scripts/fuzz.sh [SECONDS] [libFuzzer options...]
# (default 60 seconds; e.g. `scripts/fuzz.sh 600 -fork=1 -ignore_crashes=1` keeps going after a crash).
#
# The libraries are built with coverage instrumentation into .build-fuzz (never touching .build, so a plain
# `swift build` is unaffected), then Fuzz/main.swift is linked against them with -sanitize=fuzzer,address.
# Inputs start from the committed seeds (Fuzz/seeds) and the working corpus lives in fuzz/corpus-run (git-ignored);
# crashes are written to .build-fuzz/crashes. Turn each crash into a regression test: copy it to
# Tests/ReliabilityTests/Fixtures/fuzz-crashes/ (FuzzRegressionTests replays every file there).
set -euo pipefail

duration="${1:-60}"
shift || true
cd "$(dirname "$0")/.."
root="$PWD"
build="$root/.build-fuzz"
sanitizers="fuzzer,address"
swift="${SWIFT:-swift}"

echo "fuzz: building the decoders with -sanitize=$sanitizers"
"$swift" build -c release --build-path "$build" --target WinCNIFuzz \
    -Xswiftc "-sanitize=$sanitizers" >/dev/null

out="$("$swift" build -c release --build-path "$build" --show-bin-path)"
# The objects of WinCNIFuzz and every target it depends on, directly or not, read from the package's description
# (so a new dependency needs no edit here), with the module maps of its C targets.
modules=()
while IFS= read -r name; do modules+=("$name"); done < <(
    "$swift" package describe --type json | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
seen, todo = set(), ["WinCNIFuzz"]
while todo:
    name = todo.pop()
    if name in seen: continue
    seen.add(name)
    todo += targets[name].get("target_dependencies", [])
# system libraries (json-c) have no objects: they are linked below
print("\n".join(sorted(n for n in seen if targets[n]["type"] != "system-target")))')
objects=()
module_maps=()
for name in "${modules[@]}"; do
    module="$out/$name.build"
    [ -d "$module" ] || { echo "fuzz: no build of $name in $out" >&2; exit 2; }
    while IFS= read -r -d '' object; do objects+=("$object"); done < <(find "$module" -name '*.o' -print0)
    if [ -f "$module/module.modulemap" ]; then module_maps+=(-Xcc -fmodule-map-file="$module/module.modulemap"); fi
done

echo "fuzz: linking $build/wincni-fuzz"
swiftc="$(dirname "$(command -v "$swift")")/swiftc"
"$swiftc" -O -parse-as-library -sanitize="$sanitizers" \
    -I "$out/Modules" -I "$out" -Xcc -fmodule-map-file="$root/Sources/CJSONC/module.modulemap" \
    "${module_maps[@]}" \
    "$root/Fuzz/main.swift" "${objects[@]}" -ljson-c -lm -o "$build/wincni-fuzz"

mkdir -p fuzz/corpus-run .build-fuzz/crashes
echo "fuzz: running for ${duration}s (corpus fuzz/corpus-run, seeds Fuzz/seeds)"
set +e
"$build/wincni-fuzz" fuzz/corpus-run Fuzz/seeds \
    -max_total_time="$duration" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1 "$@"
status=$?
set -e
echo "fuzz: corpus $(find fuzz/corpus-run -type f | wc -l) inputs; crashes: $(find .build-fuzz/crashes -type f | wc -l)"
exit "$status"
