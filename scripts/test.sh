#!/usr/bin/env bash
# The README's second command and what CI runs: installs what the tests need (skipping what is there), then runs
# the whole test suite. Models, photos and Azurite are fetched by the tests' fixtures on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
if [ -x scripts/azurite.sh ]; then scripts/azurite.sh; fi
dotnet test FaceSwap.Orleans.sln -nologo "$@"
# The client SDK's package (with its symbols package) and the wire contracts it depends on, packed from what the
# tests just built (Debug): seconds. A broken package (an undocumented public member, a missing README) fails here.
dotnet pack src/FaceSwap.Client -c Debug --no-build -nologo -o out/packages
dotnet pack src/FaceSwap.Contracts -c Debug --no-build -nologo -o out/packages
