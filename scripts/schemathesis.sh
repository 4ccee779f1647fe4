#!/usr/bin/env bash
# Prints the path of Schemathesis's `st` (the OpenAPI fuzzer of `npm run fuzz` and of the contract
# test), installing it first when needed: a pinned version from PyPI into a virtualenv outside
# the checkout (~/.cache/longrun), never into the system's Python. SCHEMATHESIS_PATH points at an
# `st` of your own. Exits 3 when no virtualenv can be made (no python3, or one without venv).
set -euo pipefail

version=4.32.5
if [[ -n "${SCHEMATHESIS_PATH:-}" ]]; then
  echo "$SCHEMATHESIS_PATH"
  exit 0
fi
venv="${XDG_CACHE_HOME:-$HOME/.cache}/longrun/schemathesis-$version"
# The marker is written last: a half-made virtualenv (an install cut off) is made again.
if [[ -f "$venv/.installed" ]]; then
  echo "$venv/bin/st"
  exit 0
fi

python=$(command -v python3 || true)
if [[ -z "$python" ]]; then
  echo "schemathesis.sh: no python3 on PATH; cannot install Schemathesis" >&2
  exit 3
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
trap '[[ -f "$venv/.installed" ]] || rm -rf "$venv"' EXIT
if ! "$python" -m venv "$venv" >&2; then
  echo "schemathesis.sh: $python cannot make a virtualenv (on Debian: apt-get install python3-venv)" >&2
  exit 3
fi
echo "schemathesis.sh: installing schemathesis==$version into $venv (once)" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
touch "$venv/.installed"
echo "$venv/bin/st"
