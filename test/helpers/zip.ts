/** Builds zips for tests, including ones no well-behaved writer would produce. */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';

/**
 * Writes a zip with `add`, then applies byte-level renames: yazl refuses unsafe names such as
 * `../x`, so a test writes a same-length safe name and patches it afterwards.
 */
export async function craftZip(path: string, add: (z: yazl.ZipFile) => void, rename: [string, string][] = []): Promise<void> {
  const z = new yazl.ZipFile();
  add(z);
  z.end();
  await new Promise<void>((res, rej) => z.outputStream.pipe(createWriteStream(path)).on('close', res).on('error', rej));
  let bytes = readFileSync(path);
  for (const [from, to] of rename) bytes = Buffer.from(bytes.toString('latin1').split(from).join(to), 'latin1');
  writeFileSync(path, bytes);
}

export interface RawEntry { name: string; data: Buffer; extra?: Buffer; comment?: Buffer }

/**
 * A stored-entry zip written byte by byte, for central directories no writer library produces
 * (long extra fields and comments, many entries).
 */
export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [], central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const extra = e.extra ?? Buffer.alloc(0), comment = e.comment ?? Buffer.alloc(0);
    const crc = crc32(e.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); lh.writeUInt16LE(0, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(e.data.length, 18); lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26); lh.writeUInt16LE(0, 28);
    locals.push(lh, name, e.data);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(0x800, 8);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(e.data.length, 20); ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28); ch.writeUInt16LE(extra.length, 30); ch.writeUInt16LE(comment.length, 32);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name, extra, comment);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(entries.length, 8); eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A copy of a PNG with an ancillary private chunk of `bytes` random bytes right after IHDR. */
export function withPaddingChunk(png: Buffer, bytes: number, seed = 1): Buffer {
  const data = Buffer.alloc(bytes);
  let s = seed >>> 0;
  for (let i = 0; i < bytes; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s >>> 24; }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(bytes, 0);
  head.write('prVt', 4, 'latin1'); // lower-case first letter: ancillary, skipped by decoders
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([png.subarray(0, 33), head, data, crc, png.subarray(33)]);
}

/**
 * The overlapping-entries attack (hardening, second pass, finding 1): every entry is an honest
 * deflated file, then one shared `padBytes` block; the central directory declares each entry's
 * compressed size as running to the end of that pad (zlib ignores bytes after a stream's end).
 */
export function overlappingZip(entries: { name: string; data: Buffer }[], padBytes: number): Buffer {
  const locals: Buffer[] = [];
  const meta: { name: Buffer; crc: number; size: number; offset: number; dataStart: number }[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = deflateRawSync(e.data);
    const crc = crc32(e.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(raw.length, 18); lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, raw);
    meta.push({ name, crc, size: e.data.length, offset, dataStart: offset + 30 + name.length });
    offset += 30 + name.length + raw.length;
  }
  locals.push(Buffer.alloc(padBytes, 0x5a));
  const padEnd = offset + padBytes;
  const central: Buffer[] = [];
  for (const m of meta) {
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(m.crc, 16); ch.writeUInt32LE(padEnd - m.dataStart, 20); ch.writeUInt32LE(m.size, 24);
    ch.writeUInt16LE(m.name.length, 28); ch.writeUInt32LE(m.offset, 42);
    central.push(ch, m.name);
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(meta.length, 8); eocd.writeUInt16LE(meta.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(padEnd, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
