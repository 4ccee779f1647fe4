import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/** What is known about a stored artifact. Artifacts are immutable: this never changes for an id. */
export interface ArtifactMeta {
  id: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the content, lowercase hex. */
  sha256: string;
  contentType: string;
  /** When it was stored (ISO 8601). */
  createdAt: string;
  /**
   * The tenant it belongs to: only that tenant reads it or names it as a process's input.
   * Absent on artifacts stored before tenants: they are nobody's.
   */
  tenant?: string;
}

/** A byte range, both ends inclusive (as in HTTP `Content-Range`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface CreateOptions {
  contentType: string;
  /** Whose artifact it is (the API always says; without one it is nobody's, readable by no tenant). */
  tenant?: string | undefined;
  /** Refuse (and leave nothing behind) once the content exceeds this many bytes. */
  maxBytes: number;
}

export interface WriterOptions {
  /**
   * Start with the first `length` bytes of the partial output of an earlier writer (typically
   * an earlier attempt of the same runner). The earlier partial is left alone until this writer
   * commits or aborts, then removed; if it is gone or shorter, {@link PartialNotFoundError}.
   */
  resumeFrom?: { id: string; length: number };
  /** Called as the earlier prefix is copied, with the bytes copied so far (runners heartbeat here). */
  onCopied?: (bytes: number) => void;
  /** Stops a long copy early (the writer is then not created). */
  signal?: AbortSignal;
}

/**
 * Writes one new artifact, possibly over several attempts. Nothing is visible under `id` until
 * {@link commit}. A writer that is simply abandoned (crash) leaves its partial output behind for
 * a later writer to resume from.
 */
export interface ArtifactWriter {
  /** The id the artifact will have once committed; also names the partial output. */
  readonly id: string;
  /** Bytes written so far (durable or not). */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Make everything written so far durable; resolves to the durable length. */
  flush(): Promise<number>;
  /** Publish the artifact (durably), the tenant's, and remove any partial output it resumed from. */
  commit(contentType: string, tenant?: string): Promise<ArtifactMeta>;
  /** Give up: remove the partial output, and any partial output it resumed from. */
  abort(): Promise<void>;
  /** Release resources but keep the partial output, for a later writer to resume from. */
  close(): Promise<void>;
}

/**
 * Where artifacts live. Routes and runners depend on this interface only; `local-store.ts` is
 * the default driver (a folder), and an object-store driver can implement the same contract.
 */
export interface ArtifactStore {
  /** Store a whole stream as a new artifact. Throws {@link ArtifactTooLargeError} past `maxBytes`. */
  create(
    content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: CreateOptions,
  ): Promise<ArtifactMeta>;
  /** The artifact's metadata, or `undefined` if there is none with this id (or the id is malformed). */
  stat(id: string): Promise<ArtifactMeta | undefined>;
  /** Read the artifact, or part of it. Throws {@link ArtifactNotFoundError}. */
  openRead(id: string, range?: Partial<ByteRange>): Promise<Readable>;
  /** Start writing a new artifact, optionally carrying on from an earlier partial output. */
  openWriter(options?: WriterOptions): Promise<ArtifactWriter>;
  /** Remove an artifact; removing one that does not exist is not an error. */
  remove(id: string): Promise<void>;
}

export class ArtifactNotFoundError extends Error {
  override name = 'ArtifactNotFoundError';
  constructor(readonly id: string) {
    super(`no artifact has id "${id}"`);
  }
}

export class ArtifactTooLargeError extends Error {
  override name = 'ArtifactTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the content exceeds ${maxBytes} bytes`);
  }
}

/** The partial output a writer was asked to resume from is gone (or shorter than expected). */
export class PartialNotFoundError extends Error {
  override name = 'PartialNotFoundError';
  constructor(
    readonly id: string,
    detail: string,
  ) {
    super(`cannot resume partial output "${id}": ${detail}`);
  }
}

/** 128 random bits, lowercase hex: unguessable, and safe as a file or object name on any system. */
const artifactIdPattern = /^[0-9a-f]{32}$/;

export function newArtifactId(): string {
  return randomBytes(16).toString('hex');
}

export function isArtifactId(id: string): boolean {
  return artifactIdPattern.test(id);
}

/** A media type with optional parameters, e.g. `text/plain; charset=utf-8` (RFC 9110 §8.3.1). */
export const mediaTypePattern =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:[ \t]*;[ \t]*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\\r\n]*"))*$/;

/** Content stored without a declared type is served as this. */
export const defaultContentType = 'application/octet-stream';

/** Whether `value` can be stored and served back as a Content-Type (a media type, at most 255 characters). */
export function isMediaType(value: string): boolean {
  return value.length <= 255 && mediaTypePattern.test(value);
}
