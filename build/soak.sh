#!/usr/bin/env bash
# Soak run (not part of the tests): many distinct stacks (random recursion paths, generic instantiations,
# dynamic methods emitted and dropped every 5 s) under the default profiling set-up, exporting to a local
# receiver in a child process. Prints RSS every minute, RSS at start and end, and the profile requests received.
#
#   ./build/soak.sh [minutes] [--baseline]      default 30 minutes
#
# --baseline runs the same workload with profiling off alongside (same SDK, same threads, its own receiver
# process; the two share the cores) and prints the profiled process's RSS minus the baseline's, at start, at
# end and over the minutes: the profiler's own memory.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
baseline=false
for arg in "$@"; do
  case "$arg" in
    --baseline) baseline=true ;;
    *[!0-9.]*|'') echo "usage: $0 [minutes] [--baseline]" >&2; exit 2 ;;
    *) minutes="$arg" ;;
  esac
done

for variable in $(env | grep -oE '^(OTEL_DOTNET_PROFILING_[A-Z_]*|DOTNET_EventPipeThreadSamplingRate)=' | tr -d '='); do
  unset "$variable"
done

log="$(mktemp)"
on_log="$(mktemp)"
base_log="$(mktemp)"
base_pid=""
trap 'rm -f "$log" "$on_log" "$base_log"; [ -n "$base_pid" ] && kill "$base_pid" 2>/dev/null; true' EXIT
dotnet build test/Workloads/SoakWorkload -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" || { cat "$log"; exit 1; }
soak=test/Workloads/SoakWorkload/bin/Release/net10.0/SoakWorkload.dll
if ! $baseline; then
  exec dotnet "$soak" --minutes "$minutes"
fi

dotnet "$soak" --minutes "$minutes" --no-profiling >"$base_log" 2>&1 &
base_pid=$!
dotnet "$soak" --minutes "$minutes" | tee "$on_log"
wait "$base_pid" || { base_pid=""; echo "baseline failed:"; cat "$base_log"; exit 1; }
base_pid=""
echo
cat "$base_log"
echo
# "rss at start S MB, at end E MB (...)" from each run.
rss_line='s/^rss at start ([0-9.]+) MB, at end ([0-9.]+) MB.*/\1 \2/p'
read -r on_start on_end < <(sed -nE "$rss_line" "$on_log") || { echo "no RSS line in the profiled run's output" >&2; exit 1; }
read -r base_start base_end < <(sed -nE "$rss_line" "$base_log") || { echo "no RSS line in the baseline's output" >&2; exit 1; }
awk -v a="$on_start" -v b="$base_start" -v c="$on_end" -v d="$base_end" \
  'BEGIN { printf "profiler rss overhead (profiled - baseline): at start %+.1f MB, at end %+.1f MB\n", a - b, c - d }'
# Each minute's reading, from minute 2 (past start-up) on: one reading moves by a MB or two (the page cache,
# the GC's timing), so the spread over the run says more about "flat" than the end alone.
awk 'FNR == NR && /^ +[0-9]+ +[0-9.]+( |$)/ { on[$1] = $2; next }
     /^ +[0-9]+ +[0-9.]+( |$)/ && ($1 in on) && $1 >= 2 { d = on[$1] - $2; n++; sum += d; if (n == 1 || d < lo) lo = d; if (n == 1 || d > hi) hi = d; last = $1 }
     END { if (n > 0) printf "profiler rss overhead by minute, minutes 2-%d: min %+.1f MB, mean %+.1f MB, max %+.1f MB\n", last, lo, sum / n, hi }' \
  "$on_log" "$base_log"
