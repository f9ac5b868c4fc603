#!/usr/bin/env bash
# The README's first command: fetches the models and the demo photos on first use, then swaps the best face of
# sample3.jpg into every face of the other demo photos. Outputs and reports land in out/demo/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
scripts/fetch-samples.sh .cache/samples >/dev/null
dotnet build src/FaceSwap.Cli -c Release -v quiet -nologo >/dev/null
faceswap() { dotnet "src/FaceSwap.Cli/bin/Release/net10.0/faceswap.dll" "$@"; }
faceswap models pull
mkdir -p out/demo
for n in 1 2 4; do
  faceswap swap --source .cache/samples/sample3.jpg --target ".cache/samples/sample$n.jpg" \
    --output "out/demo/sample$n.jpg" --report "out/demo/sample$n.json"
done
echo "outputs in $root/out/demo"
