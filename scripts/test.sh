#!/usr/bin/env bash
# The README's second command and what CI runs: installs what the tests need (skipping what is there), then runs
# the whole test suite. Models, photos and Azurite are fetched by the tests' fixtures on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
if [ -x scripts/azurite.sh ]; then scripts/azurite.sh; fi
dotnet test FaceSwap.Orleans.sln -nologo "$@"
