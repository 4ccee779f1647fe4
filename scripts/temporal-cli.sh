#!/usr/bin/env bash
# Prints the path of a Temporal CLI to use (for the dev stack, the tests and CI), in this order:
#   1. $TEMPORAL_CLI_PATH, if set;
#   2. `temporal` on PATH;
#   3. a cached build in $LONGRUN_CACHE_DIR (default ~/.cache/longrun);
#   4. a fresh build of the pinned version with `go install` into that cache (a few minutes, once).
# Never downloads a prebuilt binary. Fails with instructions when none of these is possible.
set -euo pipefail

version="${TEMPORAL_CLI_VERSION:-v1.5.1}"
cache_dir="${LONGRUN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/longrun}/temporal-cli/$version"
cached="$cache_dir/temporal"

fail() {
  cat >&2 <<MSG
longrun: no Temporal CLI found. $1
Install one of these ways, then run the command again:
  - Homebrew:      brew install temporal
  - Go toolchain:  go install github.com/temporalio/cli/cmd/temporal@$version
                   (or just install Go: this script then builds it into $cache_dir)
  - Elsewhere:     set TEMPORAL_CLI_PATH=/path/to/temporal
MSG
  exit 1
}

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || fail "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file."
  echo "$TEMPORAL_CLI_PATH"
  exit 0
fi

if on_path="$(command -v temporal 2>/dev/null)"; then
  echo "$on_path"
  exit 0
fi

if [[ -x "$cached" ]]; then
  echo "$cached"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed, so it cannot be built here."
echo "longrun: building Temporal CLI $version into $cache_dir (one time, a few minutes)..." >&2
mkdir -p "$cache_dir"
# Build into a temporary folder first, so that an interrupted build never leaves a broken binary.
tmp="$(mktemp -d "$cache_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if ! GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -trimpath" go install "github.com/temporalio/cli/cmd/temporal@$version" >&2; then
  fail "'go install github.com/temporalio/cli/cmd/temporal@$version' failed (output above)."
fi
mv "$tmp/temporal" "$cached"
echo "$cached"
