#!/usr/bin/env bash
# The whole test suite (`npm test`, about 16 minutes on a shared 2-core machine): types, lint and
# formatting, import cycles, then unit, workflow, replay, end-to-end and reliability tests against real Temporal dev servers.
# `npm test -- unit|workflows|e2e|reliability` runs one part alone. `npm test -- cluster` runs the
# end-to-end suite and the server-restart fault test on a Temporal cluster built from source
# (PostgreSQL and the four services apart, two history instances; the first build takes ~15 min);
# LONGRUN_TEST_TEMPORAL=cluster runs any part there. `npm test -- cluster-faults` (not in CI,
# 8 to 11 minutes) runs the cluster fault test: history, matching, frontend, PostgreSQL, a worker and an API
# broken in turn under a batch of 240 processes.
set -euo pipefail
cd "$(dirname "$0")/.."

suite="${1:-all}"
timeout_ms=600000 # per test file, and per test
case "$suite" in
  unit) files=(test/unit/*.test.ts) ;;
  workflows) files=(test/workflows/*.test.ts test/replay/*.test.ts) ;;
  e2e) files=(test/e2e/*.test.ts) ;;
  reliability) files=(test/reliability/*.test.ts) ;;
  cluster)
    # The HTTP contract's end-to-end files (start, read, wait, list, cancel, idempotency, webhooks,
    # event streams, artifacts, reads without a worker, Nexus) and a fault test: what CI's time
    # budget holds beside the whole suite on a dev server (LONGRUN_TEST_TEMPORAL=cluster with
    # `e2e` runs every end-to-end file there).
    export LONGRUN_TEST_TEMPORAL=cluster
    files=(test/e2e/{processes,control,push,artifacts,resilience,server-reads,nexus,auth-isolation}.test.ts
      test/reliability/server-restart.test.ts)
    ;;
  cluster-faults)
    # Beyond CI's time budget: each fault of the cluster and of longrun's processes under a batch.
    export LONGRUN_TEST_TEMPORAL=cluster
    files=(test/reliability/cluster-faults.test.ts)
    timeout_ms=1800000 # seven batches, one with a 60 s heartbeat timeout to wait out: ~8–10 min
    ;;
  all)
    echo "== typecheck, lint, format, import cycles"
    npx tsc --noEmit
    npx eslint .
    npx prettier --check . >/dev/null
    npm run --silent check:cycles # no import cycle, type-only imports included
    files=(test/unit/*.test.ts test/replay/*.test.ts test/workflows/*.test.ts test/e2e/*.test.ts test/reliability/*.test.ts)
    ;;
  *) echo "usage: scripts/test.sh [all|unit|workflows|e2e|reliability|cluster|cluster-faults]" >&2; exit 2 ;;
esac

if [[ "$suite" != unit ]]; then
  # Find or build the Temporal CLI up front, so a one-time build never runs inside a test's timeout.
  echo "== Temporal CLI: $(bash scripts/temporal-cli.sh)"
fi
if [[ "$suite" == all || "$suite" == e2e ]]; then
  # Likewise Schemathesis (the contract test's fuzzer): pip-installed once into ~/.cache/longrun.
  echo "== Schemathesis: $(bash scripts/schemathesis.sh)"
fi
if [[ "$suite" == all || "$suite" == e2e ]]; then
  bash scripts/prometheus.sh # the metrics test runs a real Prometheus (installed with apt-get when missing)
fi
if [[ "${LONGRUN_TEST_TEMPORAL:-}" == cluster ]]; then
  # The same for the cluster's server, schema tool and Web UI server.
  echo "== Temporal cluster binaries:"
  bash scripts/temporal-server.sh
fi

echo "== tests: ${#files[@]} files"
# One file at a time: each end-to-end file runs its own dev server, and the machine has 2 cores.
# `exec` (here and in package.json, as npm runs scripts through `sh -c`, which passes no signal
# on) makes the test runner the process that npm signals: Ctrl-C or SIGTERM of `npm test` reach
# it, it stops each test file, and each file's harness stops the servers it started.
exec node --import tsx --test --test-concurrency=1 --test-timeout="$timeout_ms" "${files[@]}"
