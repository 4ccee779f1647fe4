/**
 * Reads exact byte counts from a stream of arbitrarily sized chunks (file reads, HTTP bodies),
 * holding no more than one request's worth plus one chunk in memory.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    if (Symbol.asyncIterator in source) {
      this.iterator = source[Symbol.asyncIterator]();
    } else {
      const chunks = source[Symbol.iterator]();
      this.iterator = { next: () => Promise.resolve(chunks.next()) };
    }
  }

  /** The next `count` bytes; fewer only where the stream ends. */
  async read(count: number): Promise<Buffer> {
    await this.fill(count);
    const take = Math.min(count, this.buffered);
    this.position += take;
    this.buffered -= take;
    const first = this.chunks[0];
    if (first && first.length >= take) {
      // The common case: no copy.
      const out = first.subarray(0, take);
      if (first.length === take) this.chunks.shift();
      else this.chunks[0] = first.subarray(take);
      return out;
    }
    const parts: Buffer[] = [];
    for (let left = take; left > 0;) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= left) {
        parts.push(chunk);
        this.chunks.shift();
        left -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, left));
        this.chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    return Buffer.concat(parts, take);
  }

  /** Whether the stream has no more bytes. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.buffered === 0;
  }

  /** Stop reading (releases the underlying stream). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }

  private async fill(count: number): Promise<void> {
    while (this.buffered < count && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value)
        ? next.value
        : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }
}
