#!/usr/bin/env bash
# Soak run (not part of the tests): many distinct stacks (random recursion paths, generic instantiations,
# dynamic methods emitted and dropped every 5 s) under the default profiling set-up, exporting to a local
# receiver in a child process. Prints RSS every minute, RSS at start and end, and the profile requests received.
#
#   ./build/soak.sh [minutes]      default 30
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"

for variable in $(env | grep -oE '^(OTEL_DOTNET_PROFILING_[A-Z_]*|DOTNET_EventPipeThreadSamplingRate)=' | tr -d '='); do
  unset "$variable"
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build test/Workloads/SoakWorkload -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" || { cat "$log"; exit 1; }
exec dotnet test/Workloads/SoakWorkload/bin/Release/net10.0/SoakWorkload.dll --minutes "$minutes"
