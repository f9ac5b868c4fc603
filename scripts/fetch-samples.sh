#!/usr/bin/env bash
# Fetches the demo group photos (sample1..6.jpg; 5 and 6 are held out of tuning, see docs/quality.md) from the npm package @vladmandic/face-api@1.7.15 (MIT)
# into DIR (default .cache/samples), verifying each sha256. Idempotent: verified files are kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.cache/samples}"
mkdir -p "$dest"
declare -A sums=(
  [sample1.jpg]=8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51
  [sample2.jpg]=7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691
  [sample3.jpg]=8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936
  [sample4.jpg]=729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc
  [sample5.jpg]=6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938
  [sample6.jpg]=9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87
)
verified() { [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "${sums[$1]}" ]; }
missing=0
for f in "${!sums[@]}"; do verified "$f" || missing=1; done
[ "$missing" = 0 ] && exit 0
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null && tar xzf vladmandic-face-api-1.7.15.tgz package/demo)
for f in "${!sums[@]}"; do
  cp "$work/package/demo/$f" "$dest/$f.tmp"
  actual="$(sha256sum "$dest/$f.tmp" | cut -d' ' -f1)"
  if [ "$actual" != "${sums[$f]}" ]; then
    rm -f "$dest/$f.tmp"; echo "sha256 mismatch for $f: expected ${sums[$f]}, got $actual" >&2; exit 1
  fi
  mv "$dest/$f.tmp" "$dest/$f"
done
echo "demo photos in $dest"
