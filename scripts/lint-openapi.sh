#!/usr/bin/env bash
# Lints the API's OpenAPI document with Redocly CLI's `recommended` rules (redocly.yaml at the repository root).
# Redocly CLI is installed from npm into the repository's ignored .tools/redocly folder, once.
#
#   scripts/lint-openapi.sh                  lint docs/openapi.json (the committed snapshot the tests hold the served document to)
#   scripts/lint-openapi.sh FILE             lint FILE
#   scripts/lint-openapi.sh --install-only   install if needed; print the CLI's entry script
#
# Exit code: 0 when the document has no error and no warning, non-zero otherwise (or when Node.js is missing).
set -euo pipefail

REDOCLY_VERSION="2.77.0"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo_root/.tools"
prefix="$tools/redocly"
entry="$prefix/node_modules/@redocly/cli/bin/cli.js"
package_json="$prefix/node_modules/@redocly/cli/package.json"

installed_version() {
  [ -f "$package_json" ] && node -p "require(process.argv[1]).version" "$package_json" 2>/dev/null || true
}

command -v node >/dev/null || { echo "lint-openapi.sh: node is not on PATH; install Node.js 20.19 or later." >&2; exit 1; }
command -v npm >/dev/null || { echo "lint-openapi.sh: npm is not on PATH; install Node.js 20.19 or later." >&2; exit 1; }

if [ "$(installed_version)" != "$REDOCLY_VERSION" ] || [ ! -f "$entry" ]; then
  mkdir -p "$prefix"
  exec 9>"$tools/redocly.install.lock"
  flock 9
  if [ "$(installed_version)" != "$REDOCLY_VERSION" ] || [ ! -f "$entry" ]; then
    echo "lint-openapi.sh: installing @redocly/cli@$REDOCLY_VERSION into $prefix ..." >&2
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >&2
  fi
  flock -u 9
  exec 9>&-
fi

if [ "${1:-}" = "--install-only" ]; then
  echo "$entry"
  exit 0
fi

document="${1:-$repo_root/docs/openapi.json}"
# No telemetry: the linter runs on machines that reach only package registries.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
shift || true
exec node "$entry" lint --config "$repo_root/redocly.yaml" --max-problems 500 "$document" "$@"
