/** Builds small evaluation suites (GT dir, prediction dir, names list) in a temporary directory. */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeMask, type WriteOptions } from '../../datasets/imagenet-s/png-write.ts';

export interface MaskSpec { width: number; height: number; ids: Uint16Array }

/** A GT mask: background, a box of `cls`, and an ignore stripe on the left. */
export function boxMask(width: number, height: number, cls: number, inset = 3): MaskSpec {
  const ids = new Uint16Array(width * height);
  for (let y = inset; y < height - inset; y++) for (let x = inset; x < width - inset; x++) ids[y * width + x] = cls;
  for (let y = 0; y < height; y++) ids[y * width] = 1000;
  return { width, height, ids };
}

export class TempSuite {
  readonly dir = mkdtempSync(join(tmpdir(), 'isb-test-'));
  readonly gt = join(this.dir, 'gt');
  readonly pred = join(this.dir, 'pred');
  readonly names: string[] = [];

  addGt(rel: string, m: MaskSpec): this {
    this.write(join(this.gt, rel), encodeMask(m.ids, m.width, m.height));
    this.names.push(rel);
    return this;
  }

  addPred(rel: string, m: MaskSpec | Buffer, opts?: WriteOptions): this {
    this.write(join(this.pred, rel), Buffer.isBuffer(m) ? m : encodeMask(m.ids, m.width, m.height, opts));
    return this;
  }

  /** GT and an identical (or given) prediction. */
  add(rel: string, gt: MaskSpec, pred: MaskSpec | Buffer = gt, opts?: WriteOptions): this {
    return this.addGt(rel, gt).addPred(rel, pred, opts);
  }

  namesFile(): string {
    const f = join(this.dir, 'names.txt');
    writeFileSync(f, this.names.map((n) => `${n.replace(/\.png$/, '.JPEG')} ${n}`).join('\n'));
    return f;
  }

  write(path: string, data: Buffer | string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }

  cleanup(): void { rmSync(this.dir, { recursive: true, force: true }); }
}
