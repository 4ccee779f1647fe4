/**
 * The keys file (`API_KEYS_FILE`, default `.data/api-keys.json`): every API key (as a hash) with
 * its tenant, scopes and limits, and every tenant's webhook signing secrets. Those must be usable
 * by workers to sign, so they are stored as secrets: the file is written owner-only (0600), and
 * atomically (a temporary file renamed over it), so that a reader never sees half of it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { scopes, tenantNamePattern } from '../contract/scopes.js';

export const defaultKeysFile = '.data/api-keys.json';

const tenantName = z.string().regex(tenantNamePattern, 'not a tenant name');
const isoTime = z.iso.datetime({ offset: true });

/** At most `limit` requests per `windowSeconds`, as a token bucket that refills evenly. */
export const rateLimitSchema = z
  .object({
    limit: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
  })
  .strict();
export type RateLimit = z.infer<typeof rateLimitSchema>;

export const apiKeyRecordSchema = z
  .object({
    id: z.string().regex(/^key_[0-9a-f]{12}$/),
    tenant: tenantName,
    /** `sha256:` + base64url of the secret's SHA-256; the secret itself is never stored. */
    hash: z.string().regex(/^sha256:[A-Za-z0-9_-]{43}$/),
    scopes: z.array(z.enum(scopes)).min(1),
    rate: rateLimitSchema.optional(),
    /** Starts with this key are refused while the tenant has this many processes open. */
    maxOpen: z.number().int().min(0).optional(),
    createdAt: isoTime,
    revokedAt: isoTime.optional(),
  })
  .strict();
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export const webhookSecretRecordSchema = z
  .object({
    id: z.string().regex(/^whk_[0-9a-f]{12}$/),
    /** A Standard Webhooks secret, `whsec_` + base64 of at least 24 random bytes. */
    secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/),
    createdAt: isoTime,
    /** After this, the secret no longer signs (set when a newer one replaces it). */
    expiresAt: isoTime.optional(),
  })
  .strict();
export type WebhookSecretRecord = z.infer<typeof webhookSecretRecordSchema>;

export const tenantRecordSchema = z
  .object({ webhookSecrets: z.array(webhookSecretRecordSchema).default([]) })
  .strict();
export type TenantRecord = z.infer<typeof tenantRecordSchema>;

export const keysFileSchema = z
  .object({
    version: z.literal(1),
    keys: z.array(apiKeyRecordSchema).default([]),
    tenants: z.record(tenantName, tenantRecordSchema).default({}),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [index, key] of file.keys.entries()) {
      if (seen.has(key.id) || seen.has(key.hash)) {
        ctx.addIssue({ code: 'custom', path: ['keys', index], message: 'duplicate key id or hash' });
      }
      seen.add(key.id).add(key.hash);
    }
  });
export type KeysFile = z.infer<typeof keysFileSchema>;

export const emptyKeysFile = (): KeysFile => ({ version: 1, keys: [], tenants: {} });

export class KeysFileError extends Error {
  override name = 'KeysFileError';
}

/** Parse the file's text; throws a {@link KeysFileError} that says what is wrong and where. */
export function parseKeysFile(text: string, path = 'the keys file'): KeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KeysFileError(`${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = keysFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  throw new KeysFileError(`${path} is not a valid keys file:\n${issues.join('\n')}`);
}

/** The file's contents, or `undefined` if there is no file. */
export async function readKeysFile(path: string): Promise<KeysFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseKeysFile(text, path);
}

/** Replace the file atomically, owner-only. */
export async function writeKeysFile(path: string, file: KeysFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(keysFileSchema.parse(file), null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temporary, 0o600); // whatever the umask did
  await rename(temporary, path);
}

/**
 * Read, change and write the file under a lock (a `.lock` file beside it), so that two `api-key`
 * commands at once never lose each other's change. A lock older than 30 s is a crashed holder's.
 */
export async function updateKeysFile<T>(path: string, change: (file: KeysFile) => T): Promise<T> {
  const lock = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new KeysFileError(`${lock} is held by another command`);
      else await sleep(50);
    }
  }
  try {
    const file = (await readKeysFile(path)) ?? emptyKeysFile();
    const result = change(file);
    await writeKeysFile(path, file);
    return result;
  } finally {
    await rm(lock, { force: true });
  }
}

/** `10/s`, `600/min`, `1000/h` → a {@link RateLimit}; `undefined` if it is not one. */
export function parseRate(text: string): RateLimit | undefined {
  const match = /^(\d{1,9})\/(s|sec|second|m|min|minute|h|hour)$/.exec(text.trim());
  if (!match) return undefined;
  const limit = Number(match[1]);
  const unit = match[2]!;
  const windowSeconds = unit.startsWith('s') ? 1 : unit.startsWith('m') ? 60 : 3600;
  return limit >= 1 ? { limit, windowSeconds } : undefined;
}

export function formatRate({ limit, windowSeconds }: RateLimit): string {
  return `${limit}/${windowSeconds === 1 ? 's' : windowSeconds === 60 ? 'min' : windowSeconds === 3600 ? 'h' : `${windowSeconds}s`}`;
}
