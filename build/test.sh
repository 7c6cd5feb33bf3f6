#!/usr/bin/env bash
# Builds the solution and runs every test project; prints one closing line "tests: N passed, N failed".
# Long soaks are not part of this run (see README: Benchmarks, overhead harness and soak).
set -uo pipefail
cd "$(dirname "$0")/.."

# The native CPU sampler is built with gcc (src/OpenTelemetry.Profiling/Native); without it the build falls back to
# the runtime's sampler and the test that expects the native sampler on Linux fails. Install it when we can.
if [ "$(uname -s)" = "Linux" ] && ! command -v gcc >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "gcc not found: installing it (apt-get install gcc) for the native CPU sampler"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; } || echo "warning: could not install gcc"
  else
    echo "warning: gcc not found; install it (apt-get install gcc) so the native CPU sampler is built"
  fi
fi

configuration="${CONFIGURATION:-Release}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

dotnet build OpenTelemetry.Profiling.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly || { echo "tests: 0 passed, 1 failed (build)"; exit 1; }

status=0
dotnet test OpenTelemetry.Profiling.sln -c "$configuration" --no-build -nologo 2>&1 | tee "$log" || status=$?

# VSTest prints one summary per test assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12".
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{ s += $2 } END { print s + 0 }')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{ s += $2 } END { print s + 0 }')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "tests: ${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
