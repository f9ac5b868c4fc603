#!/usr/bin/env bash
# Compiles infra/main.bicep to an ARM template with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, the
# version pinned in Directory.Packages.props, restored through tools/bicep into the normal NuGet cache), so CI needs
# nothing but the .NET SDK. Fails on any error and on any warning (linter rules: infra/bicepconfig.json).
#
#   scripts/bicep.sh [OUTFILE]      default OUTFILE: out/bicep/main.json (out/ is ignored by git)
#   BICEP=/path/to/bicep scripts/bicep.sh    use that binary instead of restoring one
#
# Prints the path of the Bicep binary on stderr and the template's path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
outfile="${1:-out/bicep/main.json}"
mkdir -p "$(dirname "$outfile")"

bicep="${BICEP:-}"
if [ -z "$bicep" ]; then
  tools_project="tools/bicep/Bicep.Tools.csproj"
  # Restore is a no-op (well under a second) when the package is already in the NuGet cache.
  dotnet restore "$tools_project" --nologo -v quiet >/dev/null
  bicep="$(dotnet msbuild "$tools_project" -nologo -getProperty:BicepPath)"
  bicep="$(echo "$bicep" | tr -d '\r' | tail -n 1)"
fi
if [ ! -x "$bicep" ]; then
  echo "error: no Bicep CLI at '$bicep'" >&2
  exit 1
fi
echo "bicep: $bicep ($("$bicep" --version))" >&2

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
"$bicep" build infra/main.bicep --outfile "$outfile" >"$log" 2>&1 || status=$?
cat "$log" >&2
if [ "$status" -ne 0 ]; then
  echo "error: bicep build failed (exit $status)" >&2
  exit "$status"
fi
# Bicep reports diagnostics as 'path(line,col) : Warning|Error CODE: message'.
if grep -Eq ' : (Warning|Error) ' "$log"; then
  echo "error: bicep build reported warnings; the build must be clean" >&2
  exit 1
fi
echo "$outfile"
