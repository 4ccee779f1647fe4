import type { ByteRange } from '../artifacts/store.js';

/**
 * The one byte range a `Range` header asks for, clamped to `size`: `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. `undefined`: serve the whole content (no header, another unit, several ranges,
 * invalid syntax: a server may ignore all of those, RFC 9110 §14.2). `'unsatisfiable'`: 416.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
