#!/usr/bin/env bash
# Installs what the product and its tests need on a fresh Debian machine with the .NET SDK and Node.js:
# the native library OpenCvSharp links (libgtk-3-0), and Chromium with its WebDriver for the browser tests
# (chromium, chromium-driver), and libheif's heif-enc for the HEIC test photo (libheif-examples). Skips what is already there; runs apt-get update at most once.
set -euo pipefail
packages=()
if ! ldconfig -p | grep -q 'libgtk-3.so.0'; then
  echo "installing libgtk-3-0 (needed by OpenCvSharp's native library)..." >&2
  packages+=(libgtk-3-0)
fi
if ! command -v heif-enc >/dev/null; then
  echo "installing libheif-examples (heif-enc makes the HEIC test photo; the codec library here cannot encode HEVC)..." >&2
  packages+=(libheif-examples)
fi
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "installing chromium and chromium-driver (needed by the browser tests)..." >&2
  packages+=(chromium chromium-driver)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
