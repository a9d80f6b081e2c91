#!/bin/sh
# Makes the SBOM fixtures that come from generators not installed in the project's venv.  Run from this
# directory; needs python3 with venv, npm, and PyPI + npm registry access.  The fixtures are committed:
# tests read them, they never run this script.
#
#   cdx-py-*.json|xml   cyclonedx-py (PyPI cyclonedx-bom 7.5.0) over a venv with six, idna, urllib3
#   npm-*.json          npm 11 `npm sbom` (CycloneDX 1.5 and SPDX 2.3 JSON) of a project with ms,
#                       debug and the scoped @sindresorhus/is
#   spdx3-debian.jsonld spdx-python-model 0.0.6 (the SPDX project's 3.0.1 bindings), make_spdx3.py
set -eu
HERE=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 -m venv "$WORK/gen"
"$WORK/gen/bin/pip" install -q cyclonedx-bom==7.5.0 spdx-python-model==0.0.6 packageurl-python==0.17.6
python3 -m venv "$WORK/env"
"$WORK/env/bin/pip" install -q six==1.16.0 idna==3.4 urllib3==1.26.5
for sv in 1.4 1.5 1.6 1.7; do
  "$WORK/gen/bin/cyclonedx-py" environment --output-reproducible --sv "$sv" --of JSON \
    -o "$HERE/cdx-py-$sv.json" "$WORK/env"
done
for sv in 1.5 1.6; do
  "$WORK/gen/bin/cyclonedx-py" environment --output-reproducible --sv "$sv" --of XML \
    -o "$HERE/cdx-py-$sv.xml" "$WORK/env"
done

mkdir "$WORK/npm" && cd "$WORK/npm"
npm init -y >/dev/null
npm install --silent ms@2.1.3 debug@4.3.4 @sindresorhus/is@4.6.0
npm sbom --sbom-format cyclonedx > "$HERE/npm-cyclonedx.json"
npm sbom --sbom-format spdx > "$HERE/npm-spdx.json"
cd "$HERE"

"$WORK/gen/bin/python" make_spdx3.py > spdx3-debian.jsonld
