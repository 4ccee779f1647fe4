#!/usr/bin/env bash
# Finds or builds the parts of a full Temporal cluster, for `npm run stack:cluster` and the tests
# that run on a cluster. Prints one line per part, `name=path`:
#   server=…   the Temporal server (go.temporal.io/server/cmd/server)
#   sql=…      its SQL schema tool (go.temporal.io/server/cmd/tools/sql, `temporal-sql-tool` upstream)
#   ui=…       the Web UI server (github.com/temporalio/ui-server/v2/cmd/server; the web app is embedded)
#   module=…   the server module's source (schema/postgresql/v12 and config/ come from there)
# Each binary is, in this order: $TEMPORAL_SERVER_PATH / $TEMPORAL_SQL_TOOL_PATH / $TEMPORAL_UI_SERVER_PATH
# if set; else a cached build in $LONGRUN_CACHE_DIR (default ~/.cache/longrun); else a fresh build of
# the pinned version with `go install` into that cache (several minutes each, once).
# Never downloads a prebuilt binary. Fails with instructions when none of these is possible.
# `--only server|sql|ui|module` prints the bare path of one part.
set -euo pipefail

server_version="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
# The Web UI server version the Temporal CLI v1.5.1 pins (its go.mod); the web app is embedded in it.
ui_version="${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}"
cache_root="${LONGRUN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/longrun}"

only=""
if [[ "${1:-}" == "--only" ]]; then only="${2:?--only needs server, sql, ui or module}"; fi

fail() {
  cat >&2 <<MSG
longrun: $1
Install Go (https://go.dev/dl/), then run the command again: this script builds the pinned versions
into $cache_root with go install. Or build them yourself and point at them:
  go install go.temporal.io/server/cmd/server@$server_version          # TEMPORAL_SERVER_PATH
  go install go.temporal.io/server/cmd/tools/sql@$server_version       # TEMPORAL_SQL_TOOL_PATH
  go install github.com/temporalio/ui-server/v2/cmd/server@$ui_version # TEMPORAL_UI_SERVER_PATH
MSG
  exit 1
}

need_go() { command -v go >/dev/null 2>&1 || fail "Go is not installed, so the Temporal server cannot be built here."; }

# build <package@version> <binary name go install writes> <cache dir> <final name>
# Runs in the script's own shell (never in a $(…) subshell), so that a signal to the script reaches
# the traps below, which stop the build and remove its temporary folder.
build() {
  local package="$1" built="$2" dir="$3" name="$4"
  need_go
  echo "longrun: building $package into $dir (one time, a few minutes)..." >&2
  mkdir -p "$dir"
  # Build into a temporary folder first, so that an interrupted build never leaves a broken binary.
  build_tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  build_pid=""
  trap 'stop_build; exit 130' INT
  trap 'stop_build; exit 143' TERM
  trap 'stop_build; exit 129' HUP
  trap stop_build EXIT
  # Go builds are CPU-heavy and these machines are shared: be nice to the rest.
  GOBIN="$build_tmp" GOFLAGS="${GOFLAGS:-} -trimpath" nice -n 10 go install "$package" >&2 &
  build_pid=$!
  if ! wait "$build_pid"; then
    build_pid=""
    fail "'go install $package' failed (output above)."
  fi
  build_pid=""
  mv "$build_tmp/$built" "$dir/$name"
  stop_build
  trap - INT TERM HUP EXIT
}

stop_build() {
  if [[ -n "${build_pid:-}" ]]; then
    kill "$build_pid" 2>/dev/null || true
    wait "$build_pid" 2>/dev/null || true
    build_pid=""
  fi
  if [[ -n "${build_tmp:-}" ]]; then
    rm -rf "$build_tmp"
    build_tmp=""
  fi
}

# find_or_build <env var> <package> <version> <binary go install writes> <cache subdir> <final name>
# Sets $found to the binary's path.
find_or_build() {
  local var="$1" package="$2" version="$3" built="$4" sub="$5" name="$6"
  local given="${!var:-}"
  if [[ -n "$given" ]]; then
    [[ -x "$given" ]] || fail "$var=$given is not an executable file."
    found="$given"
    return
  fi
  local dir="$cache_root/$sub/$version"
  [[ -x "$dir/$name" ]] || build "$package@$version" "$built" "$dir" "$name"
  found="$dir/$name"
}

server() { find_or_build TEMPORAL_SERVER_PATH go.temporal.io/server/cmd/server "$server_version" server temporal-server temporal-server; }
sql() { find_or_build TEMPORAL_SQL_TOOL_PATH go.temporal.io/server/cmd/tools/sql "$server_version" sql temporal-server temporal-sql-tool; }
ui() { find_or_build TEMPORAL_UI_SERVER_PATH github.com/temporalio/ui-server/v2/cmd/server "$ui_version" server temporal-ui-server temporal-ui-server; }

# The server module's source, read-only in the Go module cache (downloaded through the module proxy once).
module() {
  local dir
  if dir="$(go mod download -json "go.temporal.io/server@$server_version" 2>/dev/null | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" && [[ -d "$dir/schema" ]]; then
    found="$dir"
    return
  fi
  need_go
  fail "'go mod download go.temporal.io/server@$server_version' failed: the schema files come from there."
}

case "$only" in
  "")
    server; s="$found"
    sql; q="$found"
    ui; u="$found"
    module; m="$found"
    printf 'server=%s\nsql=%s\nui=%s\nmodule=%s\n' "$s" "$q" "$u" "$m"
    ;;
  server | sql | ui | module) "$only"; echo "$found" ;;
  *) fail "unknown part '$only' (server, sql, ui or module)" ;;
esac
