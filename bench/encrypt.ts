/**
 * `npm run bench:encrypt [-- MiB]`: encrypt throughput of longrun's chunk format against plain
 * Node AES-256-GCM over the same bytes, in memory (no disk: this measures the crypto and the
 * framing, not the store). Prints a table; each figure is the best of a few rounds.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { ChunkCipher, defaultChunkSize } from '../src/crypto/chunk-format.js';
import { KeyRing } from '../src/crypto/keyring.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? process.env.BENCH_ENCRYPT_MIB ?? 256);
const rounds = 3;
if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error('usage: bench/encrypt.ts [MiB]');

const data = randomBytes(sizeMiB * MiB);
const key = randomBytes(32);
const keys = new KeyRing([{ id: 'bench', key: randomBytes(32) }]);

/** Each method returns the bytes it produced, so that nothing is optimized away. */
const methods: { name: string; run: () => number }[] = [
  {
    name: 'node createCipheriv, one stream',
    run: () => {
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
      let out = 0;
      for (let at = 0; at < data.length; at += defaultChunkSize) {
        out += cipher.update(data.subarray(at, at + defaultChunkSize)).length;
      }
      return out + cipher.final().length + cipher.getAuthTag().length;
    },
  },
  {
    name: 'node createCipheriv per 64 KiB chunk',
    run: () => {
      let out = 0;
      for (let at = 0; at < data.length; at += defaultChunkSize) {
        const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
        out += cipher.update(data.subarray(at, at + defaultChunkSize)).length;
        out += cipher.final().length + cipher.getAuthTag().length;
      }
      return out;
    },
  },
  {
    name: 'longrun chunk format (ChunkCipher.seal)',
    run: () => {
      const cipher = ChunkCipher.create(keys);
      let out = cipher.header.length;
      for (let index = 0, at = 0; at < data.length; index++, at += defaultChunkSize) {
        const plaintext = data.subarray(at, at + defaultChunkSize);
        out += cipher.seal(index, plaintext, at + defaultChunkSize >= data.length).length;
      }
      return out;
    },
  },
];

function best(run: () => number): { mibPerSecond: number; bytes: number } {
  let fastest = Infinity;
  let bytes = 0;
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    bytes = run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return { mibPerSecond: sizeMiB / fastest, bytes };
}

methods[0]!.run(); // warm up
const results = methods.map(({ name, run }) => ({ name, ...best(run) }));
const baseline = results[0]!.mibPerSecond;

console.log(
  `encrypt ${sizeMiB} MiB in memory, ${defaultChunkSize / 1024} KiB chunks, best of ${rounds}; ` +
    `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores), Node ${process.version}\n`,
);
const rows = [
  ['method', 'MiB/s', 'vs one stream', 'output bytes'],
  ...results.map((r) => [
    r.name,
    r.mibPerSecond.toFixed(0),
    `${(r.mibPerSecond / baseline).toFixed(2)}×`,
    String(r.bytes),
  ]),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
const line = (row: string[]) =>
  `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));
const ours = results.at(-1)!;
console.log(
  `\nchunk format / plain GCM: ${(ours.mibPerSecond / baseline).toFixed(2)} ` +
    `(size overhead ${(((ours.bytes - data.length) / data.length) * 100).toFixed(3)}%)`,
);
