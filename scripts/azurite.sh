#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator) from npm into the repository's ignored .tools/azurite folder, once,
# so tests (tests/FaceSwap.Testing AzuriteFixture) and CI reuse it instead of installing per run.
#
#   scripts/azurite.sh                 install azurite@3.37.0 if it is not there yet; print the entry script's path
#   scripts/azurite.sh run [ARGS...]   install if needed, then run Azurite in the foreground with ARGS
#                                      (e.g. run --silent --location /tmp/az --blobPort 10000)
#
# The install holds the same lock file as the test fixture (.tools/azurite.install.lock), so a CI pre-install and
# parallel test projects never install twice at the same time.
set -euo pipefail

AZURITE_VERSION="3.37.0"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo_root/.tools"
prefix="$tools/azurite"
entry="$prefix/node_modules/azurite/dist/src/azurite.js"
package_json="$prefix/node_modules/azurite/package.json"

installed_version() {
  [ -f "$package_json" ] && node -p "require(process.argv[1]).version" "$package_json" 2>/dev/null || true
}

command -v node >/dev/null || { echo "azurite.sh: node is not on PATH; install Node.js 18 or later." >&2; exit 1; }
command -v npm >/dev/null || { echo "azurite.sh: npm is not on PATH; install Node.js 18 or later." >&2; exit 1; }

if [ "$(installed_version)" != "$AZURITE_VERSION" ] || [ ! -f "$entry" ]; then
  mkdir -p "$prefix"
  exec 9>"$tools/azurite.install.lock"
  flock 9
  if [ "$(installed_version)" != "$AZURITE_VERSION" ] || [ ! -f "$entry" ]; then
    echo "azurite.sh: installing azurite@$AZURITE_VERSION into $prefix ..." >&2
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2
  fi
  flock -u 9
  exec 9>&-
fi

if [ "${1:-}" = "run" ]; then
  shift
  exec node "$entry" "$@"
fi
echo "$entry"
