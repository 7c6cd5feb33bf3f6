#!/usr/bin/env bash
# Builds the solution and runs every test project; prints one closing line "tests: N passed, N failed".
# Long soaks are not part of this run (see README: Benchmarks and soak).
set -uo pipefail
cd "$(dirname "$0")/.."

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
