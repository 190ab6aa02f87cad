#!/usr/bin/env bash
# The one entry point: ./build.sh run | test | bench | openapi | sdk | rotate-admin-key
# Restores the pinned Cake tool (.config/dotnet-tools.json) and runs build.cake.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
args=()
if [[ $# -gt 0 && $1 != -* ]]; then
  args+=("--target=$1")
  shift
fi
exec dotnet cake build.cake "${args[@]}" "$@"
