/**
 * The keys file as a running API or worker sees it: loaded at start, then looked at every
 * `reloadIntervalMs` (1 s) and reloaded when it changed, so that a key created or revoked with
 * the `api-key` tool takes effect within a few seconds, without a restart. A change that does not
 * parse is reported and ignored (the last good version stays); a removed file means no keys.
 */
import { stat } from 'node:fs/promises';
import { hashApiKey, maxCredentialLength } from './api-keys.js';
import { emptyKeysFile, readKeysFile, type ApiKeyRecord, type KeysFile } from './keys-file.js';
import { activeWebhookSecrets } from './webhook-secrets.js';

export interface KeyStoreOptions {
  path: string;
  reloadIntervalMs?: number;
  /** Where reload problems are reported (default: console.warn). */
  warn?: (message: string) => void;
}

export class KeyStore {
  private file: KeysFile = emptyKeysFile();
  private byHash = new Map<string, ApiKeyRecord>();
  private byId = new Map<string, ApiKeyRecord>();
  private version = '';
  private timer: NodeJS.Timeout | undefined;
  private warnedMode = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: KeyStoreOptions) {}

  /** A fixed set of keys, never reloaded (for tests and tools). */
  static of(file: KeysFile): KeyStore {
    const store = new KeyStore({ path: '(in memory)' });
    store.use(file);
    return store;
  }

  /** Load the file (a malformed one is an error: fail at start, not at the first request). */
  static async open(options: KeyStoreOptions): Promise<KeyStore> {
    const store = new KeyStore(options);
    await store.reload({ strict: true });
    store.timer = setInterval(() => void store.reload({ strict: false }), options.reloadIntervalMs ?? 1000);
    store.timer.unref();
    return store;
  }

  get path(): string {
    return this.options.path;
  }

  /** The active (not revoked) key with this secret. */
  findKey(secret: string): ApiKeyRecord | undefined {
    if (secret.length > maxCredentialLength) return undefined;
    return this.byHash.get(hashApiKey(secret));
  }

  /** The active key with this id. */
  keyById(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id);
  }

  /** Ids of the active keys. */
  activeKeyIds(): ReadonlySet<string> {
    return new Set(this.byId.keys());
  }

  /** The tenant's webhook secrets that sign now (decoded), newest first; empty if it has none. */
  webhookSecrets(tenant: string, now = new Date()): Buffer[] {
    return activeWebhookSecrets(this.file, tenant, now).map((record) =>
      Buffer.from(record.secret.slice('whsec_'.length), 'base64'),
    );
  }

  /** Called after every reload that changed something. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Look at the file now; reload it if it changed. */
  async reload({ strict }: { strict: boolean }): Promise<void> {
    const { path } = this.options;
    let version: string;
    try {
      const info = await stat(path);
      version = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (!this.warnedMode && (info.mode & 0o077) !== 0) {
        this.warnedMode = true;
        this.warn(`${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (strict) throw err;
        this.warn(`cannot read ${path}: ${(err as Error).message}`);
        return;
      }
      version = 'missing';
    }
    if (version === this.version) return;
    let file: KeysFile;
    try {
      file = (await readKeysFile(path)) ?? emptyKeysFile();
    } catch (err) {
      if (strict) throw err;
      this.warn(`${(err as Error).message}\n(keeping the keys loaded before)`);
      this.version = version; // report a broken version once, not every second
      return;
    }
    this.version = version;
    this.use(file);
    for (const listener of this.listeners) listener();
  }

  private use(file: KeysFile): void {
    this.file = file;
    const active = file.keys.filter((key) => key.revokedAt === undefined);
    this.byHash = new Map(active.map((key) => [key.hash, key]));
    this.byId = new Map(active.map((key) => [key.id, key]));
  }

  private warn(message: string): void {
    (this.options.warn ?? ((text: string) => console.warn(`longrun: ${text}`)))(message);
  }
}
