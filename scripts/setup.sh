#!/usr/bin/env bash
# Installs what the product and its tests need on a fresh Debian machine with the .NET SDK and Node.js:
# the native library OpenCvSharp links (libgtk-3-0). Skips what is already there.
set -euo pipefail
if ! ldconfig -p | grep -q 'libgtk-3.so.0'; then
  echo "installing libgtk-3-0 (needed by OpenCvSharp's native library)..." >&2
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libgtk-3-0 >/dev/null
fi
