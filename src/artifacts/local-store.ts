import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  isArtifactId,
  newArtifactId,
  PartialNotFoundError,
  type ArtifactMeta,
  type ArtifactStore,
  type ArtifactWriter,
  type ByteRange,
  type CreateOptions,
  type WriterOptions,
} from './store.js';

/** Writes are gathered up to this size, then written with one system call. */
const writeBatchBytes = 1024 * 1024;
const readChunkBytes = 1024 * 1024;

/**
 * The default artifact store: one folder. An artifact is two files, `<id>` (the content) and
 * `<id>.json` (its metadata, written last: an artifact exists once its sidecar does). Content
 * is written under `.partial/<id>` and renamed into place when complete, so readers never see
 * a partial artifact, and a crashed writer leaves nothing but a partial file a retry can resume.
 * Files are private to the owner (0600): artifacts may hold secrets.
 */
export class LocalArtifactStore implements ArtifactStore {
  private constructor(readonly root: string) {}

  /** Open (creating if needed) the store in `root`. */
  static async open(root: string): Promise<LocalArtifactStore> {
    await mkdir(join(root, '.partial'), { recursive: true, mode: 0o700 });
    return new LocalArtifactStore(root);
  }

  async create(
    content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    { contentType, maxBytes, tenant }: CreateOptions,
  ): Promise<ArtifactMeta> {
    const writer = await this.openWriter();
    try {
      for await (const chunk of content) {
        if (writer.size + chunk.byteLength > maxBytes) throw new ArtifactTooLargeError(maxBytes);
        await writer.write(chunk);
      }
      return await writer.commit(contentType, tenant);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async stat(id: string): Promise<ArtifactMeta | undefined> {
    if (!isArtifactId(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.metaPath(id), 'utf8')) as ArtifactMeta;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async openRead(id: string, range: Partial<ByteRange> = {}): Promise<Readable> {
    const meta = await this.stat(id);
    if (!meta) throw new ArtifactNotFoundError(id);
    const start = range.start ?? 0;
    const end = Math.min(range.end ?? meta.size - 1, meta.size - 1);
    if (end < start) return Readable.from([]);
    let file: FileHandle;
    try {
      file = await open(this.dataPath(id), 'r');
    } catch (err) {
      if (isNotFound(err)) throw new ArtifactNotFoundError(id);
      throw err;
    }
    return file.createReadStream({ start, end, highWaterMark: readChunkBytes });
  }

  async openWriter({ resumeFrom, onCopied, signal }: WriterOptions = {}): Promise<ArtifactWriter> {
    const id = newArtifactId();
    const path = this.partialPath(id);
    const file = await open(path, 'wx', 0o600);
    const writer = new LocalWriter(this, id, path, file, resumeFrom ? [resumeFrom.id] : []);
    if (!resumeFrom) return writer;
    try {
      await this.copyPartial(resumeFrom.id, resumeFrom.length, writer, onCopied, signal);
      return writer;
    } catch (err) {
      // Remove only our own new file: the earlier partial stays for whoever can use it.
      await file.close().catch(() => undefined);
      await rm(path, { force: true });
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    if (!isArtifactId(id)) return;
    // Sidecar first: from then on the artifact does not exist, whatever happens to the content.
    await rm(this.metaPath(id), { force: true });
    await rm(this.dataPath(id), { force: true });
  }

  /**
   * Copy (and hash, through the writer) the durable prefix of an earlier partial output. A copy
   * rather than truncating in place: an earlier attempt that is still alive (timed out, not
   * dead) may still write to its own file, and must not corrupt ours.
   */
  private async copyPartial(
    from: string,
    length: number,
    writer: LocalWriter,
    onCopied?: (bytes: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (!isArtifactId(from)) throw new PartialNotFoundError(from, 'malformed id');
    let source: FileHandle;
    try {
      source = await open(this.partialPath(from), 'r');
    } catch (err) {
      if (isNotFound(err)) throw new PartialNotFoundError(from, 'it is gone');
      throw err;
    }
    const { size } = await source.stat();
    if (size < length) {
      await source.close();
      throw new PartialNotFoundError(from, `it has ${size} bytes, ${length} expected`);
    }
    if (length === 0) {
      await source.close();
      return;
    }
    const chunks = source.createReadStream({ end: length - 1, highWaterMark: readChunkBytes, signal });
    for await (const chunk of chunks) {
      await writer.write(chunk as Buffer);
      onCopied?.(writer.size);
    }
  }

  /** @internal */ dataPath(id: string): string {
    return join(this.root, id);
  }
  /** @internal */ metaPath(id: string): string {
    return join(this.root, `${id}.json`);
  }
  /** @internal */ partialPath(id: string): string {
    return join(this.root, '.partial', id);
  }
}

class LocalWriter implements ArtifactWriter {
  size = 0;
  /** Bytes handed to the file system (the rest waits in `pending`). */
  private written = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private state: 'open' | 'closed' = 'open';

  constructor(
    private readonly store: LocalArtifactStore,
    readonly id: string,
    private readonly path: string,
    private readonly file: FileHandle,
    /** Partial outputs this one carries on from: removed once this one commits or aborts. */
    private readonly superseded: string[],
  ) {}

  /** The chunk is kept (not copied) until written: do not reuse its memory. */
  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen();
    if (chunk.byteLength === 0) return;
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    if (this.pendingBytes >= writeBatchBytes) await this.drain();
  }

  async flush(): Promise<number> {
    this.assertOpen();
    await this.drain();
    await this.file.datasync();
    return this.size;
  }

  async commit(contentType: string, tenant?: string): Promise<ArtifactMeta> {
    await this.flush();
    this.state = 'closed';
    await this.file.close();
    const meta: ArtifactMeta = {
      id: this.id,
      size: this.size,
      sha256: this.hash.digest('hex'),
      contentType,
      createdAt: new Date().toISOString(),
      ...(tenant !== undefined && { tenant }),
    };
    const dataPath = this.store.dataPath(this.id);
    await rename(this.path, dataPath);
    try {
      await writeFileDurably(this.store.metaPath(this.id), `${JSON.stringify(meta)}\n`, this.path);
      await syncFolder(this.store.root);
    } catch (err) {
      await rm(dataPath, { force: true });
      throw err;
    }
    await this.removeSuperseded();
    return meta;
  }

  async abort(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    await this.removeSuperseded();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending = [];
    await this.file.close().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    let buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (buffers.length > 0) {
      const { bytesWritten } = await this.file.writev(buffers, this.written);
      this.written += bytesWritten;
      buffers = dropBytes(buffers, bytesWritten);
    }
  }

  private async removeSuperseded(): Promise<void> {
    for (const id of this.superseded) await rm(this.store.partialPath(id), { force: true });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`artifact writer ${this.id} is closed`);
  }
}

/** What remains of `buffers` once their first `count` bytes are written (short writes are rare). */
function dropBytes(buffers: Uint8Array[], count: number): Uint8Array[] {
  const rest = [...buffers];
  let left = count;
  while (rest.length > 0 && left >= rest[0]!.byteLength) left -= rest.shift()!.byteLength;
  if (left > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}

/** Write a small file atomically and durably: a temporary file next to `near`, then rename. */
async function writeFileDurably(path: string, text: string, near: string): Promise<void> {
  const temporary = `${near}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Make renames in `folder` durable. Not every platform can open a folder: best effort. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // e.g. Windows (EISDIR/EPERM): renames are still atomic there, only their durability is weaker.
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
