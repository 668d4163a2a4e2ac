/**
 * Where each zip entry's bytes may lie, from the central directory alone (no entry is read): an
 * entry's compressed size cannot exceed what deflate (or storing) could make of its declared
 * uncompressed size, and its data cannot run into the next entry's local header or into the
 * central directory. Without these bounds the only limit on a compressed size is the file's
 * length, and many entries can each declare the same huge padding block as theirs: every read of
 * every entry then reads the pad (hardening, second pass, finding 1). Shared by the server's
 * ZipSource and the browser's pre-check (leaderboard-ui/client/zip-check.ts).
 */
import { problem, type Problem } from './rules.ts';

export interface EntryExtent {
  name: string;
  /** Offset of the local file header. */
  offset: number;
  /** The name's length in bytes (the local header repeats it before the data). */
  nameBytes: number;
  compressedSize: number;
  uncompressedSize: number;
  /** 0 stored, 8 deflate (others are refused elsewhere). */
  method: number;
}

const LOCAL_HEADER = 30;

/**
 * The most compressed bytes an entry of `uncompressed` bytes can honestly take: stored, exactly its
 * size; deflated, its size plus the 5-byte header of stored blocks as small as 1 KiB (real writers
 * use 16–64 KiB blocks) plus 256 bytes of slack for the final block.
 */
export function maxCompressedSize(method: number, uncompressed: number): number {
  if (method === 0) return uncompressed;
  return uncompressed + 5 * Math.ceil(uncompressed / 1024) + 256;
}

/**
 * Problems of the entries' extents, and for each entry (by index) the offset its data must end by:
 * the next entry's local header, or the central directory for the last one.
 */
export function checkExtents(entries: EntryExtent[], centralDirectoryOffset: number): { problems: Problem[]; ends: number[] } {
  const problems: Problem[] = [];
  const ends = new Array<number>(entries.length).fill(centralDirectoryOffset);
  for (const e of entries) {
    const max = maxCompressedSize(e.method, e.uncompressedSize);
    if (e.compressedSize > max) problems.push(problem('zip-compressed-size', e.name, { compressed: e.compressedSize, uncompressed: e.uncompressedSize, limit: max }));
  }
  const order = entries.map((_, i) => i).sort((a, b) => entries[a].offset - entries[b].offset);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const e = entries[i];
    const end = k + 1 < order.length ? entries[order[k + 1]].offset : centralDirectoryOffset;
    ends[i] = end;
    // the local header and name come first; a local extra field only makes the data start later
    const dataEnd = e.offset + LOCAL_HEADER + e.nameBytes + e.compressedSize;
    if (e.offset >= centralDirectoryOffset || dataEnd > end) {
      const into = k + 1 < order.length ? entries[order[k + 1]].name : 'the central directory';
      problems.push(problem('zip-overlap', e.name, { into, overlap: dataEnd - end }));
    }
  }
  return { problems, ends };
}
