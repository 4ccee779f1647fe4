#!/usr/bin/env sh
# `npm run api` and `npm run worker`: with NODE_ENV=production, the compiled code in dist/ (and, for
# the worker, the prebuilt workflow bundle), as `npm run build` made them: no tsx, no webpack at
# start. Otherwise the TypeScript sources through tsx, the workflows bundled at start.
set -eu
cd "$(dirname "$0")/.."
case "${1:-}" in
  api) source=src/api/server.ts compiled=dist/api/server.js ;;
  worker) source=src/worker.ts compiled=dist/worker.js ;;
  *) echo "usage: scripts/run.sh api|worker" >&2; exit 2 ;;
esac
if [ "${NODE_ENV:-}" = production ]; then
  if [ ! -f "$compiled" ]; then
    echo "NODE_ENV=production runs the compiled code, and $compiled is missing: run \`npm run build\` first." >&2
    exit 1
  fi
  exec node "$compiled"
fi
exec node --import tsx "$source"
