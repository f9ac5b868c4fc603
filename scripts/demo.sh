#!/usr/bin/env bash
# The README's first command: fetches the models and the demo photos on first use, then runs the batch platform
# (an embedded Orleans silo) over a nested copy of the demo photos, with the best face of sample3.jpg as the
# source. The output tree mirrors the input under out/demo/output; the job's summary and per-image outcomes are in
# out/demo/output/_faceswap/<job id>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
scripts/fetch-samples.sh .cache/samples >/dev/null
dotnet build src/FaceSwap.Cli -c Release -v quiet -nologo >/dev/null
faceswap() { dotnet "src/FaceSwap.Cli/bin/Release/net10.0/faceswap.dll" "$@"; }
faceswap models pull
mkdir -p out/demo/input/group-a out/demo/input/group-b/nested
cp -p .cache/samples/sample1.jpg .cache/samples/sample2.jpg out/demo/input/group-a/
cp -p .cache/samples/sample4.jpg out/demo/input/group-b/nested/
faceswap run --source .cache/samples/sample3.jpg --input out/demo/input --output out/demo/output "$@"
