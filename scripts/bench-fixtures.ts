/** Inputs the server benches share, generated once and kept in the bench folder. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';

/** A hostable mini split of `validation` images at `<benchDir>/<name>-root` and a zip of its validation predictions. */
export async function miniSplitWithZip(benchDir: string, name: string, validation: number): Promise<{ root: string; zip: string }> {
  const root = join(benchDir, `${name}-root`);
  const zip = join(benchDir, `${name}-validation.zip`);
  if (!existsSync(zip)) {
    rmSync(root, { recursive: true, force: true });
    const m = await writeMiniSplit(root, { validation, test: 2, withPredictions: true });
    await zipDirectory(m.subsets.validation.predictionsDir!, zip);
  }
  return { root, zip };
}
