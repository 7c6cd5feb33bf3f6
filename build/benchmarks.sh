#!/usr/bin/env bash
# Micro-benchmarks of the profiler's hot paths (test/Benchmarks, BenchmarkDotNet).
#
#   ./build/benchmarks.sh                      all benchmarks, short job, in process (a few minutes)
#   ./build/benchmarks.sh --filter '*Hop*'     one class; any BenchmarkDotNet option works, e.g. --job medium
#
# Results: the console tables, and BenchmarkDotNet.Artifacts/results/ (markdown, csv).
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--filter '*')
fi
case " ${args[*]} " in *" --job "*|*" -j "*) ;; *) args+=(--job short) ;; esac
case " ${args[*]} " in *" --inProcess "*|*" -i "*) ;; *) args+=(--inProcess) ;; esac

dotnet run -c Release --project test/Benchmarks/OpenTelemetry.Profiling.Benchmarks.csproj -- "${args[@]}"
