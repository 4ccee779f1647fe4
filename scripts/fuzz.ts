/**
 * `npm run fuzz`: the whole OpenAPI fuzzing run. Starts its own stack on free ports (an in-memory
 * Temporal dev server, a worker and an API, as the end-to-end tests do), runs Schemathesis over
 * `/openapi.json` with every check and every phase (the stateful one follows the document's
 * links), prints its findings, stops the stack, and exits with Schemathesis's code (0: none).
 *
 * Arguments after `--` go to `st run` (e.g. `npm run fuzz -- --max-examples 20 --seed 1`);
 * LONGRUN_URL fuzzes an API that is already running instead, with the key the CLI would send
 * (LONGRUN_API_KEY, else the local stack's .data/dev-api-key).
 * Reports (JUnit, NDJSON) go to .data/fuzz/.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '../src/auth/key-admin.js';
import { updateKeysFile } from '../src/auth/keys-file.js';
import { rotateWebhookSecret } from '../src/auth/webhook-secrets.js';
import { readSettings } from '../src/cli/settings.js';
import { onInterrupt, startApi, startDevServer, startWorker, stopAll } from './launcher.js';
import { findSchemathesis, fuzzApiEnv, runSchemathesis } from './contract/schemathesis.js';

async function main(): Promise<number> {
  const st = await findSchemathesis();
  if ('missing' in st) {
    console.error(`[fuzz] ${st.missing}`);
    return 3;
  }
  const extraArgs = process.argv.slice(2);
  const reportDir = join('.data', 'fuzz');
  const given = process.env.LONGRUN_URL;
  if (given) {
    const { apiKey } = readSettings(process.env);
    const { exitCode } = await runSchemathesis(st.path, {
      apiUrl: given.replace(/\/$/, ''),
      ...(apiKey && { apiKey }),
      reportDir,
      echo: true,
      extraArgs,
    });
    return exitCode;
  }

  const dir = await mkdtemp(join(tmpdir(), 'longrun-fuzz-'));
  onInterrupt(async () => {
    await stopAll(10_000);
    await rm(dir, { recursive: true, force: true });
  });
  try {
    const taskQueue = `fuzz-${randomUUID()}`;
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const keysFile = join(dir, 'api-keys.json');
    // Every endpoint but the health and document ones needs a key: one tenant, every scope, no
    // rate limit (a 429 would hide what the fuzzer is after), and a webhook secret so callbacks are
    // accepted. Schemathesis also sends requests without it, which must be the documented 401.
    const apiKey = await updateKeysFile(keysFile, (file) => {
      rotateWebhookSecret(file, 'fuzz', { secret: webhookSecret });
      return addApiKey(file, { tenant: 'fuzz' }).secret;
    });
    const shared = {
      ARTIFACTS_DIR: join(dir, 'artifacts'),
      WEBHOOK_SECRETS: webhookSecret,
      API_KEYS_FILE: keysFile,
    };
    const server = await startDevServer();
    console.log(`[fuzz] Temporal dev server on ${server.address}`);
    await startWorker({
      address: server.address,
      taskQueue,
      env: { ...shared, MASTER_KEYS: `fuzz:${randomBytes(32).toString('base64')}`, NEXUS_TENANT: 'fuzz' },
    });
    const api = await startApi({
      address: server.address,
      taskQueue,
      env: {
        ...shared,
        ACCESS_TOKEN_SECRETS: randomBytes(32).toString('base64url'),
        ...fuzzApiEnv,
      },
    });
    console.log(`[fuzz] API on ${api.url}; Schemathesis ${st.path}`);
    const { exitCode } = await runSchemathesis(st.path, {
      apiUrl: api.url,
      apiKey,
      reportDir,
      echo: true,
      extraArgs,
    });
    console.log(`[fuzz] Schemathesis exited ${exitCode}; reports in ${reportDir}/`);
    return exitCode;
  } finally {
    await stopAll(10_000);
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[fuzz]', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
