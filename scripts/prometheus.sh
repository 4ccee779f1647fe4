#!/usr/bin/env bash
# Make sure Prometheus and promtool (Debian's `prometheus` package) are on the PATH, for the
# metrics end-to-end test: installed with apt-get when missing (as root, or through sudo), with
# the package's service kept from starting (the test runs its own on a free port).
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then exit 0; fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "Prometheus is missing: install Debian's \`prometheus\` package (apt-get install prometheus)." >&2
    exit 1
  fi
  sudo=(sudo)
fi
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # 101: "action not allowed", so the package's post-install does not start the service.
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
echo "installing Debian's prometheus package…" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
