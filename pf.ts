import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { decodePng } from './evaluator/png.ts';
import { buildImageRecord, RecordScratch } from './evaluator/image-record.ts';
const root = '/work/shared/golden/timing-200';
const names = readFileSync(`${root}/names.txt`, 'utf8').split('\n').filter(Boolean).map(l => l.split(' ')[1]);
const gts = names.map(r => readFileSync(`${root}/gt/${r}`)), preds = names.map(r => readFileSync(`${root}/pred/${r}`));
const sc = new RecordScratch();
const ga = new Uint16Array(1 << 20), pa = new Uint16Array(1 << 20);
function idatOf(b: Buffer) { let off = 8; const idat: Buffer[] = []; while (off < b.length) { const len = b.readUInt32BE(off); if (b.toString('latin1', off + 4, off + 8) === 'IDAT') idat.push(b.subarray(off + 8, off + 8 + len)); off += 12 + len; } return Buffer.concat(idat); }
const idats = names.flatMap((_, i) => [idatOf(gts[i]), idatOf(preds[i])]);
for (let rep = 0; rep < 5; rep++) {
  let t = performance.now(); for (const d of idats) inflateSync(d); const tInf = performance.now() - t;
  t = performance.now(); for (let i = 0; i < 200; i++) { decodePng(gts[i], { into: ga }); decodePng(preds[i], { into: pa }); } const tDec = performance.now() - t;
  t = performance.now(); for (let i = 0; i < 200; i++) { const g = decodePng(gts[i], { into: ga }); const p = decodePng(preds[i], { into: pa }); buildImageRecord(g, p, 50, sc); } const tAll = performance.now() - t;
  console.log(`per image: inflate(2) ${(tInf / 200).toFixed(3)} decode(2) ${(tDec / 200).toFixed(3)} ms, full ${(tAll / 200).toFixed(3)} ms ratio ${(tAll / tDec).toFixed(2)}`);
}
