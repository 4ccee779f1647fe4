/**
 * `npm run --silent api-key -- <command>`: manage API keys and tenants' webhook signing secrets in
 * the keys file (API_KEYS_FILE, default .data/api-keys.json; written owner-only, atomically, under
 * a lock). Running APIs and workers pick up every change within a few seconds.
 *
 *   create --tenant <name> [--scope <scope>]... [--rate <n>/s] [--max-open <n>]
 *       a new key (default: every scope); prints its secret alone on stdout — it is shown once
 *   list [--tenant <name>] [--json]
 *   revoke <key id>
 *   webhook-secret rotate --tenant <name> [--overlap <seconds>]
 *       a new signing secret for the tenant, printed alone on stdout; the older ones keep
 *       signing beside it for the overlap (default 86400 s, one day), so receivers can switch
 *   webhook-secret list [--tenant <name>]
 *   webhook-secret remove <secret id>       stop signing with it at once (e.g. it leaked)
 */
import { parseArgs } from 'node:util';
import { isScope, scopes, type Scope } from '../src/contract/scopes.js';
import { addApiKey, KeyAdminError, revokeApiKey } from '../src/auth/key-admin.js';
import {
  defaultKeysFile,
  formatRate,
  KeysFileError,
  parseRate,
  readKeysFile,
  updateKeysFile,
} from '../src/auth/keys-file.js';
import {
  activeWebhookSecrets,
  defaultRotationOverlapSeconds,
  removeWebhookSecret,
  rotateWebhookSecret,
} from '../src/auth/webhook-secrets.js';

const usage = `usage: npm run --silent api-key -- <command>
  create --tenant <name> [--scope <scope>]... [--rate <n>/s] [--max-open <n>]
  list [--tenant <name>] [--json]
  revoke <key id>
  webhook-secret rotate --tenant <name> [--overlap <seconds>]
  webhook-secret list [--tenant <name>]
  webhook-secret remove <secret id>
scopes: ${scopes.join(', ')} (default: all)
the keys file: API_KEYS_FILE (default ${defaultKeysFile})`;

class UsageError extends Error {}

const file = process.env.API_KEYS_FILE?.trim() || defaultKeysFile;

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      scope: { type: 'string', multiple: true },
      rate: { type: 'string' },
      'max-open': { type: 'string' },
      overlap: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${what} must be a whole number, not "${text}"`);
  return Number(text);
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    console.log(usage);
    return;
  }
  switch (command) {
    case 'create': {
      const tenant = required(values.tenant, '--tenant');
      const wanted = values.scope ?? [];
      const bad = wanted.filter((scope) => !isScope(scope));
      if (bad.length > 0)
        throw new UsageError(`unknown scope ${bad.join(', ')}; scopes: ${scopes.join(', ')}`);
      const rate = values.rate === undefined ? undefined : parseRate(values.rate);
      if (values.rate !== undefined && !rate)
        throw new UsageError(`--rate takes <n>/s, <n>/min or <n>/h, not "${values.rate}"`);
      const maxOpen =
        values['max-open'] === undefined ? undefined : wholeNumber(values['max-open'], '--max-open');
      const { record, secret } = await updateKeysFile(file, (keys) =>
        addApiKey(keys, {
          tenant,
          scopes: wanted as Scope[],
          ...(rate && { rate }),
          ...(maxOpen !== undefined && { maxOpen }),
        }),
      );
      console.error(
        `created ${record.id} for tenant ${record.tenant} (${record.scopes.join(' ')}${rate ? `, ${formatRate(rate)}` : ''}` +
          `${maxOpen !== undefined ? `, at most ${maxOpen} open` : ''}) in ${file}; the secret is shown this once:`,
      );
      console.log(secret);
      return;
    }
    case 'list': {
      const keys = ((await readKeysFile(file))?.keys ?? []).filter(
        (key) => values.tenant === undefined || key.tenant === values.tenant,
      );
      if (values.json) {
        // Hashes stay in the file: nothing a listing needs.
        console.log(
          JSON.stringify(
            keys.map(({ hash: _hash, ...key }) => key),
            null,
            2,
          ),
        );
        return;
      }
      const rows = keys.map((key) => [
        key.id,
        key.tenant,
        key.scopes.join(','),
        key.rate ? formatRate(key.rate) : '-',
        key.maxOpen === undefined ? '-' : String(key.maxOpen),
        key.createdAt,
        key.revokedAt ? `revoked ${key.revokedAt}` : 'active',
      ]);
      printTable(['id', 'tenant', 'scopes', 'rate', 'max-open', 'created', 'status'], rows);
      return;
    }
    case 'revoke': {
      const id = required(rest[0], 'the key id');
      const record = await updateKeysFile(file, (keys) => revokeApiKey(keys, id));
      console.error(
        `revoked ${record.id} of tenant ${record.tenant}; running APIs refuse it within a few seconds`,
      );
      return;
    }
    case 'webhook-secret':
      return webhookSecret(rest, values);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function webhookSecret(args: string[], values: ReturnType<typeof parse>['values']): Promise<void> {
  const [action, id] = args;
  switch (action) {
    case 'rotate': {
      const tenant = required(values.tenant, '--tenant');
      const overlapSeconds =
        values.overlap === undefined
          ? defaultRotationOverlapSeconds
          : wholeNumber(values.overlap, '--overlap');
      const record = await updateKeysFile(file, (keys) => {
        if (!keys.keys.some((key) => key.tenant === tenant) && !keys.tenants[tenant]) {
          throw new KeyAdminError(`no tenant "${tenant}" (create a key for it first)`);
        }
        return rotateWebhookSecret(keys, tenant, { overlapSeconds });
      });
      console.error(
        `new webhook signing secret ${record.id} for tenant ${tenant}; older ones keep signing for ${overlapSeconds} s:`,
      );
      console.log(record.secret);
      return;
    }
    case 'list': {
      const keys = await readKeysFile(file);
      const now = new Date();
      const rows = Object.entries(keys?.tenants ?? {})
        .filter(([tenant]) => values.tenant === undefined || tenant === values.tenant)
        .flatMap(([tenant, record]) => {
          const active = new Set(keys ? activeWebhookSecrets(keys, tenant, now).map((s) => s.id) : []);
          return record.webhookSecrets.map((secret) => [
            secret.id,
            tenant,
            secret.createdAt,
            secret.expiresAt ?? '-',
            active.has(secret.id) ? 'signing' : 'expired',
          ]);
        });
      printTable(['id', 'tenant', 'created', 'expires', 'status'], rows);
      return;
    }
    case 'remove': {
      const secretId = required(id, 'the secret id');
      const removed = await updateKeysFile(file, (keys) => removeWebhookSecret(keys, secretId));
      if (!removed) throw new KeyAdminError(`no webhook secret has id "${secretId}"`);
      console.error(`removed ${secretId}; workers stop signing with it within a few seconds`);
      return;
    }
    default:
      throw new UsageError(`webhook-secret takes rotate, list or remove, not "${action ?? ''}"`);
  }
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [head, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`api-key: ${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
  console.error(
    `api-key: ${err instanceof KeyAdminError || err instanceof KeysFileError ? err.message : String(err)}`,
  );
  process.exit(1);
});
