/** A master key: wraps (encrypts) the per-file data keys, never data itself. */
export interface MasterKey {
  /** Recorded in every file it wraps a key for, so that decryption knows which key to use. */
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export const masterKeyBytes = 32;
const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parse `keyId:base64key[,keyId:base64key…]`. Error messages name key ids and positions, never
 * key material, so that they are safe to print.
 */
export function parseMasterKeys(text: string): MasterKey[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new Error('expected keyId:base64key[,keyId:base64key…]');
  const keys: MasterKey[] = [];
  entries.forEach((entry, position) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const encoded = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const which = `key ${position + 1}`;
    if (!keyIdPattern.test(id)) {
      throw new Error(`${which}: expected keyId:base64key, the id made of 1-64 of A-Z a-z 0-9 . _ -`);
    }
    const key = base64Pattern.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (key?.length !== masterKeyBytes) {
      throw new Error(
        `key "${id}": expected ${masterKeyBytes} bytes in base64 (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    if (keys.some((k) => k.id === id)) throw new Error(`key "${id}" is listed twice`);
    keys.push({ id, key });
  });
  return keys;
}

/**
 * The master keys a worker holds: the active one wraps the data keys of new files; every one
 * of them still unwraps the files it wrapped (that is how keys rotate).
 */
export class KeyRing {
  private readonly byId: ReadonlyMap<string, MasterKey>;
  readonly active: MasterKey;

  /** @param activeId the key new files use (default: the first). */
  constructor(keys: readonly MasterKey[], activeId?: string) {
    this.byId = new Map(keys.map((k) => [k.id, k]));
    const active = activeId === undefined ? keys[0] : this.byId.get(activeId);
    if (!active) throw new Error(activeId ? `no master key has id "${activeId}"` : 'no master keys');
    this.active = active;
  }

  get(id: string): MasterKey | undefined {
    return this.byId.get(id);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}
