#!/usr/bin/env bash
# Whole-application overhead of the profiler, measured inside one process.
#
#   ./build/overhead.sh [harness options]      e.g. ./build/overhead.sh --rounds 10 --no-peer
#
# Runs the RateLimiterSync showcase under closed-loop load (both cores busy) in alternating blocks: profiling
# off, profiling on with the default set-up (WithProfiling + AddOtlpExporter to an in-process receiver, no
# environment variables), and dotnet-trace attached from outside (the peer). One warm-up round is discarded,
# then 6 rounds x 3 blocks of 60 s (+2 s settling, 15 s after the profiler starts): about 23 minutes.
# Prints per-block figures, the on/off and peer/off ratios (mean +- standard error over rounds), the sampling
# windows' cost measured inside the cycle (100 ms throughput readings around each window) and, last, exactly
# "overhead_ratio=<on/off throughput>".
# Options: --rounds N, --block SECONDS, --settle SECONDS, --profiler-settle SECONDS, --workload server|cpu,
# --idle-threads N, --clients N, --mix work|showcase, --no-peer, --collector-down, --no-sampling-blocks, --peer-args "...", --help.
# --window-study 60,50,30 [--study-stretch SECONDS] replaces the on/off blocks with stretches of the profiler on,
# one per target rate in each round, and prints each target's in-cycle window cost and samples (the curve).
# --twin [--twin-mode on|no-sampling|spans-only] [--twin-baseline off|...] [--twin-pin] replaces the blocks in one
# process with pairs of new processes run at the same time, one profiled and one not (or with the baseline's
# set-up), swapping every block: the ratios in the same seconds cancel the machine's drift (6 rounds of 60 s
# blocks: about 18 minutes). --twin-pin gives each twin a core of its own (taskset), swapping cores every 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."

# The "on" blocks measure the defaults: nothing from the environment may change the profiler's settings.
for variable in $(env | grep -oE '^(OTEL_DOTNET_PROFILING_[A-Z_]*|DOTNET_EventPipeThreadSamplingRate)=' | tr -d '='); do
  unset "$variable"
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet tool restore >"$log" || { cat "$log"; exit 1; } # dotnet-trace, pinned in dotnet-tools.json
dotnet build build/OverheadHarness -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" || { cat "$log"; exit 1; }
dotnet build/OverheadHarness/bin/Release/net10.0/OverheadHarness.dll --tool-dir "$PWD" "$@"
